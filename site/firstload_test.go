package site_test

// The first load: the engine fetched compressed under a content-hashed,
// immutable name; progress and disabled controls while it loads; the first
// result painted from the build's answers before it runs; a clear screen
// with Retry when it fails; a reload without a network.

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/caplab/caplab/policy"
)

// isEngine reports whether a request is for the engine module.
var isEngine = regexp.MustCompile(`^/main\.[A-Z2-7]{8}\.wasm$`).MatchString

// openTab opens path in a new tab without waiting for the engine,
// recording console errors except those in allow (substrings).
func openTab(t *testing.T, base, path string, allow ...string) *page {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browserCtx)
	t.Cleanup(cancel)
	ctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancelT)
	p := &page{t: t, ctx: ctx, base: base}
	messages := chromedp.Console(ctx)
	go func() {
		for msg, err := range messages {
			if err != nil {
				return
			}
			if msg.Type != chromedp.ConsoleError && !msg.IsException() {
				continue
			}
			if slicesContainsSub(allow, msg.Text+" "+msg.URL) {
				continue
			}
			p.mu.Lock()
			p.console = append(p.console, string(msg.Type)+": "+msg.Text)
			p.mu.Unlock()
		}
	}()
	p.do(chromedp.Navigate(base + path))
	t.Cleanup(p.checkClean)
	return p
}

func slicesContainsSub(subs []string, s string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// gate holds the engine's response after its first bytes until release.
type gate struct {
	after   int
	release chan struct{}
	once    sync.Once
}

func newGate(after int) *gate { return &gate{after: after, release: make(chan struct{})} }

func (g *gate) open() { g.once.Do(func() { close(g.release) }) }

type gatedWriter struct {
	http.ResponseWriter
	g       *gate
	done    <-chan struct{}
	written int
}

func (w *gatedWriter) Write(b []byte) (int, error) {
	n := 0
	if w.written < w.g.after {
		k := min(len(b), w.g.after-w.written)
		m, err := w.ResponseWriter.Write(b[:k])
		w.written += m
		n += m
		if err != nil || k == len(b) {
			return n, err
		}
		b = b[k:]
		w.ResponseWriter.(http.Flusher).Flush()
	}
	select {
	case <-w.g.release:
	case <-w.done:
		return n, http.ErrHandlerTimeout
	}
	m, err := w.ResponseWriter.Write(b)
	return n + m, err
}

// gatedSite serves the built site with the engine's response held by g.
func gatedSite(g *gate) http.Handler {
	static := staticSite()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isEngine(r.URL.Path) {
			w = &gatedWriter{ResponseWriter: w, g: g, done: r.Context().Done()}
		}
		static.ServeHTTP(w, r)
	})
}

// TestEngineFetchedCompressed: the page fetches the engine under a
// content-hashed name, brotli-compressed (about a fifth of its size), and
// the server lets the browser keep it for good; the page and the worker
// are revalidated.
func TestEngineFetchedCompressed(t *testing.T) {
	srv := newServer(t, false)
	p := openPage(t, srv.URL, "/")
	type entry struct {
		Name    string  `json:"name"`
		Encoded float64 `json:"encoded"`
		Decoded float64 `json:"decoded"`
	}
	entries := eval[[]entry](p, `performance.getEntriesByType('resource').map(e => ({name: new URL(e.name).pathname, encoded: e.encodedBodySize, decoded: e.decodedBodySize}))`)
	var wasm *entry
	for i, e := range entries {
		if strings.HasSuffix(e.Name, ".wasm") {
			wasm = &entries[i]
		}
	}
	if wasm == nil || !isEngine(wasm.Name) {
		t.Fatalf("the page fetched no content-hashed engine: %+v", entries)
	}
	f, _ := built.File("main.*.wasm")
	if wasm.Decoded != float64(f.Bytes) || wasm.Encoded > wasm.Decoded/3 {
		t.Errorf("the engine came as %.0f bytes for %.0f; want it compressed (the module has %d bytes, %d brotli)", wasm.Encoded, wasm.Decoded, f.Bytes, f.Brotli)
	}
	type head struct {
		Encoding string `json:"encoding"`
		Cache    string `json:"cache"`
		Vary     string `json:"vary"`
	}
	for path, want := range map[string]head{
		wasm.Name: {"br", "public, max-age=31536000, immutable", "Accept-Encoding"},
		"/":       {"br", "no-cache", "Accept-Encoding"},
		"/sw.js":  {"br", "no-cache", "Accept-Encoding"},
	} {
		got := evalAsync[head](p, fmt.Sprintf(`fetch(%q, {cache: 'no-store'}).then(r => ({encoding: r.headers.get('content-encoding') ?? '', cache: r.headers.get('cache-control') ?? '', vary: r.headers.get('vary') ?? ''}))`, path))
		if got != want {
			t.Errorf("GET %s as the browser asks: %+v; want %+v", path, got, want)
		}
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name, ".js") && e.Name != "/sw.js" && !regexp.MustCompile(`^/[a-z_]+\.[A-Z2-7]{8}\.js$`).MatchString(e.Name) {
			t.Errorf("the page loaded %s: want content-hashed scripts", e.Name)
		}
	}
}

// evalAsync evaluates an expression that gives a promise.
func evalAsync[T any](p *page, expr string) T {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		p.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// TestLoadingProgress: while the engine downloads, the page shows how much
// has come (bytes of the module's size), keeps every control that needs
// the engine disabled, and already shows the first result, answered at
// build time, for the default preset and for one the address names; then
// the engine takes over.
func TestLoadingProgress(t *testing.T) {
	for _, tc := range []struct{ path, preset string }{
		{"/", "web-server-self-authorize"},
		{"/?preset=blocked-app", "blocked-app"},
	} {
		t.Run(tc.preset, func(t *testing.T) {
			f, _ := built.File("main.*.wasm")
			g := newGate(f.Brotli / 3)
			defer g.open()
			srv := startServer(t, listen(t), gatedSite(g))
			p := openTab(t, srv.URL, tc.path)
			p.poll(`Number(document.querySelector('#engine-progress')?.value) > 0 && document.body.dataset.firstResult === 'build'`, "download progress and the first result")
			type state struct {
				Text    string   `json:"text"`
				Value   float64  `json:"value"`
				Max     float64  `json:"max"`
				Visible bool     `json:"visible"`
				State   string   `json:"state"`
				Enabled []string `json:"enabled"`
				Inert   bool     `json:"inert"`
				Shown   string   `json:"shown"`
				Title   string   `json:"title"`
			}
			got := eval[state](p, `({
				text: document.querySelector('#engine-load-text').textContent,
				value: document.querySelector('#engine-progress').value,
				max: document.querySelector('#engine-progress').max,
				visible: document.querySelector('#engine-load').checkVisibility(),
				state: document.body.dataset.state,
				enabled: [...document.querySelectorAll('.topbar button, .topbar select')].filter(e => !e.disabled).map(e => e.id || e.textContent),
				inert: document.querySelector('#workspace .editor').inert,
				shown: document.body.dataset.firstResult ?? '',
				title: document.querySelector('#scenario-title').textContent})`)
			if got.State != "loading" || !got.Visible {
				t.Fatalf("while the engine downloads: %+v; want the loading bar", got)
			}
			if got.Max != float64(f.Bytes) || got.Value <= 0 || got.Value >= got.Max {
				t.Errorf("progress %v of %v; want part of the module's %d bytes", got.Value, got.Max, f.Bytes)
			}
			if want := fmt.Sprintf("of %.1f MB", float64(f.Bytes)/1e6); !strings.Contains(got.Text, "Downloading") || !strings.Contains(got.Text, want) {
				t.Errorf("the loading bar says %q; want the bytes downloaded %s", got.Text, want)
			}
			for _, id := range got.Enabled {
				if id == "preset" || id == "evaluate" || id == "compare-toggle" || id == "share" {
					t.Errorf("%s is enabled before the engine runs", id)
				}
			}
			if !got.Inert {
				t.Errorf("the editors can be used before the engine runs")
			}
			// The first result is there already, from the build's answers.
			doc, _ := policy.Preset(tc.preset)
			var ps policy.PresetInfo
			for _, x := range policy.Presets() {
				if x.Name == tc.preset {
					ps = x
				}
			}
			if got.Shown != "build" || got.Title != ps.Title {
				t.Errorf("before the engine runs the page shows %q (first result from %q); want %q from the build's answers", got.Title, got.Shown, ps.Title)
			}
			expectShown(t, tc.preset+" before the engine", p.timeline(), native(t, doc))
			p.axe("the page while the engine loads")
			// Keys that need the engine do nothing yet (and throw nothing).
			p.do(chromedp.KeyEvent("\r", chromedp.KeyModifiers(chromedp.ModifierCtrl)), chromedp.KeyEvent("s", chromedp.KeyModifiers(chromedp.ModifierCtrl)))

			g.open()
			p.waitReady()
			enabled := eval[[]string](p, `['preset', 'evaluate', 'compare-toggle', 'share'].filter(id => !document.getElementById(id).disabled)`)
			if len(enabled) != 4 || eval[bool](p, `document.querySelector('#workspace .editor').inert`) || eval[bool](p, `document.querySelector('#engine-load').checkVisibility()`) {
				t.Errorf("after the engine started: enabled %v, editors inert %v; want everything usable and no loading bar", enabled, eval[bool](p, `document.querySelector('#workspace .editor').inert`))
			}
			phases := eval[[]string](p, `performance.getEntriesByType('mark').map(m => m.name).filter(n => n.startsWith('engine-'))`)
			if strings.Join(phases, " ") != "engine-download engine-compile engine-start engine-ready" {
				t.Errorf("the engine went through %v; want download, compile, start, ready", phases)
			}
			// The engine answers now: an edit is evaluated by it.
			p.setField("/title", "Edited after the engine started")
			expectShown(t, tc.preset+" with the engine", p.timeline(), native(t, p.scenarioJSON()))
		})
	}
}

// TestEngineLoadFails: a module that does not come shows why, with Retry,
// and nothing that needs the engine can be used (no JavaScript error from
// Evaluate, Compare or Share); Retry loads it once the server serves it.
func TestEngineLoadFails(t *testing.T) {
	for _, tc := range []struct {
		name, says string
		fail       func(w http.ResponseWriter)
	}{
		{"server error", "HTTP 503", func(w http.ResponseWriter) {
			http.Error(w, "the engine is being deployed", http.StatusServiceUnavailable)
		}},
		{"not a module", "did not compile", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/wasm")
			w.Write([]byte("<html>a proxy's error page</html>"))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var failing atomic.Bool
			failing.Store(true)
			static := staticSite()
			srv := startServer(t, listen(t), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if isEngine(r.URL.Path) && failing.Load() {
					w.Header().Set("Cache-Control", "no-store")
					tc.fail(w)
					return
				}
				static.ServeHTTP(w, r)
			}))
			p := openTab(t, srv.URL, "/", "503", "main.")
			p.poll(`document.body.dataset.state === 'error'`, "the failure screen")
			type screen struct {
				Visible   bool     `json:"visible"`
				Text      string   `json:"text"`
				Retry     bool     `json:"retry"`
				Workspace bool     `json:"workspace"`
				Loading   bool     `json:"loading"`
				Enabled   []string `json:"enabled"`
			}
			got := eval[screen](p, `({
				visible: document.querySelector('#engine-error').checkVisibility(),
				text: document.querySelector('#engine-error').textContent,
				retry: document.querySelector('#engine-retry').checkVisibility() && !document.querySelector('#engine-retry').disabled,
				workspace: document.querySelector('#workspace').checkVisibility(),
				loading: document.querySelector('#engine-load').checkVisibility() || document.body.textContent.includes('Loading the engine'),
				enabled: ['preset', 'evaluate', 'compare-toggle', 'share'].filter(id => !document.getElementById(id).disabled)})`)
			if !got.Visible || !got.Retry || !strings.Contains(got.Text, tc.says) {
				t.Fatalf("failure screen %+v; want it visible, saying %q, with Retry", got, tc.says)
			}
			if got.Workspace || got.Loading || len(got.Enabled) > 0 {
				t.Errorf("on failure: workspace visible %v, still loading %v, enabled %v; want a clear screen", got.Workspace, got.Loading, got.Enabled)
			}
			p.axe("the failure screen")
			// Everything that needs the engine, by keyboard and by mouse.
			p.do(chromedp.KeyEvent("\r", chromedp.KeyModifiers(chromedp.ModifierCtrl)), chromedp.KeyEvent("s", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
			p.do(chromedp.Evaluate[chromedp.Void](`for (const id of ['evaluate', 'compare-toggle', 'share']) document.getElementById(id).click()`))
			p.mu.Lock()
			errs := append([]string(nil), p.console...)
			p.mu.Unlock()
			if len(errs) > 0 {
				t.Fatalf("the failed page threw: %v", errs)
			}
			// Retry, now that the server has the module.
			failing.Store(false)
			p.do(chromedp.Click(chromedp.ID("engine-retry")))
			p.waitReady()
			if !eval[bool](p, `document.querySelector('#workspace').checkVisibility() && !document.querySelector('#engine-error').checkVisibility()`) {
				t.Errorf("after Retry the page does not show the workspace")
			}
			doc, _ := policy.Preset("web-server-self-authorize")
			expectShown(t, "after Retry", p.timeline(), native(t, doc))
			p.setField("/title", "Works after Retry")
			expectShown(t, "an edit after Retry", p.timeline(), native(t, p.scenarioJSON()))
		})
	}
}

// TestOfflineReload: once the page has run, its service worker keeps it:
// a reload with the server gone shows the page and answers with the engine.
func TestOfflineReload(t *testing.T) {
	ln := listen(t)
	srv := startServer(t, ln, staticSite())
	p := openPage(t, srv.URL, "/")
	p.poll(`document.body.dataset.offline === 'ready'`, "the service worker")
	srv.Close() // no server: every request fails to connect
	p.do(chromedp.Reload())
	p.waitReady()
	doc, _ := policy.Preset("web-server-self-authorize")
	expectShown(t, "offline", p.timeline(), native(t, doc))
	p.setField("/apps/0/policies/permittedUsers", "adminApproved")
	expectShown(t, "an edit offline", p.timeline(), native(t, p.scenarioJSON()))
}

// isBoot reports whether a request is for the build's answers of every
// preset (boot.<hash>.json).
var isBoot = regexp.MustCompile(`^/boot\.[A-Z2-7]{8}\.json$`).MatchString

// hold keeps the responses whose path matches waiting until release is
// closed.
type hold struct {
	match   func(path string) bool
	release <-chan struct{}
}

// heldSite serves the built site with the responses holds name held.
func heldSite(holds ...hold) http.Handler {
	static := staticSite()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, h := range holds {
			if !h.match(r.URL.Path) {
				continue
			}
			select {
			case <-h.release:
			case <-r.Context().Done():
				return
			}
		}
		static.ServeHTTP(w, r)
	})
}

// TestFirstResultFromThePage: the default preset's first result needs no
// request but the page's own (its answers are in index.html): it is shown
// while boot.<hash>.json and the engine are both held. The preset pickers
// fill once boot.<hash>.json comes, still before the engine, or from the
// engine if it never comes. A preset the address names waits for
// boot.<hash>.json.
func TestFirstResultFromThePage(t *testing.T) {
	const pickerFilled = `document.querySelectorAll('#preset option[value]:not([value=""])').length > 0`
	t.Run("default", func(t *testing.T) {
		bootGate, engineGate := make(chan struct{}), make(chan struct{})
		defer close(engineGate)
		srv := startServer(t, listen(t), heldSite(hold{isBoot, bootGate}, hold{isEngine, engineGate}))
		p := openTab(t, srv.URL, "/")
		p.poll(`document.body.dataset.firstResult === 'build'`, "the first result while boot.json and the engine are held")
		doc, _ := policy.Preset("web-server-self-authorize")
		expectShown(t, "the page's own answers", p.timeline(), native(t, doc))
		if eval[bool](p, pickerFilled) {
			t.Errorf("the preset picker is filled before boot.json came")
		}
		close(bootGate)
		p.poll(pickerFilled, "the preset picker filled from boot.json, the engine still held")
		if st := eval[string](p, `document.body.dataset.state`); st != "loading" {
			t.Errorf("state %q before the engine came; want loading", st)
		}
	})
	t.Run("boot.json never comes", func(t *testing.T) {
		bootGate := make(chan struct{})
		defer close(bootGate)
		srv := startServer(t, listen(t), heldSite(hold{isBoot, bootGate}))
		p := openTab(t, srv.URL, "/")
		p.waitReady()
		if got := eval[string](p, `document.body.dataset.firstResult`); got != "build" {
			t.Errorf("first result from %q; want the page's own answers (build)", got)
		}
		p.poll(pickerFilled, "the preset picker filled by the engine")
	})
	t.Run("named preset", func(t *testing.T) {
		bootGate := make(chan struct{})
		srv := startServer(t, listen(t), heldSite(hold{isBoot, bootGate}))
		p := openTab(t, srv.URL, "/?preset=blocked-app")
		time.Sleep(300 * time.Millisecond)
		if got := eval[string](p, `document.body.dataset.firstResult ?? ''`); got != "" {
			t.Errorf("a named preset's first result came from %q before boot.json", got)
		}
		close(bootGate)
		p.poll(`document.body.dataset.firstResult === 'build'`, "the named preset's first result from boot.json")
		doc, _ := policy.Preset("blocked-app")
		expectShown(t, "blocked-app from boot.json", p.timeline(), native(t, doc))
	})
}
