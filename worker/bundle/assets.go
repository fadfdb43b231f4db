package bundle

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/caplab/caplab/site"
	"github.com/caplab/caplab/site/sitebuild"
)

// HeadersName is the static assets' header rules (Cloudflare's _headers).
const HeadersName = "_headers"

// maxHeaderRules is Cloudflare's limit on _headers rules; past it the
// upload is refused, so the build fails first.
const maxHeaderRules = 100

// notServedHeaders are what site.Handler sends that the asset host
// decides itself: validators, length, ranges, the encoding's Vary.
var notServedHeaders = []string{"Accept-Ranges", "Content-Length", "Date", "Etag", "Last-Modified", "Vary"}

// stageSite copies the site build's files (the manifest's, without the .br
// and .gz copies: Cloudflare compresses itself) into dir and writes
// _headers from what site.Handler answers for each, so the Worker's
// assets carry the same Content-Type, Cache-Control and security headers
// as `caplab serve` and CloudFront.
func stageSite(build, dir string, rep *Report) error {
	b, err := os.ReadFile(filepath.Join(build, sitebuild.ManifestName))
	if err != nil {
		return fmt.Errorf("bundle: %s is not a site build (run `make site`): %w", build, err)
	}
	var m sitebuild.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("bundle: %s: %w", sitebuild.ManifestName, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	h := site.Handler(build)
	paths := map[string]http.Header{}
	for _, f := range m.Files {
		if strings.ContainsAny(f.Name, "/\\") || strings.HasPrefix(f.Name, ".") {
			return fmt.Errorf("bundle: %s names %q", sitebuild.ManifestName, f.Name)
		}
		if err := copyFile(filepath.Join(build, f.Name), filepath.Join(dir, f.Name)); err != nil {
			return err
		}
		rep.Assets++
		rep.AssetBytes += int64(f.Bytes)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/"+f.Name, nil))
		if rec.Code != http.StatusOK {
			return fmt.Errorf("bundle: site.Handler answers %d for %s", rec.Code, f.Name)
		}
		paths["/"+f.Name] = rec.Header()
	}
	rules := headerRules(paths)
	rep.HeaderRules = len(rules)
	if len(rules) > maxHeaderRules {
		return fmt.Errorf("bundle: %d _headers rules; Cloudflare takes at most %d", len(rules), maxHeaderRules)
	}
	var out strings.Builder
	for _, r := range rules {
		out.WriteString(r)
	}
	return os.WriteFile(filepath.Join(dir, HeadersName), []byte(out.String()), 0o644)
}

// headerRules turns each path's headers into _headers rules: the headers
// every path has alike under /*, the rest under each path.
func headerRules(paths map[string]http.Header) []string {
	names := map[string]int{}
	for _, h := range paths {
		for k := range h {
			names[k]++
		}
	}
	common := http.Header{}
	for k, n := range names {
		if n != len(paths) || slices.Contains(notServedHeaders, k) {
			continue
		}
		same := true
		var first []string
		for _, h := range paths {
			if first == nil {
				first = h[k]
			} else if !slices.Equal(first, h[k]) {
				same = false
			}
		}
		if same {
			common[k] = first
		}
	}
	rule := func(path string, h http.Header, skip func(string) bool) string {
		var keys []string
		for k := range h {
			if !slices.Contains(notServedHeaders, k) && !skip(k) {
				keys = append(keys, k)
			}
		}
		if len(keys) == 0 {
			return ""
		}
		slices.Sort(keys)
		var b strings.Builder
		b.WriteString(path + "\n")
		for _, k := range keys {
			for _, v := range h[k] {
				fmt.Fprintf(&b, "  %s: %s\n", k, v)
			}
		}
		return b.String()
	}
	out := []string{rule("/*", common, func(string) bool { return false })}
	var sorted []string
	for p := range paths {
		sorted = append(sorted, p)
	}
	slices.Sort(sorted)
	for _, p := range sorted {
		if r := rule(p, paths[p], func(k string) bool { _, ok := common[k]; return ok }); r != "" {
			out = append(out, r)
		}
	}
	return out
}
