package httpapi

import (
	"net/http"
	"strings"
)

// collapseSlashes serves "//services/data" as "/services/data" at a live
// org's origin, as Salesforce does. The Salesforce CLI keeps an
// --instance-url as "http://host/" and appends "/services/…" to it;
// http.ServeMux would answer such a path with a redirect whose relative
// Location jsforce cannot follow.
func collapseSlashes(r *http.Request) *http.Request {
	if !strings.Contains(r.URL.Path, "//") {
		return r
	}
	r2 := r.WithContext(r.Context())
	u := *r.URL // WithContext shares the URL: copy it before changing the path
	u.Path, u.RawPath = collapse(u.Path), collapse(u.RawPath)
	r2.URL = &u
	return r2
}

// collapse replaces each run of slashes with one.
func collapse(p string) string {
	var b strings.Builder
	b.Grow(len(p))
	for i := 0; i < len(p); i++ {
		if p[i] == '/' && i > 0 && p[i-1] == '/' {
			continue
		}
		b.WriteByte(p[i])
	}
	return b.String()
}
