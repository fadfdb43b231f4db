package site

import (
	"net/http"
	"os"
	"path"
	"strings"
)

// contentTypes is the allow-list of what the playground is made of: a file
// whose extension is not here (Go sources, Markdown, anything new) is never
// served. The types are fixed here rather than read from the system's MIME
// table so that a host's /etc/mime.types cannot change them.
var contentTypes = map[string]string{
	".html":        "text/html; charset=utf-8",
	".js":          "text/javascript; charset=utf-8",
	".css":         "text/css; charset=utf-8",
	".wasm":        "application/wasm", // instantiateStreaming refuses any other type
	".svg":         "image/svg+xml",
	".png":         "image/png",
	".ico":         "image/vnd.microsoft.icon",
	".json":        "application/json",
	".webmanifest": "application/manifest+json",
}

// testSuffixes mark test files that share an allowed extension
// (site_test.js, app.test.js, app.spec.js): never served.
var testSuffixes = []string{"_test", ".test", ".spec"}

// ContentSecurityPolicy is the policy of the playground. The page has no
// inline script, style or handler; the engine needs 'wasm-unsafe-eval' to
// compile main.wasm, the favicon is a data: URL, and the page only talks to
// its own origin (POST /api/scenarios). No one may frame it.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; " +
	"img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

const (
	// indexCacheControl makes the browser revalidate the page every time,
	// so a deploy is seen at once (it answers 304 when unchanged).
	indexCacheControl = "no-cache"
	// assetCacheControl is short until assets get hashed names: five
	// minutes bounds how long a stale app.js can pair with a new page.
	assetCacheControl = "public, max-age=300"
	// indexName is what "/" serves.
	indexName = "index.html"
)

// Handler serves the playground in dir: only files with an allowed
// extension, never tests, dotfiles, directories or anything outside dir
// (os.Root refuses ".." and symlinks that leave it), every response with
// the security headers. GET and HEAD only.
func Handler(dir string) http.Handler {
	return handler{dir: dir}
}

type handler struct{ dir string }

func (h handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	setSecurityHeaders(w.Header())
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, r.Method+" is not allowed here", http.StatusMethodNotAllowed)
		return
	}
	name, ok := assetName(r.URL.Path)
	if !ok {
		notFound(w)
		return
	}
	root, err := os.OpenRoot(h.dir)
	if err != nil {
		notFound(w)
		return
	}
	defer root.Close()
	f, err := root.Open(name)
	if err != nil {
		notFound(w)
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		notFound(w)
		return
	}
	w.Header().Set("Content-Type", contentTypes[path.Ext(name)])
	if name == indexName {
		w.Header().Set("Cache-Control", indexCacheControl)
	} else {
		w.Header().Set("Cache-Control", assetCacheControl)
	}
	http.ServeContent(w, r, name, fi.ModTime(), f)
}

// assetName maps a URL path to the relative name of an asset, or reports
// that the path can name none: not clean, a directory, a dotfile or dot
// directory (which includes ".."), a test, or an extension off the list.
func assetName(p string) (string, bool) {
	if p == "/" {
		return indexName, true
	}
	if !strings.HasPrefix(p, "/") || strings.HasSuffix(p, "/") || path.Clean(p) != p ||
		strings.ContainsAny(p, "\\\x00") {
		return "", false
	}
	name := p[1:]
	for _, seg := range strings.Split(name, "/") {
		if strings.HasPrefix(seg, ".") {
			return "", false
		}
	}
	ext := path.Ext(name)
	if _, ok := contentTypes[ext]; !ok {
		return "", false
	}
	stem := strings.TrimSuffix(path.Base(name), ext)
	for _, s := range testSuffixes {
		if strings.HasSuffix(stem, s) {
			return "", false
		}
	}
	return name, true
}

func setSecurityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", ContentSecurityPolicy)
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	// The page needs no referrer (it only calls its own API, which does
	// not read one), and /s/{id} paths are share links not to leak.
	h.Set("Referrer-Policy", "no-referrer")
}

func notFound(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
	http.Error(w, "404 page not found", http.StatusNotFound)
}
