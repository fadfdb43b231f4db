package site

import (
	"net/http"
	"os"
	"path"
	"regexp"
	"strconv"
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
// compile main.wasm, the favicon is a data: URL, the only worker is the
// page's own service worker (sw.js, for offline use), and the page only
// talks to its own origin (POST /api/scenarios). No one may frame it.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; " +
	"img-src 'self' data:; connect-src 'self'; worker-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

const (
	// revalidateCacheControl makes the browser revalidate the page and the
	// service worker every time, so a deploy is seen at once (304 when
	// unchanged). They are the only files whose names stay the same.
	revalidateCacheControl = "no-cache"
	// immutableCacheControl is for content-hashed names (app.<hash>.js):
	// a name never gets other content, so a year without revalidation.
	immutableCacheControl = "public, max-age=31536000, immutable"
	// assetCacheControl is for anything else (an unbuilt site): five
	// minutes bounds how long a stale app.js can pair with a new page.
	assetCacheControl = "public, max-age=300"
	// indexName is what "/" serves.
	indexName = "index.html"
	// serviceWorkerName is the service worker: its name is its identity
	// in the browser, so it is never hashed.
	serviceWorkerName = "sw.js"
)

// hashedName is the shape of the names the build gives assets
// (site/sitebuild): stem, eight base32 characters of the content's
// SHA-256 (esbuild's hash), extension. Only files at the top level.
var hashedName = regexp.MustCompile(`^[a-z][a-z0-9_-]*\.[A-Z2-7]{8}\.(js|css|wasm|json)$`)

// IsHashed reports whether name (relative to the site directory) is a
// content-hashed asset, served as immutable.
func IsHashed(name string) bool { return hashedName.MatchString(name) }

// encodings are the pre-compressed copies the handler looks for beside a
// file (the build writes them), in order of preference: brotli is the
// smaller (main.wasm: about 0.99 MB against 1.34 MB gzip, 5 MB raw).
var encodings = []struct{ token, suffix string }{
	{"br", ".br"},
	{"gzip", ".gz"},
}

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
	hdr := w.Header()
	hdr.Set("Content-Type", contentTypes[path.Ext(name)])
	switch {
	case name == indexName || name == serviceWorkerName:
		hdr.Set("Cache-Control", revalidateCacheControl)
	case IsHashed(name):
		hdr.Set("Cache-Control", immutableCacheControl)
	default:
		hdr.Set("Cache-Control", assetCacheControl)
	}
	// A pre-compressed copy, when the client takes its encoding: the
	// identity file must exist too (it decides what is served at all).
	var body *os.File
	varies := false
	for _, enc := range encodings {
		cf, err := root.Open(name + enc.suffix)
		if err != nil {
			continue
		}
		cfi, err := cf.Stat()
		if err != nil || !cfi.Mode().IsRegular() {
			cf.Close()
			continue
		}
		varies = true
		if body != nil || !acceptsEncoding(r.Header.Get("Accept-Encoding"), enc.token) {
			cf.Close()
			continue
		}
		body, fi = cf, cfi
		hdr.Set("Content-Encoding", enc.token)
	}
	if body != nil {
		defer body.Close()
	} else {
		body = f
	}
	if varies {
		hdr.Add("Vary", "Accept-Encoding")
	}
	http.ServeContent(w, r, name, fi.ModTime(), body)
}

// acceptsEncoding reports whether an Accept-Encoding header takes token
// (RFC 9110 12.5.3): named with a non-zero weight, or matched by "*" with
// a non-zero weight when not named.
func acceptsEncoding(header, token string) bool {
	star := false
	for item := range strings.SplitSeq(header, ",") {
		name, params, _ := strings.Cut(item, ";")
		name = strings.ToLower(strings.TrimSpace(name))
		if name != token && name != "*" {
			continue
		}
		q := 1.0
		for p := range strings.SplitSeq(params, ";") {
			k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
				if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
					q = f
				} else {
					q = 0 // a weight that does not parse counts as a refusal
				}
			}
		}
		if name == token {
			return q > 0
		}
		star = q > 0
	}
	return star
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
