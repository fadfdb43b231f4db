package lambdamain_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/caplab/caplab/lambda/cmd/lambdamain"
)

func TestEdgeGuard(t *testing.T) {
	type seen struct{ remote, host, verify, viewerIP, viewerHost string }
	for _, tc := range []struct {
		name       string
		headers    map[string]string
		wantStatus int
		want       seen
	}{
		{"no origin header (the raw API URL)", nil, http.StatusForbidden, seen{}},
		{"wrong origin header", map[string]string{lambdamain.HeaderOriginVerify: originVerify + "x"}, http.StatusForbidden, seen{}},
		{"a prefix of the secret", map[string]string{lambdamain.HeaderOriginVerify: originVerify[:10]}, http.StatusForbidden, seen{}},
		{"through CloudFront", map[string]string{lambdamain.HeaderOriginVerify: originVerify, lambdamain.HeaderViewerIP: "198.51.100.7"},
			http.StatusOK, seen{remote: "198.51.100.7", host: "api.example.test"}},
		{"IPv6 viewer", map[string]string{lambdamain.HeaderOriginVerify: originVerify, lambdamain.HeaderViewerIP: "2001:db8::7"},
			http.StatusOK, seen{remote: "2001:db8::7", host: "api.example.test"}},
		{"viewer IP that is no IP keeps the source", map[string]string{lambdamain.HeaderOriginVerify: originVerify, lambdamain.HeaderViewerIP: "evil"},
			http.StatusOK, seen{remote: "192.0.2.1", host: "api.example.test"}},
		{"org subdomain host", map[string]string{lambdamain.HeaderOriginVerify: originVerify, lambdamain.HeaderViewerHost: "Abc123.Orgs.Example.Test"},
			http.StatusOK, seen{remote: "192.0.2.1", host: "abc123.orgs.example.test"}},
		{"other host is not taken", map[string]string{lambdamain.HeaderOriginVerify: originVerify, lambdamain.HeaderViewerHost: "abc.evil.test"},
			http.StatusOK, seen{remote: "192.0.2.1", host: "api.example.test"}},
		{"the org domain itself is not an org", map[string]string{lambdamain.HeaderOriginVerify: originVerify, lambdamain.HeaderViewerHost: "orgs.example.test"},
			http.StatusOK, seen{remote: "192.0.2.1", host: "api.example.test"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got seen
			called := false
			h := lambdamain.EdgeGuard(originVerify, "orgs.example.test", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				called = true
				got = seen{remote: r.RemoteAddr, host: r.Host, verify: r.Header.Get(lambdamain.HeaderOriginVerify),
					viewerIP: r.Header.Get(lambdamain.HeaderViewerIP), viewerHost: r.Header.Get(lambdamain.HeaderViewerHost)}
			}))
			req := httptest.NewRequest("GET", "https://api.example.test/o/abc/id/keys", nil)
			req.RemoteAddr = "192.0.2.1"
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.wantStatus {
				t.Fatalf("status %d; want %d (%s)", rec.Code, tc.wantStatus, rec.Body)
			}
			if tc.wantStatus == http.StatusForbidden {
				if called {
					t.Fatal("the handler ran for a refused request")
				}
				return
			}
			if got != tc.want {
				t.Fatalf("handler saw %+v; want %+v (edge headers removed)", got, tc.want)
			}
		})
	}
}
