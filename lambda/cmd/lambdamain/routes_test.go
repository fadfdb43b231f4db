package lambdamain

import (
	"strings"
	"testing"
)

func TestRouteOwner(t *testing.T) {
	for _, tc := range []struct{ method, path, want string }{
		{"POST", "/o/abc/services/oauth2/token", "token"},
		{"POST", "/o/abc/services/oauth2/revoke", "token"},
		{"GET", "/o/abc/services/oauth2/userinfo", "token"},
		{"GET", "/o/abc/services/oauth2/authorize", "authorize"},
		{"POST", "/o/abc/services/oauth2/authorize", "authorize"},
		{"GET", "/o/abc/services/oauth2/token", "api"}, // wrong method: the catch-all answers 404 JSON
		{"GET", "/o/abc/services/oauth2/nope", "api"},
		{"GET", "/o/abc/id/keys", "api"},
		{"GET", "/o/abc/id/00D/005", "token"},
		{"GET", "/o/abc/services/data/v60.0/query", "token"},
		{"POST", "/api/scenarios", "api"},
		{"GET", "/api/scenarios/abc", "api"},
		{"GET", "/.well-known/oauth-authorization-server/o/abc", "api"},
		{"GET", "/", "api"}, // a live org's home page, reached only on an org subdomain
		{"POST", "/services/oauth2/token", "token"},
		{"GET", "/services/oauth2/authorize", "authorize"},
		{"GET", "/id/keys", "api"},
		{"GET", "/id/00D/005", "token"},
		{"GET", "/.well-known/openid-configuration", "api"},
		{"GET", "/.well-known/oauth-authorization-server", "api"},
		{"GET", "/services/data", "token"},
		{"GET", "/o/abc/services/data", "token"},
		{"POST", "/o/abc/services/Soap/u/60.0", "token"},
		{"GET", "/favicon.ico", ""},
		{"GET", "/o/abc", ""},
		{"GET", "/o/abc/services/oauth2/", ""},
		{"POST", "/api/scenarios/abc/extra", ""},
	} {
		got, ok := RouteOwner(tc.method, tc.path)
		if !ok {
			got.Name = ""
		}
		if got.Name != tc.want {
			t.Errorf("%s %s → %q, want %q", tc.method, tc.path, got.Name, tc.want)
		}
	}
}

func TestCheckBaseURL(t *testing.T) {
	for s, ok := range map[string]bool{
		"https://caplab.example.com":      true,
		"https://caplab.example.com:8443": true,
		"http://127.0.0.1:8080":           true,
		"http://caplab.example.com":       false,
		"https://caplab.example.com/x":    false,
		"https://u@caplab.example.com":    false,
		"caplab.example.com":              false,
		"https://caplab.example.com?x=1":  false,
	} {
		if err := checkBaseURL(s); (err == nil) != ok {
			t.Errorf("checkBaseURL(%q) = %v, want ok=%v", s, err, ok)
		}
	}
}

// Every live-org route exists under the /o/{id} alias and at the root.
func TestOrgRoutesAliasAndRoot(t *testing.T) {
	for _, fn := range Functions() {
		keys := map[string]bool{}
		for _, r := range fn.Routes {
			keys[r.Key()] = true
		}
		for _, r := range fn.Routes {
			if root, ok := strings.CutPrefix(r.Path, "/o/{id}"); ok && !keys[r.Method+" "+root] {
				t.Errorf("%s: %s has no root route %s %s", fn.Name, r.Key(), r.Method, root)
			}
		}
	}
}
