package lambdamain

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"net"
	"net/http"
	"strings"
)

// Headers between CloudFront and the functions (infra/template.yaml sets
// them: the first as an origin custom header, which CloudFront writes over
// any viewer header of that name; the others from the ApiEdge CloudFront
// Function, which overwrites them on every request).
const (
	HeaderOriginVerify = "X-Caplab-Origin-Verify" // the stack's secret: the request came through CloudFront
	HeaderViewerIP     = "X-Caplab-Viewer-Ip"     // the viewer's address as CloudFront saw it
	HeaderViewerHost   = "X-Caplab-Viewer-Host"   // the Host the viewer asked for (API Gateway needs its own)
)

// EdgeGuard makes CloudFront the only way in. A request without the
// origin secret reached the raw API Gateway endpoint and gets 403 (so the
// API's own URL is no second entry point that skips the WAF). Behind
// CloudFront, API Gateway's source address is a CloudFront edge, so the
// viewer's address from HeaderViewerIP becomes RemoteAddr (the per-IP
// limits of httpapi use it), and with live-org subdomains the viewer's
// Host {id}.{orgDomain} becomes the request's Host (host routing).
func EdgeGuard(secret, orgDomain string, h http.Handler) http.Handler {
	want := sha256.Sum256([]byte(secret))
	orgDomain = strings.ToLower(strings.Trim(orgDomain, "."))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := sha256.Sum256([]byte(r.Header.Get(HeaderOriginVerify)))
		if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			w.Header().Set("Content-Type", "application/json;charset=UTF-8")
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusForbidden)
			b, _ := json.Marshal(map[string]string{"error": "forbidden", "error_description": "use the public URL (CloudFront); the API endpoint does not answer directly"})
			w.Write(append(b, '\n'))
			return
		}
		r = r.Clone(r.Context())
		r.Header.Del(HeaderOriginVerify) // never reaches a handler or a log
		if ip := net.ParseIP(strings.TrimSpace(r.Header.Get(HeaderViewerIP))); ip != nil {
			r.RemoteAddr = ip.String()
		}
		if host := strings.ToLower(strings.TrimSpace(r.Header.Get(HeaderViewerHost))); orgDomain != "" && strings.HasSuffix(host, "."+orgDomain) {
			r.Host = host
		}
		r.Header.Del(HeaderViewerIP)
		r.Header.Del(HeaderViewerHost)
		h.ServeHTTP(w, r)
	})
}
