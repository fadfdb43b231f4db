package httpapi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caplab/caplab/lambda/httpapi"
	"github.com/caplab/caplab/lambda/store/memstore"
	"github.com/caplab/caplab/policy"
)

var (
	fuzzOnce sync.Once
	fuzzH    http.Handler
	fuzzID   string
)

// fuzzServer is one in-process server with the test scenario shared.
func fuzzServer(t testing.TB) (http.Handler, string) {
	fuzzOnce.Do(func() {
		keys(t)
		fuzzH = httpapi.New(httpapi.Config{BaseURL: "http://127.0.0.1:1", SigningKey: serverKey, Now: time.Now, NoRateLimits: true}, memstore.New())
		rec := httptest.NewRecorder()
		fuzzH.ServeHTTP(rec, httptest.NewRequest("POST", "/api/scenarios", strings.NewReader(string(scenarioJSON(t, nil)))))
		if rec.Code != 201 {
			panic(rec.Body.String())
		}
		var share struct{ Issuer string }
		if err := json.Unmarshal(rec.Body.Bytes(), &share); err != nil {
			panic(err)
		}
		fuzzID = path.Base(share.Issuer) // the live org id: /o/{id} reaches the org
		rec = httptest.NewRecorder()
		fuzzH.ServeHTTP(rec, httptest.NewRequest("GET", "/o/"+fuzzID+"/.well-known/openid-configuration", nil))
		if rec.Code != 200 {
			panic("the fuzzed live org is not reachable: " + rec.Body.String())
		}
	})
	return fuzzH, fuzzID
}

func serve(h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// FuzzTokenForm: any body, Authorization header and Content-Type at the
// token, revoke and introspection endpoints gets a 4xx or 200, never a 500.
func FuzzTokenForm(f *testing.F) {
	f.Add("grant_type=authorization_code&code=abc&redirect_uri=https%3A%2F%2Fapp.acme.test%2Foauth%2Fcallback&code_verifier=x", "", "application/x-www-form-urlencoded")
	f.Add("grant_type=refresh_token&refresh_token=5Aep861x&client_id=acme_sync_key", "Basic YWNtZV9zeW5jX2tleTpz", "application/x-www-form-urlencoded")
	f.Add("grant_type=password&username=ana%40acme.test&password=p&client_id=acme_sync_key&client_secret=x", "", "application/x-www-form-urlencoded; charset=utf-8")
	f.Add("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJhY21lX3N5bmNfa2V5In0.c2ln", "", "application/x-www-form-urlencoded")
	f.Add("grant_type=client_credentials&scope=api", "Basic %%%", "application/x-www-form-urlencoded")
	f.Add("grant_type=a&grant_type=b", "Bearer x", "text/plain")
	f.Add("%zz=1&;;&==", "Basic Og==", "application/x-www-form-urlencoded")
	f.Fuzz(func(t *testing.T, body, auth, ctype string) {
		h, id := fuzzServer(t)
		for _, ep := range []string{"token", "revoke", "introspect"} {
			req := httptest.NewRequest("POST", "/o/"+id+"/services/oauth2/"+ep, strings.NewReader(body))
			req.Header.Set("Content-Type", ctype)
			if auth != "" {
				req.Header.Set("Authorization", auth)
			}
			if rec := serve(h, req); rec.Code >= 500 {
				t.Fatalf("%s: %d %s", ep, rec.Code, rec.Body)
			}
		}
	})
}

// FuzzAuthorizeQuery: any authorization request gets a page or a redirect
// to a registered callback, never a 500.
func FuzzAuthorizeQuery(f *testing.F) {
	f.Add("response_type=code&client_id=acme_sync_key&redirect_uri=https%3A%2F%2Fapp.acme.test%2Foauth%2Fcallback&state=x")
	f.Add("response_type=token&client_id=acme_sync_key&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcb&scope=api+openid")
	f.Add("client_id=acme_sync_key&client_id=x&redirect_uri=%zz")
	f.Add("response_type=code&client_id=acme_sync_key&redirect_uri=https%3A%2F%2Fevil.example&code_challenge=abc&code_challenge_method=plain")
	f.Fuzz(func(t *testing.T, query string) {
		h, id := fuzzServer(t)
		req := httptest.NewRequest("GET", "/o/"+id+"/services/oauth2/authorize", nil)
		req.URL.RawQuery = query
		rec := serve(h, req)
		if rec.Code >= 500 {
			t.Fatalf("%d %s", rec.Code, rec.Body)
		}
		if loc := rec.Header().Get("Location"); loc != "" && !strings.HasPrefix(loc, "https://app.acme.test/oauth/callback") && !strings.HasPrefix(loc, "http://127.0.0.1") {
			t.Fatalf("redirected to %s", loc)
		}
	})
}

// FuzzScenarioAPI: any document posted to /api/scenarios and /api/evaluate
// gets a 2xx or 4xx with a JSON body, never a 500 or a panic.
func FuzzScenarioAPI(f *testing.F) {
	doc, _ := policy.Preset("web-server-self-authorize")
	f.Add(string(doc), "")
	f.Add(`{"schemaVersion":1,"orgs":[{"name":"A"}],"events":[{"do":"wait","for":"1d"}]}`, "rfc")
	f.Add(`{"schemaVersion":1,"orgs":[{"name":"A"}],"apps":[{"name":"X","oauth":{"consumerKey":"3MVGabc"}}],"events":[]}`, "")
	f.Add(`[1,2,{"a":`, "salesforce")
	f.Add(`{"schemaVersion":1e400}`, "x")
	f.Fuzz(func(t *testing.T, doc, mode string) {
		h, _ := fuzzServer(t)
		for _, u := range []string{"/api/scenarios?mode=" + url.QueryEscape(mode), "/api/evaluate"} {
			req := httptest.NewRequest("POST", u, strings.NewReader(doc))
			rec := serve(h, req)
			if rec.Code >= 500 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
				t.Fatalf("%s: %d %q %s", u, rec.Code, rec.Header().Get("Content-Type"), rec.Body)
			}
		}
	})
}
