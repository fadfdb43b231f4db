package sitebuild

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/andybalholm/brotli"

	"github.com/caplab/caplab/policy"
	"github.com/caplab/caplab/site"
	"github.com/caplab/caplab/wasm/protocol"
)

// fixtureIndex has every reference the build rewrites, once.
const fixtureIndex = `<!doctype html>
<meta name="caplab-engine" id="engine-wasm" content="/main.wasm">
<link rel="preload" id="boot-data" href="/boot.json" as="fetch" crossorigin>
<link rel="stylesheet" href="/style.css">
<script src="/wasm_exec.js" defer></script>
<script type="module" src="/app.js"></script>
<script type="application/json" id="boot-first"></script>
`

// fixture is a small site: app.js with a static import shared with a
// lazily imported module, so the bundle has an entry, a lazy chunk and a
// shared chunk. The engine is a stand-in module (no Go compile).
func fixture(t *testing.T) (src, wasm, wasmExec string) {
	t.Helper()
	dir := t.TempDir()
	src = filepath.Join(dir, "site")
	files := map[string]string{
		"index.html":    fixtureIndex,
		"style.css":     "body {\n  color: #123456;\n}\n",
		"sw.js":         "const VERSION = 'dev';\nconst ASSETS = [];\nself.v = [VERSION, ASSETS];\n",
		"app.js":        "import { shared } from './lib/shared.js';\nshared('app');\nexport const later = () => import('./lib/lazy.js');\n",
		"lib/shared.js": "export function shared(who) { globalThis.seen = (globalThis.seen || []).concat(who); }\n",
		"lib/lazy.js":   "import { shared } from './shared.js';\nshared('lazy');\nexport const lazy = 1;\n",
	}
	for name, body := range files {
		p := filepath.Join(src, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	wasm = filepath.Join(dir, "main.wasm")
	module := append([]byte("\x00asm\x01\x00\x00\x00"), bytes.Repeat([]byte("engine "), 4000)...)
	if err := os.WriteFile(wasm, module, 0o644); err != nil {
		t.Fatal(err)
	}
	wasmExec = filepath.Join(dir, "wasm_exec.js")
	if err := os.WriteFile(wasmExec, []byte("(() => { globalThis.Go = class Go { constructor() { this.importObject = {}; } }; })();\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return src, wasm, wasmExec
}

func buildFixture(t *testing.T, out string) (*Manifest, string) {
	t.Helper()
	src, wasm, wasmExec := fixture(t)
	root, err := findRoot()
	if err != nil {
		t.Fatal(err)
	}
	m, err := Build(Options{Root: root, Src: src, Out: out, Wasm: wasm, WasmExec: wasmExec})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return m, wasm
}

func TestBuild(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	m, wasmPath := buildFixture(t, out)
	wasm, _ := os.ReadFile(wasmPath)

	// Every file but the page and the worker has a content-hashed name.
	var names []string
	for _, f := range m.Files {
		names = append(names, f.Name)
		if want := f.Name != "index.html" && f.Name != "sw.js"; site.IsHashed(f.Name) != want || f.Immutable != want {
			t.Errorf("%s: hashed %v, immutable %v; want %v", f.Name, site.IsHashed(f.Name), f.Immutable, want)
		}
	}
	for _, pattern := range []string{"app.*.js", "lazy.*.js", "chunk.*.js", "style.*.css", "wasm_exec.*.js", "main.*.wasm", "boot.*.json", "answers-blocked-app.*.json"} {
		if _, ok := m.File(pattern); !ok {
			t.Errorf("the build wrote no %s: %v", pattern, names)
		}
	}
	// The hashes the build gives (esbuild names the JavaScript) are of the content.
	for _, pattern := range []string{"app.*.js", "style.*.css", "main.*.wasm", "boot.*.json", "wasm_exec.*.js"} {
		f, _ := m.File(pattern)
		data, _ := os.ReadFile(filepath.Join(out, f.Name))
		if h := strings.Split(f.Name, ".")[1]; h != contentHash(data) {
			t.Errorf("%s: hash %s; want %s", f.Name, h, contentHash(data))
		}
	}
	// The entry asks to be compiled as it streams in; the lazy chunks do not.
	for _, f := range m.Files {
		if !strings.HasSuffix(f.Name, ".js") || strings.HasPrefix(f.Name, "wasm_exec.") {
			continue
		}
		data, _ := os.ReadFile(filepath.Join(out, f.Name))
		if hinted, entry := bytes.HasPrefix(data, []byte(compileHint)), strings.HasPrefix(f.Name, "app."); hinted != entry {
			t.Errorf("%s: starts with the compile hint %v; want %v", f.Name, hinted, entry)
		}
	}
	wasmFile, _ := m.File("main.*.wasm")
	if got, _ := os.ReadFile(filepath.Join(out, wasmFile.Name)); !bytes.Equal(got, wasm) {
		t.Errorf("%s is not the engine given", wasmFile.Name)
	}

	// index.html names each file once, the module with its size.
	index, _ := os.ReadFile(filepath.Join(out, "index.html"))
	for _, pattern := range []string{"app.*.js", "style.*.css", "wasm_exec.*.js", "main.*.wasm", "boot.*.json"} {
		f, _ := m.File(pattern)
		if n := strings.Count(string(index), `"/`+f.Name+`"`); n != 1 {
			t.Errorf("index.html names %s %d times; want once:\n%s", f.Name, n, index)
		}
	}
	if want := `content="/` + wasmFile.Name + `" data-bytes="` + strconv.Itoa(len(wasm)) + `"`; !strings.Contains(string(index), want) {
		t.Errorf("index.html lacks %s", want)
	}
	chunk, _ := m.File("chunk.*.js")
	if !strings.Contains(string(index), `<link rel="modulepreload" href="/`+chunk.Name+`">`) {
		t.Errorf("index.html does not preload the shared chunk %s:\n%s", chunk.Name, index)
	}
	lazy, _ := m.File("lazy.*.js")
	if strings.Contains(string(index), lazy.Name) {
		t.Errorf("index.html preloads the lazy chunk %s", lazy.Name)
	}
	for _, ref := range []string{`"/app.js"`, `"/style.css"`, `"/main.wasm"`, `"/wasm_exec.js"`, `"/boot.json"`} {
		if strings.Contains(string(index), ref) {
			t.Errorf("index.html still names %s", ref)
		}
	}

	// The worker keeps every file of the build, and "/".
	sw, _ := os.ReadFile(filepath.Join(out, "sw.js"))
	m1 := regexp.MustCompile(`const ASSETS = (\[.*\]);`).FindSubmatch(sw)
	if m1 == nil {
		t.Fatalf("sw.js has no asset list:\n%s", sw)
	}
	var assets []string
	if err := json.Unmarshal(m1[1], &assets); err != nil {
		t.Fatal(err)
	}
	want := []string{"/"}
	for _, n := range names {
		if n != "index.html" && n != "sw.js" {
			want = append(want, "/"+n)
		}
	}
	slices.Sort(want)
	if !slices.Equal(assets, want) {
		t.Errorf("sw.js keeps %v; want %v", assets, want)
	}
	if strings.Contains(string(sw), "'dev'") {
		t.Errorf("sw.js keeps the version 'dev'")
	}

	// Compressed copies decompress to their file; the manifest says their sizes.
	for _, f := range m.Files {
		data, _ := os.ReadFile(filepath.Join(out, f.Name))
		if f.Bytes != len(data) {
			t.Errorf("%s: manifest says %d bytes; the file has %d", f.Name, f.Bytes, len(data))
		}
		for _, c := range []struct {
			suffix string
			size   int
			open   func(io.Reader) (io.Reader, error)
		}{
			{".br", f.Brotli, func(r io.Reader) (io.Reader, error) { return brotli.NewReader(r), nil }},
			{".gz", f.Gzip, func(r io.Reader) (io.Reader, error) { return gzip.NewReader(r) }},
		} {
			comp, err := os.ReadFile(filepath.Join(out, f.Name+c.suffix))
			if c.size == 0 {
				if err == nil {
					t.Errorf("%s%s exists; the manifest says none", f.Name, c.suffix)
				}
				continue
			}
			if err != nil || len(comp) != c.size || c.size >= len(data) {
				t.Errorf("%s%s: %d bytes (%v); the manifest says %d, the file has %d", f.Name, c.suffix, len(comp), err, c.size, len(data))
				continue
			}
			r, err := c.open(bytes.NewReader(comp))
			if err != nil {
				t.Fatal(err)
			}
			if got, err := io.ReadAll(r); err != nil || !bytes.Equal(got, data) {
				t.Errorf("%s%s does not decompress to the file (%v)", f.Name, c.suffix, err)
			}
		}
	}
	if f, _ := m.File("main.*.wasm"); f.Brotli == 0 || f.Gzip == 0 {
		t.Errorf("the engine has no compressed copies: %+v", f)
	}
}

// TestBootAnswers: the answers shipped for the first paint are the
// engine's, for every preset: the default preset's in boot.<hash>.json,
// each other's in the file it names.
func TestBootAnswers(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	m, _ := buildFixture(t, out)
	f, _ := m.File("boot.*.json")
	data, _ := os.ReadFile(filepath.Join(out, f.Name))
	var bt Boot
	if err := json.Unmarshal(data, &bt); err != nil {
		t.Fatal(err)
	}
	presets := policy.Presets()
	if len(bt.Scenarios) != len(presets) || len(bt.Answers) != 1 || len(bt.Files) != len(presets)-1 || len(presets) < 2 {
		t.Fatalf("boot has %d scenarios, %d answers inline, %d files for %d presets", len(bt.Scenarios), len(bt.Answers), len(bt.Files), len(presets))
	}
	if _, ok := bt.Answers[DefaultPreset]; !ok {
		t.Fatalf("boot does not carry the default preset's answers inline: %v", bt.Answers)
	}
	now := time.Now() // every preset has its own clock: any time gives the same answers
	for _, p := range presets {
		a, ok := bt.Answers[p.Name]
		if !ok {
			file := bt.Files[p.Name]
			if !site.IsHashed(strings.TrimPrefix(file, "/")) || !strings.HasPrefix(file, "/answers-"+p.Name+".") {
				t.Errorf("%s: answers file %q; want /answers-%s.<hash>.json", p.Name, file, p.Name)
				continue
			}
			b, err := os.ReadFile(filepath.Join(out, file))
			if err != nil {
				t.Errorf("%s: %v", p.Name, err)
				continue
			}
			if err := json.Unmarshal(b, &a); err != nil {
				t.Fatal(err)
			}
		}
		scenario := bt.Scenarios[p.Name]
		for _, q := range []struct {
			req  string
			want json.RawMessage
		}{
			{`{"version":1,"op":"preset","name":` + strconv.Quote(p.Name) + `}`, scenario},
			{`{"version":1,"op":"evaluate","noFixes":true,"scenario":` + string(scenario) + `}`, a.Result},
			{`{"version":1,"op":"fixes","scenario":` + string(scenario) + `}`, a.Fixes},
		} {
			var resp struct {
				OK     bool            `json:"ok"`
				Result json.RawMessage `json:"result"`
			}
			if err := json.Unmarshal(protocol.Handle([]byte(q.req), now), &resp); err != nil || !resp.OK {
				t.Fatalf("%s: %v %s", p.Name, err, resp.Result)
			}
			if !jsonEqual(t, resp.Result, q.want) {
				t.Errorf("%s: the shipped answer to %.60s… differs from the engine's", p.Name, q.req)
			}
		}
	}
}

// TestFirstBootInPage: index.html carries the engine's info and the default
// preset's scenario and answers, as boot.<hash>.json has them, in a JSON
// block whose text cannot end its <script> element.
func TestFirstBootInPage(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	m, _ := buildFixture(t, out)
	html, err := os.ReadFile(filepath.Join(out, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	const open = `<script type="application/json" id="boot-first">`
	i := strings.Index(string(html), open)
	j := strings.Index(string(html[i+len(open):]), "</script>")
	if i < 0 || j < 0 {
		t.Fatalf("index.html has no %s…</script>", open)
	}
	text := html[i+len(open) : i+len(open)+j]
	if strings.ContainsAny(string(text), "<>&") {
		t.Errorf("the page's answers hold <, > or & unescaped")
	}
	var first FirstBoot
	if err := json.Unmarshal(text, &first); err != nil {
		t.Fatal(err)
	}
	f, _ := m.File("boot.*.json")
	data, _ := os.ReadFile(filepath.Join(out, f.Name))
	var bt Boot
	if err := json.Unmarshal(data, &bt); err != nil {
		t.Fatal(err)
	}
	if first.Version != 1 || len(first.Scenarios) != 1 || len(first.Answers) != 1 {
		t.Fatalf("the page carries version %d, %d scenarios, %d answers; want version 1 and the default preset's alone", first.Version, len(first.Scenarios), len(first.Answers))
	}
	a, b := first.Answers[DefaultPreset], bt.Answers[DefaultPreset]
	if !jsonEqual(t, first.Info, bt.Info) || !jsonEqual(t, first.Scenarios[DefaultPreset], bt.Scenarios[DefaultPreset]) ||
		!jsonEqual(t, a.Result, b.Result) || !jsonEqual(t, a.Fixes, b.Fixes) {
		t.Errorf("the page's answers differ from boot.json's")
	}
}

// TestDefaultPresetAsAppJS: the build ships inline the answers of the
// preset the page opens.
func TestDefaultPresetAsAppJS(t *testing.T) {
	root, _ := findRoot()
	app, err := os.ReadFile(filepath.Join(root, "site", "app.js"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "const DEFAULT_PRESET = '" + DefaultPreset + "';"; !strings.Contains(string(app), want) {
		t.Errorf("site/app.js lacks %s (sitebuild.DefaultPreset)", want)
	}
}

func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var va, vb any
	if err := json.Unmarshal(a, &va); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &vb); err != nil {
		t.Fatal(err)
	}
	ja, _ := json.Marshal(va)
	jb, _ := json.Marshal(vb)
	return bytes.Equal(ja, jb)
}

// TestBuildReplacesOnlyABuild: a rebuild replaces the previous output
// (no stale hashed files left); a directory that is not a build is left
// alone.
func TestBuildReplacesOnlyABuild(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	buildFixture(t, out)
	stale := filepath.Join(out, "app.AAAAAAAA.js")
	if err := os.WriteFile(stale, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	buildFixture(t, out)
	if _, err := os.Stat(stale); err == nil {
		t.Errorf("a rebuild left %s", stale)
	}

	other := t.TempDir()
	keep := filepath.Join(other, "precious.txt")
	os.WriteFile(keep, []byte("mine"), 0o644)
	src, wasm, wasmExec := fixture(t)
	root, _ := findRoot()
	_, err := Build(Options{Root: root, Src: src, Out: other, Wasm: wasm, WasmExec: wasmExec})
	if err == nil || !strings.Contains(err.Error(), "not replacing it") {
		t.Errorf("Build into a directory that is not a build: %v; want a refusal", err)
	}
	if b, err := os.ReadFile(keep); err != nil || string(b) != "mine" {
		t.Errorf("the build touched %s: %q %v", keep, b, err)
	}
}

// TestBuildNeedsEveryReference: an index.html that lost a reference fails
// the build (and leaves the previous output) rather than ship a page that
// loads nothing.
func TestBuildNeedsEveryReference(t *testing.T) {
	for _, ref := range []string{`href="/style.css"`, `src="/wasm_exec.js"`, `content="/main.wasm"`, `href="/boot.json"`, `<script type="module" src="/app.js"></script>`,
		`<script type="application/json" id="boot-first"></script>`} {
		t.Run(ref, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			src, wasm, wasmExec := fixture(t)
			os.WriteFile(filepath.Join(src, "index.html"), []byte(strings.Replace(fixtureIndex, ref, "", 1)), 0o644)
			root, _ := findRoot()
			_, err := Build(Options{Root: root, Src: src, Out: out, Wasm: wasm, WasmExec: wasmExec})
			if err == nil || !strings.Contains(err.Error(), ref) {
				t.Fatalf("Build without %s: %v; want an error naming it", ref, err)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("a failed build wrote %s", out)
			}
		})
	}
}

func TestBuildRefusesWhatIsNotAModule(t *testing.T) {
	src, _, wasmExec := fixture(t)
	notWasm := filepath.Join(t.TempDir(), "main.wasm")
	os.WriteFile(notWasm, []byte("<html>404</html>"), 0o644)
	root, _ := findRoot()
	_, err := Build(Options{Root: root, Src: src, Out: filepath.Join(t.TempDir(), "out"), Wasm: notWasm, WasmExec: wasmExec})
	if err == nil || !strings.Contains(err.Error(), "not a WebAssembly module") {
		t.Errorf("Build with %s: %v; want an error", notWasm, err)
	}
}

// TestWasmFlagsAsMakefile: the tests and the benchmark build the engine
// as make wasm does, so they measure the module that ships.
func TestWasmFlagsAsMakefile(t *testing.T) {
	root, err := findRoot()
	if err != nil {
		t.Fatal(err)
	}
	mk, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^WASM_GCFLAGS\s*:=\s*(\S+)\s*$`).FindSubmatch(mk)
	if m == nil {
		t.Fatal("the Makefile sets no WASM_GCFLAGS")
	}
	if string(m[1]) != wasmGCFlags {
		t.Errorf("the Makefile builds the engine with -gcflags=%s; sitebuild with -gcflags=%s", m[1], wasmGCFlags)
	}
	if !strings.Contains(string(mk), `-ldflags="-s -w"`) || !strings.Contains(string(mk), "-trimpath") {
		t.Errorf("the Makefile's engine build lost -trimpath or -ldflags=\"-s -w\" (sitebuild uses both)")
	}
}
