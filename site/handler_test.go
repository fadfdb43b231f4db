package site_test

import (
	"crypto/rand"
	"crypto/rsa"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caplab/caplab/lambda/httpapi"
	"github.com/caplab/caplab/lambda/store/memstore"
	"github.com/caplab/caplab/site"
)

// securityHeaders are on every answer of the site handler, found or not.
var securityHeaders = [][2]string{
	{"Content-Security-Policy", site.ContentSecurityPolicy},
	{"X-Frame-Options", "DENY"},
	{"X-Content-Type-Options", "nosniff"},
	{"Referrer-Policy", "no-referrer"},
}

// siteFixture is a copy of the site's shape, with the files that must not
// be served beside the ones that must, and links into and out of it.
func siteFixture(t *testing.T) string {
	t.Helper()
	top := t.TempDir()
	dir := filepath.Join(top, "site")
	files := map[string]string{
		"index.html":       "<!doctype html><title>caplab</title>",
		"app.js":           "export {}",
		"style.css":        "body{}",
		"lib/engine.js":    "export {}",
		"main.wasm":        "\x00asm\x01\x00\x00\x00",
		"wasm_exec.js":     "'use strict';",
		"icon.svg":         "<svg xmlns='http://www.w3.org/2000/svg'/>",
		"icon.png":         "\x89PNG\r\n\x1a\n",
		"favicon.ico":      "\x00\x00\x01\x00",
		"presets.json":     "{}",
		"app.webmanifest":  "{}",
		"doc.go":           "package site",
		"handler.go":       "package site",
		"README.md":        "# The playground",
		"site_test.go":     "package site_test",
		"lib/form_test.js": "test()",
		"lib/form.test.js": "test()",
		"lib/form.spec.js": "test()",
		".hidden":          "secret",
		".git/config":      "secret",
		"lib/.env.js":      "secret",
		"notes.txt":        "not an asset",
		"dir.js/inner.js":  "a directory with an asset's name",
		"../go.mod":        "module outside",
		"../secret.js":     "outside",
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	links := map[string]string{
		"escape.js":     filepath.Join(top, "secret.js"), // absolute, out of dir
		"lib/up.js":     "../../secret.js",               // relative, out of dir
		"lib/outside":   top,                             // a directory out of dir
		"lib/inside.js": "engine.js",                     // stays in dir
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestHandlerServesAssets(t *testing.T) {
	dir := siteFixture(t)
	h := site.Handler(dir)
	tests := []struct {
		path, file, contentType, cacheControl string
	}{
		{"/", "index.html", "text/html; charset=utf-8", "no-cache"},
		{"/index.html", "index.html", "text/html; charset=utf-8", "no-cache"},
		{"/app.js", "app.js", "text/javascript; charset=utf-8", "public, max-age=300"},
		{"/style.css", "style.css", "text/css; charset=utf-8", "public, max-age=300"},
		{"/lib/engine.js", "lib/engine.js", "text/javascript; charset=utf-8", "public, max-age=300"},
		{"/lib/inside.js", "lib/engine.js", "text/javascript; charset=utf-8", "public, max-age=300"},
		{"/main.wasm", "main.wasm", "application/wasm", "public, max-age=300"},
		{"/wasm_exec.js", "wasm_exec.js", "text/javascript; charset=utf-8", "public, max-age=300"},
		{"/icon.svg", "icon.svg", "image/svg+xml", "public, max-age=300"},
		{"/icon.png", "icon.png", "image/png", "public, max-age=300"},
		{"/favicon.ico", "favicon.ico", "image/vnd.microsoft.icon", "public, max-age=300"},
		{"/presets.json", "presets.json", "application/json", "public, max-age=300"},
		{"/app.webmanifest", "app.webmanifest", "application/manifest+json", "public, max-age=300"},
	}
	for _, tt := range tests {
		for _, method := range []string{http.MethodGet, http.MethodHead} {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(method, tt.path, nil))
			if w.Code != http.StatusOK {
				t.Errorf("%s %s: status %d; want 200", method, tt.path, w.Code)
				continue
			}
			want, _ := os.ReadFile(filepath.Join(dir, tt.file))
			wantBody := string(want)
			if method == http.MethodHead {
				wantBody = ""
			}
			if got := w.Body.String(); got != wantBody {
				t.Errorf("%s %s: body %q; want %q", method, tt.path, got, wantBody)
			}
			hdr := w.Result().Header
			if got := hdr.Get("Content-Type"); got != tt.contentType {
				t.Errorf("%s %s: Content-Type %q; want %q", method, tt.path, got, tt.contentType)
			}
			if got := hdr.Get("Cache-Control"); got != tt.cacheControl {
				t.Errorf("%s %s: Cache-Control %q; want %q", method, tt.path, got, tt.cacheControl)
			}
			checkSecurityHeaders(t, method+" "+tt.path, hdr)
		}
	}
}

func TestHandlerRefuses(t *testing.T) {
	dir := siteFixture(t)
	h := site.Handler(dir)
	tests := []struct{ why, path string }{
		{"directory listing", "/lib/"},
		{"directory", "/lib"},
		{"directory with an asset's extension", "/dir.js"},
		{"Go source", "/doc.go"},
		{"Go source", "/handler.go"},
		{"Markdown", "/README.md"},
		{"Go test", "/site_test.go"},
		{"JS test", "/lib/form_test.js"},
		{"JS test", "/lib/form.test.js"},
		{"JS spec", "/lib/form.spec.js"},
		{"extension off the list", "/notes.txt"},
		{"dotfile", "/.hidden"},
		{"dot directory", "/.git/config"},
		{"dotfile with an asset's extension", "/lib/.env.js"},
		{"traversal", "/../go.mod"},
		{"traversal to an asset", "/../secret.js"},
		{"encoded traversal", "/%2e%2e/go.mod"},
		{"encoded slash traversal", "/lib%2f..%2f..%2fsecret.js"},
		{"traversal inside", "/lib/../doc.go"},
		{"traversal inside to an asset", "/lib/../app.js"},
		{"double slash", "//app.js"},
		{"dot segment", "/./app.js"},
		{"backslash", "/lib\\..\\app.js"},
		{"NUL", "/app.js%00.png"},
		{"absolute path", "/" + filepath.Join(filepath.Dir(dir), "secret.js")},
		{"absolute path in the path", filepath.Join(filepath.Dir(dir), "secret.js")},
		{"missing", "/nope.js"},
		{"no leading slash", "app.js"},
		{"symlink out (absolute)", "/escape.js"},
		{"symlink out (relative)", "/lib/up.js"},
		{"symlinked directory out", "/lib/outside/secret.js"},
		{"symlinked directory out, listed", "/lib/outside/"},
	}
	for _, tt := range tests {
		for _, method := range []string{http.MethodGet, http.MethodHead} {
			w := httptest.NewRecorder()
			r := httptest.NewRequest(method, "/", nil)
			r.URL.Path = decodePath(t, tt.path)
			h.ServeHTTP(w, r)
			if w.Code != http.StatusNotFound {
				t.Errorf("%s %q (%s): status %d; want 404 (body %.80q)", method, tt.path, tt.why, w.Code, w.Body.String())
			}
			if body := w.Body.String(); method == http.MethodGet && (strings.Contains(body, "secret") || strings.Contains(body, "package") || strings.Contains(body, "<a href")) {
				t.Errorf("%s %q (%s): the 404 body leaks %q", method, tt.path, tt.why, body)
			}
			checkSecurityHeaders(t, method+" "+tt.path, w.Result().Header)
		}
	}
}

// decodePath turns a request target into URL.Path as net/http does, so
// that "%2e%2e" arrives as "..".
func decodePath(t *testing.T, target string) string {
	t.Helper()
	if !strings.HasPrefix(target, "/") {
		return target
	}
	r, err := http.NewRequest(http.MethodGet, "http://127.0.0.1"+target, nil)
	if err != nil {
		t.Fatalf("request target %q: %v", target, err)
	}
	return r.URL.Path
}

func TestHandlerMethods(t *testing.T) {
	h := site.Handler(siteFixture(t))
	for _, method := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodOptions} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(method, "/index.html", strings.NewReader("x")))
		if w.Code != http.StatusMethodNotAllowed {
			t.Errorf("%s /index.html: status %d; want 405", method, w.Code)
		}
		if got := w.Header().Get("Allow"); got != "GET, HEAD" {
			t.Errorf("%s /index.html: Allow %q; want %q", method, got, "GET, HEAD")
		}
		checkSecurityHeaders(t, method+" /index.html", w.Result().Header)
	}
}

// TestHandlerBehindHTTPAPI: caplab serve and the Lambda put the handler
// behind httpapi, which serves /s/{id} through it as "/", so a shared
// page gets the same headers.
func TestHandlerBehindHTTPAPI(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	api := httpapi.New(httpapi.Config{BaseURL: "http://127.0.0.1", SigningKey: key, Site: site.Handler(siteFixture(t))}, memstore.New())
	tests := []struct {
		path string
		code int
	}{
		{"/", http.StatusOK},
		{"/s/AAAAAAAAAAAA", http.StatusOK},
		{"/app.js", http.StatusOK},
		{"/lib/", http.StatusNotFound},
		{"/doc.go", http.StatusNotFound},
	}
	for _, tt := range tests {
		w := httptest.NewRecorder()
		api.ServeHTTP(w, httptest.NewRequest(http.MethodGet, tt.path, nil))
		if w.Code != tt.code {
			t.Errorf("GET %s: status %d; want %d", tt.path, w.Code, tt.code)
		}
		checkSecurityHeaders(t, "GET "+tt.path, w.Result().Header)
	}
}

// TestHandlerRealSite serves this directory as caplab serve does: the
// page and its modules, and none of the package's Go, Markdown or tests.
func TestHandlerRealSite(t *testing.T) {
	h := site.Handler(siteDir)
	libs, err := filepath.Glob(filepath.Join(siteDir, "lib", "*.js"))
	if err != nil || len(libs) == 0 {
		t.Fatalf("no lib/*.js in %s (%v)", siteDir, err)
	}
	ok := []string{"/", "/app.js", "/style.css"}
	for _, l := range libs {
		ok = append(ok, "/lib/"+filepath.Base(l))
	}
	for _, p := range ok {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, p, nil))
		if w.Code != http.StatusOK {
			t.Errorf("GET %s: status %d; want 200", p, w.Code)
		}
	}
	for _, p := range []string{"/lib/", "/lib", "/doc.go", "/handler.go", "/README.md", "/site_test.go", "/handler_test.go", "/../go.mod"} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, p, nil))
		if w.Code != http.StatusNotFound {
			t.Errorf("GET %s: status %d; want 404", p, w.Code)
		}
	}
}

func checkSecurityHeaders(t *testing.T, what string, h http.Header) {
	t.Helper()
	for _, kv := range securityHeaders {
		if got := h.Get(kv[0]); got != kv[1] {
			t.Errorf("%s: %s %q; want %q", what, kv[0], got, kv[1])
		}
	}
}
