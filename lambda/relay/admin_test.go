package relay_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/caplab/caplab/lambda/relay"
	"github.com/caplab/caplab/lambda/store/memstore"
)

const initechJSON = `{
  "loginHost": "https://initech.my.salesforce.com/",
  "clientId": "3MVG9initech",
  "destinations": [
    {"id": "prod", "url": "HTTPS://Connector.Initech.example:443/oauth/callback"},
    {"id": "dev", "url": "http://127.0.0.1:5173/callback"}
  ]
}`

func TestAdminAPI(t *testing.T) {
	f := newFixture(t)
	auth := []string{"Authorization", "Bearer " + testAdminKey, "Content-Type", "application/json"}
	path := "/relay/admin/tenants/initech"

	// Authentication comes first, for every method.
	for _, hdr := range [][]string{
		nil,
		{"Authorization", "Bearer"},
		{"Authorization", "Bearer " + testAdminKey[:len(testAdminKey)-1]},
		{"Authorization", "Bearer " + testAdminKey + "x"},
		{"Authorization", "Basic " + testAdminKey},
		{"Authorization", testAdminKey},
	} {
		for _, m := range []string{"GET", "PUT", "DELETE"} {
			w := f.do(m, path, initechJSON, append(hdr, "Content-Type", "application/json")...)
			if w.Code != http.StatusUnauthorized || !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Bearer") {
				t.Fatalf("%s with %v: %d %s", m, hdr, w.Code, w.Body)
			}
		}
	}

	w := f.do("GET", path, "", auth...)
	if w.Code != http.StatusNotFound {
		t.Fatalf("GET missing: %d", w.Code)
	}
	w = f.do("PUT", path, initechJSON, auth...)
	if w.Code != http.StatusCreated {
		t.Fatalf("PUT: %d %s", w.Code, w.Body)
	}
	var v relay.TenantView
	if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
		t.Fatal(err)
	}
	if v.ID != "initech" || v.LoginHost != "https://initech.my.salesforce.com" || v.Issuer != v.LoginHost ||
		v.Destinations[0].URL != "https://connector.initech.example/oauth/callback" ||
		v.AuthorizeEndpoint != "https://initech.my.salesforce.com/services/oauth2/authorize" || v.RedirectURI != testCallback ||
		!v.UpdatedAt.Equal(t0) {
		t.Fatalf("PUT returned %+v", v)
	}
	// The registered tenant works at once.
	h := f.start("initech", "https://connector.initech.example/oauth/callback")
	wantRedirect(t, f.callback("code", "c", "state", h), http.StatusFound, "https://connector.initech.example/oauth/callback")

	w = f.do("PUT", path, strings.Replace(initechJSON, "3MVG9initech", "3MVG9initech2", 1), auth...)
	if w.Code != http.StatusOK {
		t.Fatalf("PUT replace: %d %s", w.Code, w.Body)
	}
	w = f.do("GET", path, "", auth...)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"clientId": "3MVG9initech2"`) {
		t.Fatalf("GET: %d %s", w.Code, w.Body)
	}
	if w.Header().Get("Cache-Control") != "no-store" || w.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("GET headers %v", w.Header())
	}

	// Refused documents.
	for name, body := range map[string]string{
		"unknown field":     `{"loginHost":"login","clientId":"k","destinations":[{"id":"a","url":"https://a.com/"}],"redirectUri":"x"}`,
		"id mismatch":       `{"id":"acme","loginHost":"login","clientId":"k","destinations":[{"id":"a","url":"https://a.com/"}]}`,
		"bad destination":   `{"loginHost":"login","clientId":"k","destinations":[{"id":"a","url":"https://a.com@evil.com/"}]}`,
		"http destination":  `{"loginHost":"login","clientId":"k","destinations":[{"id":"a","url":"http://a.com/"}]}`,
		"no destinations":   `{"loginHost":"login","clientId":"k","destinations":[]}`,
		"trailing data":     `{"loginHost":"login","clientId":"k","destinations":[{"id":"a","url":"https://a.com/"}]} {}`,
		"not JSON":          `loginHost=login`,
		"oversized":         `{"clientId":"` + strings.Repeat("k", 70<<10) + `"}`,
		"unknown loginHost": `{"loginHost":"evil","clientId":"k","destinations":[{"id":"a","url":"https://a.com/"}]}`,
	} {
		w := f.do("PUT", path, body, auth...)
		if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), `"error": "invalid_request"`) {
			t.Errorf("%s: %d %s", name, w.Code, w.Body)
		}
	}
	w = f.do("PUT", path, initechJSON, "Authorization", "Bearer "+testAdminKey, "Content-Type", "text/plain")
	if w.Code != http.StatusBadRequest {
		t.Errorf("text/plain PUT: %d", w.Code)
	}
	w = f.do("PUT", "/relay/admin/tenants/bad%20id", initechJSON, auth...)
	if w.Code != http.StatusBadRequest {
		t.Errorf("bad id: %d", w.Code)
	}
	w = f.do("POST", path, initechJSON, auth...)
	if w.Code != http.StatusMethodNotAllowed || w.Header().Get("Allow") == "" {
		t.Errorf("POST: %d", w.Code)
	}

	if w := f.do("DELETE", path, "", auth...); w.Code != http.StatusNoContent {
		t.Fatalf("DELETE: %d %s", w.Code, w.Body)
	}
	if w := f.do("DELETE", path, "", auth...); w.Code != http.StatusNotFound {
		t.Fatalf("DELETE again: %d", w.Code)
	}
	wantPage(t, f.do("GET", "/relay/start?"+startQuery("initech", "prod"), ""), http.StatusBadRequest, "unknown_tenant")
}

func TestAdminDisabled(t *testing.T) {
	h := relay.New(relay.Config{CallbackURL: testCallback}, memstore.NewRelay())
	f := &fixture{t: t, h: h}
	for _, key := range []string{"", " "} {
		w := f.do("PUT", "/relay/admin/tenants/acme", initechJSON, "Authorization", "Bearer"+key, "Content-Type", "application/json")
		if w.Code != http.StatusNotFound {
			t.Fatalf("disabled admin API: %d", w.Code)
		}
	}
}
