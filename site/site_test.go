package site_test

// Browser tests of the playground in headless Chromium (Debian's
// /usr/bin/chromium) driven by chromedp. TestMain builds the site as make
// build does (site/sitebuild: the engine compiled with the current
// toolchain, the bundle, hashed and pre-compressed names) into a temporary
// directory, so the tests are self-contained and exercise what ships; the
// page is served from there by site.Handler on 127.0.0.1. Screenshots go
// to build/screenshots/.

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/caplab/caplab/lambda/httpapi"
	"github.com/caplab/caplab/lambda/store/memstore"
	"github.com/caplab/caplab/policy"
	"github.com/caplab/caplab/site"
	"github.com/caplab/caplab/site/sitebuild"
)

const chromiumPath = "/usr/bin/chromium"

var (
	browserCtx context.Context     // one browser for every test; each test opens tabs
	builtDir   string              // the site built for this run
	built      *sitebuild.Manifest // what the build wrote
	siteDir    string              // this directory (the sources)
	screensDir string              // ../build/screenshots
)

func TestMain(m *testing.M) { os.Exit(runMain(m)) }

func runMain(m *testing.M) int {
	if _, err := os.Stat(chromiumPath); err != nil {
		fmt.Fprintln(os.Stderr, "site tests need Chromium at "+chromiumPath+": install Chromium: apt-get install -y chromium")
		return 1
	}
	var err error
	if siteDir, err = os.Getwd(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	screensDir = filepath.Join(siteDir, "..", "build", "screenshots")
	tmp, err := os.MkdirTemp("", "caplab-site-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(tmp)
	builtDir = filepath.Join(tmp, "site")
	if built, err = sitebuild.Build(sitebuild.Options{Root: filepath.Join(siteDir, ".."), Out: builtDir}); err != nil {
		fmt.Fprintln(os.Stderr, "site tests: cannot build the site (run make build to see why):", err)
		return 1
	}

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.UserDataDir(filepath.Join(tmp, "chromium")),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("mute-audio", true),
		chromedp.WindowSize(1440, 1000),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	var cancelBrowser context.CancelFunc
	browserCtx, cancelBrowser = chromedp.NewContext(allocCtx)
	defer cancelBrowser()
	if err := chromedp.Do(browserCtx); err != nil { // starts the browser
		fmt.Fprintln(os.Stderr, "site tests: cannot start Chromium:", err)
		return 1
	}
	return m.Run()
}

// ---------------------------------------------------------------- servers

// fakeAPI stands in for the share-link endpoints of caplab serve.
type fakeAPI struct {
	mu     sync.Mutex
	stored map[string][]byte
}

// staticSite serves the built site through site.Handler as caplab serve
// does, so every page runs under its Content-Security-Policy.
func staticSite() http.Handler {
	return site.Handler(builtDir)
}

// newServer serves the site directory with the freshly built engine; with
// api it also answers POST /api/scenarios, GET /api/scenarios/{id} and
// /s/{id} like caplab serve.
func newServer(t testing.TB, api bool) *httptest.Server {
	mux := http.NewServeMux()
	static := staticSite()
	mux.Handle("/", static)
	if api {
		fa := &fakeAPI{stored: map[string][]byte{}}
		mux.HandleFunc("POST /api/scenarios", func(w http.ResponseWriter, r *http.Request) {
			var doc map[string]any
			if err := json.NewDecoder(r.Body).Decode(&doc); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			b, _ := json.Marshal(doc)
			fa.mu.Lock()
			id := fmt.Sprintf("s%03d", len(fa.stored)+1)
			fa.stored[id] = b
			fa.mu.Unlock()
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusCreated)
			issuer := "http://" + r.Host + "/o/" + id
			json.NewEncoder(w).Encode(map[string]string{"id": id, "url": "http://" + r.Host + "/s/" + id, "issuer": issuer})
		})
		mux.HandleFunc("GET /api/scenarios/{id}", func(w http.ResponseWriter, r *http.Request) {
			fa.mu.Lock()
			b, ok := fa.stored[r.PathValue("id")]
			fa.mu.Unlock()
			if !ok {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.Write(b)
		})
		mux.HandleFunc("GET /s/{id}", func(w http.ResponseWriter, r *http.Request) {
			r2 := r.Clone(r.Context()) // as httpapi's serveIndex
			r2.URL.Path = "/"
			static.ServeHTTP(w, r2)
		})
	}
	return startServer(t, listen(t), mux)
}

func listen(t testing.TB) net.Listener {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

func startServer(t testing.TB, ln net.Listener, h http.Handler) *httptest.Server {
	srv := httptest.NewUnstartedServer(h)
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// ---------------------------------------------------------------- page driver

type page struct {
	t       testing.TB
	ctx     context.Context
	base    string
	mu      sync.Mutex
	console []string // errors and exceptions
}

// openPage opens path in a new tab and waits for the first result.
func openPage(t testing.TB, base, path string) *page {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browserCtx)
	t.Cleanup(cancel)
	ctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancelT)
	p := &page{t: t, ctx: ctx, base: base}
	p.listenConsole()
	p.do(chromedp.Navigate(base + path))
	p.waitReady()
	t.Cleanup(p.checkClean)
	return p
}

// listenConsole records the tab's console errors and exceptions.
func (p *page) listenConsole() {
	go func() {
		for msg, err := range chromedp.Console(p.ctx) {
			if err != nil {
				return
			}
			// A failed POST /api/scenarios is how the page learns that no
			// server is there (it falls back to a fragment link), and a
			// shared scenario that is not found answers 404: the browser
			// logs those itself.
			if strings.Contains(msg.URL, "/api/scenarios") || strings.Contains(msg.Text, "/api/scenarios") {
				continue
			}
			if msg.Type == chromedp.ConsoleError || msg.IsException() {
				p.mu.Lock()
				p.console = append(p.console, string(msg.Type)+": "+msg.Text+fmt.Sprintf(" (%s:%d)", msg.URL, msg.Line))
				p.mu.Unlock()
			}
		}
	}()
}

// checkClean fails the test on console errors and on resources loaded
// from anywhere but the test server (the page must work offline: no
// third-party assets).
func (p *page) checkClean() {
	if p.ctx.Err() == nil {
		if urls, err := chromedp.Run(p.ctx, chromedp.Evaluate[[]string](`performance.getEntriesByType('resource').map(e => e.name)`)); err == nil {
			for _, s := range urls {
				if u, err := url.Parse(s); err == nil && u.Scheme != "data" && u.Scheme+"://"+u.Host != p.base {
					p.t.Errorf("the page loaded %s; every asset must be local", s)
				}
			}
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.console {
		p.t.Errorf("browser console: %s", c)
	}
}

func (p *page) do(actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, actions...); err != nil {
		p.t.Fatalf("browser: %v", err)
	}
}

func eval[T any](p *page, expr string) T {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		p.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

func (p *page) poll(expr, what string) {
	p.t.Helper()
	if _, err := chromedp.Run(p.ctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(30*time.Second), chromedp.WithPollingInterval(20*time.Millisecond))); err != nil {
		detail, _ := chromedp.Run(p.ctx, chromedp.Evaluate[string](`document.querySelector('#status')?.textContent + ' | ' + (document.querySelector('#detail')?.innerText ?? '').slice(0, 1500)`))
		p.mu.Lock()
		console := strings.Join(p.console, "\n")
		p.mu.Unlock()
		p.t.Fatalf("waiting for %s: %v\npage: %s\nconsole: %s", what, err, detail, console)
	}
}

func (p *page) waitReady() {
	p.t.Helper()
	p.poll(`document.body.dataset.state === 'ready' || document.body.dataset.state === 'error'`, "the page to load")
	if st := eval[string](p, `document.body.dataset.state`); st != "ready" {
		p.t.Fatalf("the page did not start: %s", eval[string](p, `document.querySelector('#status').textContent`))
	}
}

func (p *page) gen() int { return eval[int](p, `window.__caplab.gen`) }

func (p *page) waitGen(after int, what string) {
	p.t.Helper()
	p.poll(fmt.Sprintf(`window.__caplab.gen > %d`, after), what)
}

// act runs actions that trigger an evaluation and waits for it.
func (p *page) act(what string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	g := p.gen()
	p.do(actions...)
	p.waitGen(g, what)
}

func (p *page) pickPreset(name string) {
	p.t.Helper()
	p.act("preset "+name, chromedp.SetValue(chromedp.ID("preset"), name),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#preset').dispatchEvent(new Event('change'))`))
	if got := eval[string](p, `document.body.dataset.preset`); got != name {
		p.t.Fatalf("preset %s did not load (body data-preset %q)", name, got)
	}
}

// setField sets a form control by its JSON pointer and fires its event.
func (p *page) setField(ptr, value string) {
	p.t.Helper()
	sel := fmt.Sprintf(`#form-panel [data-ptr=%q]`, ptr)
	if !eval[bool](p, fmt.Sprintf(`!!document.querySelector(%q)`, sel)) {
		p.t.Fatalf("the form has no field for %s", ptr)
	}
	p.act("form edit "+ptr, chromedp.SetValue(chromedp.CSS(sel), value),
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(e => e.dispatchEvent(new Event(e.tagName === 'SELECT' ? 'change' : 'input', {bubbles: true})))(document.querySelector(%q))`, sel)))
}

// selectEvent clicks an event in the timeline and waits for its detail.
func (p *page) selectEvent(i int) {
	p.t.Helper()
	p.do(chromedp.Click(chromedp.CSS(fmt.Sprintf(`#timeline li[data-event="%d"] button`, i))))
	p.poll(fmt.Sprintf(`document.querySelector('#timeline li.selected')?.dataset.event === '%d' && document.querySelector('#detail-title')?.textContent.startsWith('Event %d')`, i, i+1), fmt.Sprintf("event %d to be selected", i+1))
}

type shownEvent struct {
	Outcome string `json:"outcome"`
	Error   string `json:"error"`
	Desc    string `json:"desc"`
}

func (p *page) timeline() []shownEvent {
	return eval[[]shownEvent](p, `[...document.querySelectorAll('#timeline > li')].map(li => ({
		outcome: li.dataset.outcome,
		error: li.querySelector('.ev-error')?.textContent ?? '',
		desc: li.querySelector('.ev-error')?.title ?? ''}))`)
}

func (p *page) scenarioJSON() []byte {
	return []byte(eval[string](p, `JSON.stringify(window.__caplab.scenario())`))
}

func (p *page) screenshot(name string) {
	p.t.Helper()
	if err := os.MkdirAll(screensDir, 0o755); err != nil {
		p.t.Fatal(err)
	}
	p.do(chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`))
	png, err := chromedp.Run(p.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.t.Fatalf("screenshot: %v", err)
	}
	if err := os.WriteFile(filepath.Join(screensDir, name+".png"), png, 0o644); err != nil {
		p.t.Fatal(err)
	}
}

func writeShot(t testing.TB, name string, png []byte) {
	t.Helper()
	if err := os.MkdirAll(screensDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(screensDir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

func (p *page) screenshotOf(name, sel string) {
	p.t.Helper()
	png, err := chromedp.Run(p.ctx, chromedp.Screenshot(chromedp.CSS(sel)))
	if err != nil {
		p.t.Fatalf("screenshot of %s: %v", sel, err)
	}
	if err := os.WriteFile(filepath.Join(screensDir, name+".png"), png, 0o644); err != nil {
		p.t.Fatal(err)
	}
}

// ---------------------------------------------------------------- native

func native(t testing.TB, doc []byte) *policy.Result {
	t.Helper()
	s, err := policy.Decode(doc)
	if err != nil {
		t.Fatalf("native decode: %v", err)
	}
	return policy.Evaluate(s, policy.Options{Now: time.Now()})
}

func expectShown(t testing.TB, label string, got []shownEvent, want *policy.Result) {
	t.Helper()
	if len(got) != len(want.Results) {
		t.Fatalf("%s: the page shows %d events, the engine answers %d", label, len(got), len(want.Results))
	}
	for i, r := range want.Results {
		w := shownEvent{Outcome: r.Outcome}
		if r.Outcome == policy.Denied {
			w.Error, w.Desc = r.Error, r.ErrorDescription
		}
		if got[i] != w {
			t.Errorf("%s: event %d shows %+v, want %+v", label, i+1, got[i], w)
		}
	}
}

func sameJSON(t testing.TB, a, b []byte) bool {
	t.Helper()
	var va, vb any
	if err := json.Unmarshal(a, &va); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if err := json.Unmarshal(b, &vb); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	return reflect.DeepEqual(va, vb)
}

// ---------------------------------------------------------------- tests

// TestPresets picks every preset and checks each event's shown outcome and
// error against the native engine, and that the deciding step of each
// denied event links to a form control (checkDecidingLinks).
func TestPresets(t *testing.T) {
	srv := newServer(t, false)
	p := openPage(t, srv.URL, "/")
	presets := policy.Presets()
	if n := eval[int](p, `document.querySelectorAll('#preset option[value]:not([value=""])').length`); n != len(presets) {
		t.Fatalf("the picker lists %d presets, the engine has %d", n, len(presets))
	}
	shotDenied := false
	for _, ps := range presets {
		p.pickPreset(ps.Name)
		doc, _ := policy.Preset(ps.Name)
		want := native(t, doc)
		expectShown(t, ps.Name, p.timeline(), want)
		if title := eval[string](p, `document.querySelector('#scenario-title').textContent`); title != ps.Title {
			t.Errorf("%s: title %q, want %q", ps.Name, title, ps.Title)
		}
		checkDecidingLinks(p, ps.Name)
		if ps.Name == "web-server-self-authorize" {
			p.screenshot("main")
		}
		if strings.Contains(ps.Name, "relay") {
			p.selectEvent(0)
			p.screenshotOf("relay-sequence", "#detail .seq-wrap")
		}
		if !shotDenied {
			for j, r := range want.Results {
				if r.Outcome == policy.Denied && len(r.Fixes) > 0 {
					p.selectEvent(j)
					p.screenshot("denied-event")
					shotDenied = true
					break
				}
			}
		}
	}
}

// TestFormPolicyChange switches Permitted Users in the form and checks the
// new outcome, then applies the offered fix.
func TestFormPolicyChangeAndFix(t *testing.T) {
	srv := newServer(t, false)
	p := openPage(t, srv.URL, "/")
	p.pickPreset("web-server-self-authorize")
	before := p.timeline()
	p.setField("/apps/0/policies/permittedUsers", "adminApproved")
	doc := p.scenarioJSON()
	var s policy.Scenario
	if err := json.Unmarshal(doc, &s); err != nil || len(s.Apps) == 0 || s.Apps[0].Policies.PermittedUsers != "adminApproved" {
		t.Fatalf("the form did not set permittedUsers: %s", doc)
	}
	want := native(t, doc)
	got := p.timeline()
	expectShown(t, "admin approved", got, want)
	if reflect.DeepEqual(before, got) || got[0].Outcome != policy.Denied {
		t.Fatalf("Permitted Users = admin approved did not deny the first authorization: %+v", got)
	}
	if len(want.Results[0].Fixes) == 0 {
		t.Fatalf("the engine offers no fix")
	}
	p.selectEvent(0)
	p.poll(`!!document.querySelector('#detail .apply')`, "the fixes")
	p.screenshot("fixes")
	p.act("apply fix", chromedp.Click(chromedp.CSS(`#detail .apply[data-fix="0"]`)))
	after := p.timeline()
	if after[0].Outcome != policy.Granted {
		t.Fatalf("after the fix event 1 shows %+v, want granted", after[0])
	}
	fixed := p.scenarioJSON()
	expectShown(t, "fixed", after, native(t, fixed))
	// The page says which fix it applied where it was clicked (the outcomes
	// above are checked against the native engine; the patch itself is not
	// compared).
	orig, _ := json.Marshal(want.Results[0].Fixes[0].Patch)
	if got := eval[string](p, `document.querySelector('#detail .applied')?.textContent ?? ''`); !strings.Contains(got, want.Results[0].Fixes[0].Summary) {
		t.Errorf("the fixes card shows %q after applying %s; want its summary %q", got, orig, want.Results[0].Fixes[0].Summary)
	}
}

// TestApplyFixEveryPreset applies the first fix of the first denied event
// with fixes in each preset, and checks that it flips the event.
func TestApplyFixEveryPreset(t *testing.T) {
	srv := newServer(t, false)
	p := openPage(t, srv.URL, "/")
	tried := 0
	for _, ps := range policy.Presets() {
		doc, _ := policy.Preset(ps.Name)
		want := native(t, doc)
		ev := slices.IndexFunc(want.Results, func(r policy.EventResult) bool { return r.Outcome == policy.Denied && len(r.Fixes) > 0 })
		if ev < 0 {
			continue
		}
		tried++
		p.pickPreset(ps.Name)
		p.selectEvent(ev)
		p.poll(`!!document.querySelector('#detail .apply[data-fix="0"]')`, "the fixes of "+ps.Name)
		p.act("apply fix in "+ps.Name, chromedp.Click(chromedp.CSS(`#detail .apply[data-fix="0"]`)))
		if got := p.timeline()[ev]; got.Outcome != policy.Granted {
			t.Errorf("%s: fix %q left event %d %+v", ps.Name, want.Results[ev].Fixes[0].Summary, ev+1, got)
		}
	}
	if tried == 0 {
		t.Fatal("no preset has a denied event with a fix: nothing was checked")
	}
}

// TestShareFragment shares through the URL fragment (no server API),
// reloads, and expects the identical scenario.
func TestShareFragment(t *testing.T) {
	srv := newServer(t, false)
	p := openPage(t, srv.URL, "/")
	p.pickPreset("web-server-self-authorize")
	p.setField("/title", "Shared — with ünïcode")
	if got := eval[string](p, `document.querySelector('#scenario-title').textContent`); got != "Shared — with ünïcode" {
		t.Errorf("the page title shows %q after editing the title", got)
	}
	p.setField("/apps/0/policies/ipRelaxation", "relax")
	want := p.scenarioJSON()
	p.do(chromedp.KeyEvent("s", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	p.poll(`document.querySelector('#share-dialog').open && document.querySelector('#share-link').value !== ''`, "the share dialog")
	p.screenshot("share")
	link := eval[string](p, `document.querySelector('#share-link').value`)
	if !strings.HasPrefix(link, srv.URL+"/#s=") {
		t.Fatalf("share link %q, want %s/#s=…", link, srv.URL)
	}
	if loc := eval[string](p, `location.href`); loc != link {
		t.Errorf("the address bar is %q, want the share link", loc)
	}
	p.do(chromedp.Reload())
	p.waitReady()
	if got := p.scenarioJSON(); !sameJSON(t, got, want) {
		t.Fatalf("after reload the scenario is\n%s\nwant\n%s", got, want)
	}
	// A fresh tab on the link restores it too.
	q := openPage(t, srv.URL, strings.TrimPrefix(link, srv.URL))
	if got := q.scenarioJSON(); !sameJSON(t, got, want) {
		t.Fatalf("the link opens\n%s\nwant\n%s", got, want)
	}
	expectShown(t, "shared", q.timeline(), native(t, want))
}

// TestShareRedactsSecrets: secrets never reach the link, and the outcomes
// stay the same.
func TestShareRedactsSecrets(t *testing.T) {
	srv := newServer(t, false)
	p := openPage(t, srv.URL, "/")
	p.pickPreset("web-server-self-authorize")
	p.setField("/apps/0/oauth/consumerSecret", "s3cr3t-consumer")
	p.setField("/orgs/0/users/0/password", "hunter2-password")
	p.do(chromedp.Click(chromedp.ID("share")))
	p.poll(`document.querySelector('#share-dialog').open && document.querySelector('#share-link').value !== ''`, "the share dialog")
	link := eval[string](p, `document.querySelector('#share-link').value`)
	q := openPage(t, srv.URL, strings.TrimPrefix(link, srv.URL))
	got := string(q.scenarioJSON())
	for _, secret := range []string{"s3cr3t-consumer", "hunter2-password"} {
		if strings.Contains(got, secret) {
			t.Errorf("the shared scenario still holds %q: %s", secret, got)
		}
	}
	expectShown(t, "redacted", q.timeline(), native(t, p.scenarioJSON()))
}

// TestShortLink uses the server's POST /api/scenarios and opens /s/{id}.
func TestShortLink(t *testing.T) {
	srv := newServer(t, true)
	p := openPage(t, srv.URL, "/")
	p.pickPreset("web-server-self-authorize")
	p.setField("/title", "Short link")
	want := p.scenarioJSON()
	p.do(chromedp.KeyEvent("s", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	p.poll(`document.querySelector('#share-dialog').open && document.querySelector('#share-link').value !== ''`, "the share dialog")
	link := eval[string](p, `document.querySelector('#share-link').value`)
	if !strings.HasPrefix(link, srv.URL+"/s/s001#event=") {
		t.Fatalf("short link %q, want %s/s/s001#event=N", link, srv.URL)
	}
	q := openPage(t, srv.URL, "/s/s001")
	if got := q.scenarioJSON(); !sameJSON(t, got, want) {
		t.Fatalf("/s/s001 opens\n%s\nwant\n%s", got, want)
	}
}

// TestShortLinkRealServer shares through the real HTTP API of caplab
// serve and the Lambda functions (lambda/httpapi with the in-memory store)
// and opens the short link it returns.
func TestShortLinkRealServer(t *testing.T) {
	ln := listen(t)
	base := "http://" + ln.Addr().String()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, ln, httpapi.New(httpapi.Config{BaseURL: base, SigningKey: key, Site: staticSite()}, memstore.New()))
	p := openPage(t, srv.URL, "/")
	p.pickPreset("web-server-self-authorize")
	p.setField("/title", "Short link through the real API")
	p.setField("/apps/0/oauth/consumerSecret", "not-to-be-shared")
	p.do(chromedp.KeyEvent("s", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	p.poll(`document.querySelector('#share-dialog').open && document.querySelector('#share-link').value !== ''`, "the share dialog")
	link := eval[string](p, `document.querySelector('#share-link').value`)
	if !strings.HasPrefix(link, base+"/s/") {
		t.Fatalf("share link %q, want %s/s/{id}", link, base)
	}
	q := openPage(t, srv.URL, strings.TrimPrefix(link, base))
	got := q.scenarioJSON()
	if strings.Contains(string(got), "not-to-be-shared") {
		t.Fatalf("the stored scenario holds the secret: %s", got)
	}
	var want map[string]any
	json.Unmarshal(p.scenarioJSON(), &want)
	want["apps"].([]any)[0].(map[string]any)["oauth"].(map[string]any)["consumerSecret"] = "secret-1"
	wantJSON, _ := json.Marshal(want)
	if !sameJSON(t, got, wantJSON) {
		t.Fatalf("%s opens\n%s\nwant\n%s", link, got, wantJSON)
	}
	expectShown(t, "short link", q.timeline(), native(t, p.scenarioJSON()))
}

// TestMalformedJSON: a syntax error in the JSON tab is shown at its line;
// a value error is shown at its field in the form.
func TestMalformedJSON(t *testing.T) {
	srv := newServer(t, false)
	p := openPage(t, srv.URL, "/")
	p.pickPreset("web-server-self-authorize")
	p.do(chromedp.Click(chromedp.ID("tab-json")))
	text := p.jsonText("#json-panel")
	lines := strings.Split(text, "\n")
	const bad = 6 // 1-based line that gets a stray token
	lines[bad-1] += " ]]"
	broken := strings.Join(lines, "\n")
	wantErrs := policy.Lint([]byte(broken))
	if len(wantErrs) == 0 || wantErrs[0].Line == 0 {
		t.Fatalf("native lint found no positioned error: %+v", wantErrs)
	}
	setJSON := func(s string) { p.act("JSON edit", p.jsonEdit("#json-panel", s)) }
	setJSON(broken)
	type shownErr struct {
		Where  string       `json:"where"`
		Marked []diagnostic `json:"marked"`
		Gutter int          `json:"gutter"`
		Inline int          `json:"inline"`
	}
	got := eval[shownErr](p, `({
		where: document.querySelector('#json-panel .errors li .where')?.textContent ?? '',
		marked: document.querySelector('#json-panel').jsonEditor.diagnostics(),
		gutter: document.querySelectorAll('#json-panel .cm-lint-marker-error').length,
		inline: document.querySelectorAll('#json-panel .cm-lintRange-error, #json-panel .cm-lintPoint-error').length})`)
	wantWhere := fmt.Sprintf("Line %d, column %d", wantErrs[0].Line, wantErrs[0].Column)
	if got.Where != wantWhere || len(got.Marked) == 0 || got.Marked[0].Line != wantErrs[0].Line || got.Gutter == 0 || got.Inline == 0 {
		t.Fatalf("shown error %+v, want line %d marked in the gutter and the text (native: %+v)", got, wantErrs[0].Line, wantErrs[0])
	}
	if wantErrs[0].Line != bad {
		t.Logf("note: the engine places the error on line %d (the stray token is on line %d)", wantErrs[0].Line, bad)
	}
	// Clicking the error selects its position in the text.
	p.do(chromedp.Click(chromedp.CSS(`#json-panel .errors .error-link`)))
	caretLine := p.caretLine("#json-panel")
	if caretLine != wantErrs[0].Line {
		t.Errorf("clicking the error put the caret on line %d, want %d", caretLine, wantErrs[0].Line)
	}
	if eval[bool](p, `document.querySelector('#results').classList.contains('stale')`) != true {
		t.Errorf("results are not marked stale while the JSON is broken")
	}
	p.screenshot("json-error")

	// A value error: shown at the field in the form.
	var doc map[string]any
	json.Unmarshal([]byte(text), &doc)
	doc["apps"].([]any)[0].(map[string]any)["policies"] = map[string]any{"permittedUsers": "everyone"}
	b, _ := json.MarshalIndent(doc, "", "  ")
	setJSON(string(b))
	p.do(chromedp.Click(chromedp.ID("tab-form")))
	msg := eval[string](p, `document.querySelector('#form-panel [data-ptr="/apps/0/policies/permittedUsers"]').closest('.field').querySelector('.field-error')?.textContent ?? ''`)
	want := policy.Lint(b)
	if len(want) == 0 || !strings.Contains(msg, want[0].Message) {
		t.Fatalf("the Permitted Users field shows %q, want %+v", msg, want)
	}
	if eval[string](p, `document.querySelector('#form-panel [data-ptr="/apps/0/policies/permittedUsers"]').getAttribute('aria-invalid')`) != "true" {
		t.Errorf("the invalid field is not aria-invalid")
	}
	p.screenshot("form-error")
}

// TestKeyboardEvaluate: Ctrl+Enter evaluates at once.
func TestKeyboardEvaluate(t *testing.T) {
	srv := newServer(t, false)
	p := openPage(t, srv.URL, "/")
	g := p.gen()
	p.do(chromedp.KeyEvent("\r", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	p.waitGen(g, "Ctrl+Enter to evaluate")
	// Also from inside the JSON editor, without waiting for the debounce.
	p.do(chromedp.Click(chromedp.ID("tab-json")))
	p.editorReady("#json-panel")
	p.do(chromedp.Click(chromedp.CSS(`#json-panel .cm-content`)))
	g = p.gen()
	p.do(chromedp.KeyEvent("\r", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	p.waitGen(g, "Ctrl+Enter in the JSON editor")
}

// TestSettingLink: a trace step's setting focuses its field in the form.
func TestSettingLink(t *testing.T) {
	srv := newServer(t, false)
	p := openPage(t, srv.URL, "/")
	p.pickPreset("web-server-self-authorize")
	p.setField("/apps/0/policies/permittedUsers", "adminApproved")
	p.selectEvent(0)
	sel := `#detail .trace .setting`
	ptrs := eval[[]string](p, `[...document.querySelectorAll('#detail .trace .setting')].map(b => b.dataset.ptr)`)
	i := slices.Index(ptrs, "/apps/0/policies/permittedUsers")
	if i < 0 {
		t.Fatalf("no trace step points at Permitted Users: %v", ptrs)
	}
	p.do(chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelectorAll(%q)[%d].click()`, sel, i)))
	if got := eval[string](p, `document.activeElement?.dataset?.ptr ?? ''`); got != "/apps/0/policies/permittedUsers" {
		t.Fatalf("focus is on %q, want the Permitted Users field", got)
	}
	// A setting with no form field opens the JSON tab at its line.
	p.do(chromedp.Evaluate[chromedp.Void](`window.__caplab.focusSetting('/events/0/expect/outcome')`))
	p.poll(`!document.querySelector('#json-panel').hidden && !!document.querySelector('#json-panel .cm-editor')?.contains(document.activeElement)`,
		"a setting outside the form to open the JSON tab")
}

// TestCompare compares the current scenario with an earlier copy of it and
// with another preset: the first divergence, counted from 1 as the
// timelines are, and the settings that differ.
func TestCompare(t *testing.T) {
	presets := policy.Presets()
	if len(presets) < 2 {
		t.Fatalf("the engine has %d presets, the comparison needs two", len(presets))
	}
	srv := newServer(t, false)
	p := openPage(t, srv.URL, "/")
	p.pickPreset("web-server-self-authorize")
	p.do(chromedp.Click(chromedp.ID("compare-toggle")))
	p.poll(`!document.querySelector('#compare').hidden && document.querySelectorAll('#compare-b-timeline li').length > 0`, "compare view")
	if s := eval[string](p, `document.querySelector('#compare-summary').textContent`); !strings.Contains(s, "Same answers") {
		t.Errorf("a copy of A compares as %q", s)
	}
	// B stays the copy; A becomes admin-approved in the form.
	p.do(chromedp.Click(chromedp.ID("compare-close")))
	b := p.scenarioJSON()
	p.setField("/apps/0/policies/permittedUsers", "adminApproved")
	a := p.scenarioJSON()
	g := eval[int](p, `Number(document.body.dataset.compareGen)`)
	p.do(chromedp.Click(chromedp.ID("compare-toggle")))
	p.poll(fmt.Sprintf(`Number(document.body.dataset.compareGen) > %d`, g), "the diff")
	want := policy.Diff(native(t, a), native(t, b))
	if want.Same || want.StepA == nil || want.StepB == nil {
		t.Fatalf("the engine finds no diverging step: %+v", want)
	}
	wantText := []string{fmt.Sprintf("Event %d (", want.Event+1),
		fmt.Sprintf("trace step %d: %s %s in A, %s %s in B", want.Step+1, want.StepA.Rule, want.StepA.Outcome, want.StepB.Rule, want.StepB.Outcome)}
	s := eval[string](p, `document.querySelector('#compare-summary').textContent`)
	for _, w := range wantText {
		if !strings.Contains(s, w) {
			t.Errorf("summary %q; want it to say %q (events and steps counted from 1)", s, w)
		}
	}
	if d := eval[[]string](p, `[...document.querySelectorAll('#compare .timeline li.diverge')].map(li => li.querySelector('.ev-n').textContent)`); len(d) != 2 || d[0] != fmt.Sprint(want.Event+1) {
		t.Errorf("highlighted events %v, want event %d in both", d, want.Event+1)
	}
	if eval[int](p, `document.querySelectorAll('#compare .step.diverge').length`) != 2 {
		t.Errorf("the diverging trace step %d is not highlighted on both sides", want.Step+1)
	}
	settings := eval[string](p, `document.querySelector('#compare-settings').textContent`)
	if !strings.Contains(settings, "Permitted Users") || !strings.Contains(settings, "adminApproved") || !strings.Contains(settings, "1 setting differs") {
		t.Errorf("settings that differ: %q; want Permitted Users, adminApproved in A and not set in B", settings)
	}
	p.screenshot("compare")
	// Another preset as B.
	g = eval[int](p, `Number(document.body.dataset.compareGen)`)
	p.do(chromedp.SetValue(chromedp.ID("compare-source"), presets[0].Name),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#compare-source').dispatchEvent(new Event('change'))`))
	p.poll(fmt.Sprintf(`Number(document.body.dataset.compareGen) > %d`, g), "the diff with a preset")
	pb, _ := policy.Preset(presets[0].Name)
	want = policy.Diff(native(t, a), native(t, pb))
	s = eval[string](p, `document.querySelector('#compare-summary').textContent`)
	if want.Same != strings.Contains(s, "Same answers") || (!want.Same && want.A != nil && !strings.Contains(s, fmt.Sprintf("Event %d (", want.Event+1))) {
		t.Errorf("summary %q; want the divergence of %+v, counted from 1", s, want)
	}
}

// TestNarrowViewport: readable on a phone, no sideways scrolling.
func TestNarrowViewport(t *testing.T) {
	srv := newServer(t, false)
	p := openPage(t, srv.URL, "/")
	p.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile))
	p.pickPreset("web-server-self-authorize")
	p.setField("/apps/0/policies/permittedUsers", "adminApproved")
	if w := eval[[]int](p, `[document.documentElement.scrollWidth, window.innerWidth]`); w[0] > w[1] {
		t.Errorf("the page is %dpx wide in a %dpx viewport", w[0], w[1])
	}
	p.screenshot("phone")
	p.do(chromedp.EmulateReset())
}

// TestFirstResultTiming: the page exposes the time of its first result.
func TestFirstResultTiming(t *testing.T) {
	srv := newServer(t, false)
	p := openPage(t, srv.URL, "/")
	ms := eval[float64](p, `window.__caplabFirstResultMs`)
	if ms <= 0 {
		t.Fatalf("__caplabFirstResultMs = %v", ms)
	}
	t.Logf("first result after %.0f ms", ms)
}

// BenchmarkFirstResult loads the page in a fresh tab b.N times and reports
// the median time from navigation start to the first result shown.
func BenchmarkFirstResult(b *testing.B) {
	srv := newServer(b, false)
	var times []float64
	for b.Loop() {
		ctx, cancel := chromedp.NewContext(browserCtx)
		p := &page{t: b, ctx: ctx, base: srv.URL}
		p.do(chromedp.Navigate(srv.URL + "/"))
		p.waitReady()
		times = append(times, eval[float64](p, `window.__caplabFirstResultMs`))
		cancel()
	}
	slices.Sort(times)
	if len(times) > 0 {
		b.ReportMetric(times[len(times)/2], "ms-first-result")
	}
}
