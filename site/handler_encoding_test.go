package site_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"

	"github.com/caplab/caplab/site"
	"github.com/caplab/caplab/site/sitebuild"
)

// builtFixture is a build's shape: hashed names with pre-compressed
// copies (marked by their content, not really compressed: the handler
// never looks inside).
func builtFixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"index.html":            "<!doctype html><title>built</title>",
		"index.html.br":         "index-br",
		"index.html.gz":         "index-gz",
		"sw.js":                 "self.x = 1",
		"app.ABCDEF23.js":       "export const app = 1",
		"app.ABCDEF23.js.br":    "app-br",
		"app.ABCDEF23.js.gz":    "app-gz",
		"main.QRSTUV45.wasm":    "\x00asm\x01\x00\x00\x00",
		"main.QRSTUV45.wasm.gz": "wasm-gz",
		"plain.js":              "export {}",
		"only.GHIJKL67.js.br":   "a compressed copy without its file",
		"main.abcdef23.wasm":    "\x00asm lower-case hash: not a build's name",
		".sitebuild.json":       "{}",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestHandlerEncodings: a pre-compressed copy is served when the client
// takes its encoding (brotli first, then gzip, else the file itself),
// always with Vary: Accept-Encoding where copies exist.
func TestHandlerEncodings(t *testing.T) {
	h := site.Handler(builtFixture(t))
	tests := []struct {
		path, accept, encoding, body string
	}{
		{"/app.ABCDEF23.js", "gzip, deflate, br, zstd", "br", "app-br"},
		{"/app.ABCDEF23.js", "br", "br", "app-br"},
		{"/app.ABCDEF23.js", "BR", "br", "app-br"},
		{"/app.ABCDEF23.js", "gzip", "gzip", "app-gz"},
		{"/app.ABCDEF23.js", "br;q=0, gzip", "gzip", "app-gz"},
		{"/app.ABCDEF23.js", "br;q=0.0, gzip;q=0.5", "gzip", "app-gz"},
		{"/app.ABCDEF23.js", "br;q=abc, gzip", "gzip", "app-gz"},
		{"/app.ABCDEF23.js", "gzip;q=0, br;q=0", "", "export const app = 1"},
		{"/app.ABCDEF23.js", "*", "br", "app-br"},
		{"/app.ABCDEF23.js", "gzip;q=0, *", "br", "app-br"},
		{"/app.ABCDEF23.js", "*;q=0", "", "export const app = 1"},
		{"/app.ABCDEF23.js", "identity", "", "export const app = 1"},
		{"/app.ABCDEF23.js", "", "", "export const app = 1"},
		{"/app.ABCDEF23.js", "brotli, gz", "", "export const app = 1"},
		{"/main.QRSTUV45.wasm", "br, gzip", "gzip", "wasm-gz"}, // no brotli copy
		{"/", "br", "br", "index-br"},
		{"/index.html", "gzip", "gzip", "index-gz"},
	}
	for _, tt := range tests {
		for _, method := range []string{http.MethodGet, http.MethodHead} {
			r := httptest.NewRequest(method, tt.path, nil)
			if tt.accept != "" {
				r.Header.Set("Accept-Encoding", tt.accept)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			what := method + " " + tt.path + " Accept-Encoding: " + tt.accept
			if w.Code != http.StatusOK {
				t.Errorf("%s: status %d; want 200", what, w.Code)
				continue
			}
			hdr := w.Result().Header
			if got := hdr.Get("Content-Encoding"); got != tt.encoding {
				t.Errorf("%s: Content-Encoding %q; want %q", what, got, tt.encoding)
			}
			if got := hdr.Get("Vary"); got != "Accept-Encoding" {
				t.Errorf("%s: Vary %q; want Accept-Encoding", what, got)
			}
			want := tt.body
			if method == http.MethodHead {
				want = ""
			}
			if got := w.Body.String(); got != want {
				t.Errorf("%s: body %q; want %q", what, got, want)
			}
			checkSecurityHeaders(t, what, hdr)
		}
	}
	// A file without copies does not vary.
	r := httptest.NewRequest(http.MethodGet, "/plain.js", nil)
	r.Header.Set("Accept-Encoding", "br, gzip")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusOK || w.Header().Get("Content-Encoding") != "" || w.Header().Get("Vary") != "" {
		t.Errorf("GET /plain.js: status %d, Content-Encoding %q, Vary %q; want 200 with neither", w.Code, w.Header().Get("Content-Encoding"), w.Header().Get("Vary"))
	}
}

// TestHandlerCaching: content-hashed names are immutable; the page and
// the service worker are revalidated on every load; anything else is
// short-lived.
func TestHandlerCaching(t *testing.T) {
	h := site.Handler(builtFixture(t))
	tests := []struct{ path, want string }{
		{"/", "no-cache"},
		{"/index.html", "no-cache"},
		{"/sw.js", "no-cache"},
		{"/app.ABCDEF23.js", "public, max-age=31536000, immutable"},
		{"/main.QRSTUV45.wasm", "public, max-age=31536000, immutable"},
		{"/main.abcdef23.wasm", "public, max-age=300"},
		{"/plain.js", "public, max-age=300"},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(http.MethodGet, tt.path, nil)
		r.Header.Set("Accept-Encoding", "br")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			t.Errorf("GET %s: status %d; want 200", tt.path, w.Code)
			continue
		}
		if got := w.Header().Get("Cache-Control"); got != tt.want {
			t.Errorf("GET %s: Cache-Control %q; want %q", tt.path, got, tt.want)
		}
	}
}

// TestHandlerBuiltRefuses: a hash the build did not write, a compressed
// copy asked for by name, a copy whose file is missing, the manifest: 404.
func TestHandlerBuiltRefuses(t *testing.T) {
	h := site.Handler(builtFixture(t))
	for _, p := range []string{
		"/app.ZZZZZZ22.js",       // unknown hash
		"/app.ABCDEF23.js.br",    // a copy by name
		"/app.ABCDEF23.js.gz",    // a copy by name
		"/only.GHIJKL67.js",      // a copy without its file
		"/main.QRSTUV45.wasm.br", // no such copy, and never by name
		"/.sitebuild.json",
	} {
		r := httptest.NewRequest(http.MethodGet, p, nil)
		r.Header.Set("Accept-Encoding", "br, gzip")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusNotFound {
			t.Errorf("GET %s: status %d; want 404", p, w.Code)
		}
		if got := w.Header().Get("Cache-Control"); got != "no-store" {
			t.Errorf("GET %s: Cache-Control %q; want no-store (a 404 must not stick)", p, got)
		}
	}
}

func TestIsHashed(t *testing.T) {
	for name, want := range map[string]bool{
		"app.ABCDEF23.js":        true,
		"codemirror.Q2W3E4R5.js": true,
		"main.Y6RDAFG2.wasm":     true,
		"style.SX3LN25A.css":     true,
		"boot.C276XTJU.json":     true,
		"app.js":                 false,
		"app.ABCDEF2.js":         false, // seven characters
		"app.ABCDEF231.js":       false, // nine
		"app.abcdef23.js":        false, // lower case is not esbuild's base32
		"app.ABCDEF01.js":        false, // 0 and 1 are not base32
		"lib/app.ABCDEF23.js":    false, // top level only
		"app.ABCDEF23.js.br":     false,
		"app.ABCDEF23.html":      false,
		"sw.js":                  false,
		"index.html":             false,
	} {
		if got := site.IsHashed(name); got != want {
			t.Errorf("IsHashed(%q) = %v; want %v", name, got, want)
		}
	}
}

// TestHandlerBuiltSite serves the build TestMain made (what make build
// ships): every file of its manifest, brotli when asked, decompressing to
// the file itself, immutable exactly when hashed.
func TestHandlerBuiltSite(t *testing.T) {
	h := site.Handler(builtDir)
	if len(built.Files) < 7 {
		t.Fatalf("the build wrote %d files: %+v", len(built.Files), built.Files)
	}
	for _, f := range built.Files {
		want, err := os.ReadFile(filepath.Join(builtDir, f.Name))
		if err != nil {
			t.Fatal(err)
		}
		for _, enc := range []string{"br", "gzip", ""} {
			path := "/" + f.Name
			if f.Name == "index.html" {
				path = "/"
			}
			r := httptest.NewRequest(http.MethodGet, path, nil)
			if enc != "" {
				r.Header.Set("Accept-Encoding", enc)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != http.StatusOK {
				t.Errorf("GET %s (%q): status %d; want 200", path, enc, w.Code)
				continue
			}
			gotEnc := w.Header().Get("Content-Encoding")
			wantEnc := enc
			if (enc == "br" && f.Brotli == 0) || (enc == "gzip" && f.Gzip == 0) {
				wantEnc = ""
			}
			if gotEnc != wantEnc {
				t.Errorf("GET %s (%q): Content-Encoding %q; want %q", path, enc, gotEnc, wantEnc)
			}
			if got := decode(t, gotEnc, w.Body.Bytes()); !bytes.Equal(got, want) {
				t.Errorf("GET %s (%q): the body does not decode to the file (%d bytes; want %d)", path, enc, len(got), len(want))
			}
			immutable := strings.Contains(w.Header().Get("Cache-Control"), "immutable")
			if immutable != f.Immutable || immutable != site.IsHashed(f.Name) {
				t.Errorf("GET %s: Cache-Control %q; the manifest says immutable=%v", path, w.Header().Get("Cache-Control"), f.Immutable)
			}
		}
	}
	r := httptest.NewRequest(http.MethodGet, "/"+sitebuild.ManifestName, nil)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusNotFound {
		t.Errorf("GET /%s: status %d; want 404", sitebuild.ManifestName, w.Code)
	}
}

func decode(t *testing.T, enc string, b []byte) []byte {
	t.Helper()
	var r io.Reader
	switch enc {
	case "br":
		r = brotli.NewReader(bytes.NewReader(b))
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("gzip: %v", err)
		}
		r = zr
	default:
		return b
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("%s: %v", enc, err)
	}
	return out
}
