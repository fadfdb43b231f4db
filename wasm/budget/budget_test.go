//go:build !js

// Package budget holds the WebAssembly module to its budgets: it builds
// ./wasm for js/wasm exactly as the site ships it and fails when the
// module's brotli size passes 1 MB, or when the module links a package
// outside the allow-list below (the import that would break the size bar is
// named with the chain that brought it in). It runs in make test (test-go).
package budget

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"

	"github.com/caplab/caplab/site/sitebuild"
)

// maxBrotliBytes is the product's bar: the playground's engine under 1 MB
// (10^6 bytes) brotli, the way the site ships it (quality 11).
const maxBrotliBytes = 1_000_000

// brotliWindow is site/sitebuild's window for the shipped .br (16 MiB).
const brotliWindow = 24

// allowedStd is every public standard library package the module may link.
// A new one costs bytes: add it here only after checking the size margin.
// The toolchain's internal packages (a path with an "internal" element)
// are allowed: they come in only through the public ones listed here.
var allowedStd = []string{
	"bytes", "cmp", "context", "embed", "encoding", "encoding/base64", "encoding/json", "errors",
	"fmt", "io", "io/fs", "iter", "math", "math/bits", "net/netip", "net/url", "os", "path",
	"reflect", "runtime", "slices", "strconv", "strings", "sync", "sync/atomic", "syscall",
	"syscall/js", "time", "unicode", "unicode/utf16", "unicode/utf8", "unique", "unsafe", "weak",
}

// ours is the module path; of our packages the module may link only the
// entry, the protocol, the engine and the engine's internal packages.
const ours = "github.com/caplab/caplab/"

func allowed(pkg string, standard bool) bool {
	if standard {
		return slices.Contains(allowedStd, pkg) || slices.Contains(strings.Split(pkg, "/"), "internal")
	}
	switch pkg {
	case ours + "wasm", ours + "wasm/protocol", ours + "policy":
		return true
	}
	return strings.HasPrefix(pkg, ours+"policy/internal/")
}

// root is the module root.
func root(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		t.Fatalf("no go.mod at %s: %v", dir, err)
	}
	return dir
}

// goCmd runs the go command for js/wasm in the module root.
func goCmd(t *testing.T, dir string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return out
}

// TestModuleDependencies: every package the js/wasm module links is on the
// allow-list; a package that is not is named with the imports that bring
// it in.
func TestModuleDependencies(t *testing.T) {
	dir := root(t)
	// The build flags of the shipped module, so that any build tag or
	// flag that changes the package set changes it here too.
	args := append([]string{"list", "-deps", "-f", "{{.ImportPath}}\t{{.Standard}}\t{{join .Imports \" \"}}"}, sitebuild.WasmBuildArgs[1:]...)
	out := goCmd(t, dir, append(args, "./wasm")...)
	imports := map[string][]string{}
	var outside []string
	for line := range strings.Lines(strings.TrimSpace(string(out))) {
		f := strings.Split(strings.TrimSuffix(line, "\n"), "\t")
		if len(f) != 3 {
			t.Fatalf("go list line %q: want path, standard, imports", line)
		}
		imports[f[0]] = strings.Fields(f[2])
		if !allowed(f[0], f[1] == "true") {
			outside = append(outside, f[0])
		}
	}
	if len(imports) < 10 {
		t.Fatalf("go list found %d packages; want the engine's dependencies", len(imports))
	}
	for _, pkg := range outside {
		t.Errorf("the js/wasm module links %s, which is not on the allow-list (imported via %s): keep it out of the engine, or add it to allowedStd after checking TestModuleSize's margin",
			pkg, strings.Join(importChain(imports, ours+"wasm", pkg), " → "))
	}
}

// importChain is the shortest chain of imports from one package to another.
func importChain(imports map[string][]string, from, to string) []string {
	prev := map[string]string{from: ""}
	queue := []string{from}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if p == to {
			var chain []string
			for ; p != ""; p = prev[p] {
				chain = append(chain, p)
			}
			slices.Reverse(chain)
			return chain
		}
		for _, q := range imports[p] {
			if _, seen := prev[q]; !seen {
				prev[q] = p
				queue = append(queue, q)
			}
		}
	}
	return []string{"?", to}
}

func TestImportChain(t *testing.T) {
	imports := map[string][]string{"main": {"a", "b"}, "a": {"fmt"}, "b": {"c"}, "c": {"encoding/xml", "fmt"}}
	if got, want := strings.Join(importChain(imports, "main", "encoding/xml"), " → "), "main → b → c → encoding/xml"; got != want {
		t.Errorf("got %q; want %q", got, want)
	}
}

// TestModuleSize builds the module as the site does and compresses it as
// the site does: brotli quality 11 must stay under 1 MB.
func TestModuleSize(t *testing.T) {
	t.Parallel() // the compression takes seconds of one core
	dir := root(t)
	wasm := filepath.Join(t.TempDir(), "main.wasm")
	if err := sitebuild.BuildWasm(dir, wasm); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(wasm)
	if err != nil {
		t.Fatal(err)
	}
	size, err := brotliSize(data, brotliVersion(t, dir))
	if err != nil {
		t.Fatal(err)
	}
	report := fmt.Sprintf("main.wasm: %d bytes, brotli q11 %d bytes; budget %d: margin %d bytes (%.1f%%)",
		len(data), size, maxBrotliBytes, maxBrotliBytes-size, 100*float64(maxBrotliBytes-size)/maxBrotliBytes)
	if size > maxBrotliBytes {
		t.Fatalf("%s: over the 1 MB budget; TestModuleDependencies names what the module links", report)
	}
	t.Log(report)
}

// brotliSize is the size of data compressed as the site ships it. Quality
// 11 takes seconds; the size of a module already measured is read from the
// user's cache (keyed by the module's SHA-256 and the brotli version), as
// the go command caches the build itself.
func brotliSize(data []byte, version string) (int, error) {
	key := fmt.Sprintf("%x-q%d-w%d-%s", sha256.Sum256(data), brotli.BestCompression, brotliWindow, version)
	cache := ""
	if dir, err := os.UserCacheDir(); err == nil {
		cache = filepath.Join(dir, "caplab", "wasm-brotli-size", key)
		if b, err := os.ReadFile(cache); err == nil {
			if n, err := strconv.Atoi(string(b)); err == nil {
				return n, nil
			}
		}
	}
	var br bytes.Buffer
	w := brotli.NewWriterOptions(&br, brotli.WriterOptions{Quality: brotli.BestCompression, LGWin: brotliWindow})
	if _, err := w.Write(data); err != nil {
		return 0, err
	}
	if err := w.Close(); err != nil {
		return 0, err
	}
	if cache != "" && os.MkdirAll(filepath.Dir(cache), 0o755) == nil {
		_ = os.WriteFile(cache, []byte(strconv.Itoa(br.Len())), 0o644) // a cache: best effort
	}
	return br.Len(), nil
}

// brotliVersion is the version of the brotli module in go.mod.
func brotliVersion(t *testing.T, dir string) string {
	return strings.TrimSpace(string(goCmd(t, dir, "list", "-m", "-f", "{{.Version}}", "github.com/andybalholm/brotli")))
}

// TestMakefileBuildsAsTheSite: make wasm (site/main.wasm, which make
// test-wasm and caplab serve --site site use) passes the go build flags of
// sitebuild.WasmBuildArgs, the ones measured here.
func TestMakefileBuildsAsTheSite(t *testing.T) {
	mk, err := os.ReadFile(filepath.Join(root(t), "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{}
	var recipe string
	for line := range strings.Lines(string(mk)) {
		line = strings.TrimSpace(line)
		if name, value, ok := strings.Cut(line, ":="); ok && !strings.ContainsAny(strings.TrimSpace(name), " \t$") {
			vars[strings.TrimSpace(name)] = strings.TrimSpace(value)
		}
		if strings.Contains(line, "$(GO) build") && strings.HasSuffix(line, "./wasm") {
			recipe = line
		}
	}
	if recipe == "" {
		t.Fatal("the Makefile has no recipe running $(GO) build … ./wasm")
	}
	for name, value := range vars {
		recipe = strings.ReplaceAll(recipe, "$("+name+")", value)
	}
	_, build, _ := strings.Cut(recipe, "$(GO) ")
	got := shellWords(build)
	got = slices.DeleteFunc(got, func(w string) bool { return w == "-o" || w == "$@" || w == "./wasm" })
	if want := sitebuild.WasmBuildArgs; !slices.Equal(got, want) {
		t.Errorf("make wasm runs go %q; want go %q (sitebuild.WasmBuildArgs, what the site ships and this test measures)", got, want)
	}
}

// shellWords splits a command line as sh does for the quoting a Makefile
// recipe uses: words, '…' and "…" (no escapes or expansions).
func shellWords(s string) []string {
	var words []string
	var w strings.Builder
	inWord := false
	quote := rune(0)
	for _, c := range s {
		switch {
		case quote != 0 && c == quote:
			quote = 0
		case quote != 0:
			w.WriteRune(c)
		case c == '\'' || c == '"':
			quote, inWord = c, true
		case c == ' ' || c == '\t':
			if inWord {
				words = append(words, w.String())
				w.Reset()
				inWord = false
			}
		default:
			w.WriteRune(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, w.String())
	}
	return words
}

func TestShellWords(t *testing.T) {
	got := shellWords(`build -trimpath -ldflags="-s -w" -gcflags='all=-l'  -o $@ ./wasm`)
	want := []string{"build", "-trimpath", "-ldflags=-s -w", "-gcflags=all=-l", "-o", "$@", "./wasm"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q; want %q", got, want)
	}
}
