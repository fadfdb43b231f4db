package httpapi_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// Salesforce's revoke endpoint answers errors form-encoded and also takes
// GET ?token= (old clients); rfc mode answers JSON and only POST.
func TestRevokeShapes(t *testing.T) {
	e := newEnv(t, envOpt{scenario: scenarioJSON(t, withPasswordFlows)})
	st, h, m := postForm(t, e.endpoint("revoke"), url.Values{"token": {"nope"}}, "", "")
	if st != 400 || !strings.HasPrefix(h.Get("Content-Type"), "application/x-www-form-urlencoded") || m["error"] != "invalid_token" {
		t.Fatalf("salesforce-mode revoke error: %d %q %v; want 400 form-encoded invalid_token", st, h.Get("Content-Type"), m)
	}
	_, _, tok := postForm(t, e.endpoint("token"), url.Values{"grant_type": {"password"}, "username": {username}, "password": {password}}, clientID, clientSecret)
	at, _ := tok["access_token"].(string)
	resp, err := http.Get(e.endpoint("revoke") + "?token=" + url.QueryEscape(at))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET revoke?token=: %d; want 200", resp.StatusCode)
	}
	if m := introspect(t, e, at); m["active"] != false {
		t.Fatalf("after GET revoke the token introspects %v", m)
	}

	r := newEnv(t, envOpt{mode: "rfc"})
	st, h, m = postForm(t, r.endpoint("revoke"), url.Values{"token": {"nope"}}, clientID, clientSecret)
	if st != 200 {
		t.Fatalf("rfc-mode revoke of an unknown token: %d %v", st, m)
	}
	resp, err = http.Get(r.endpoint("revoke") + "?token=x")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "POST" {
		t.Fatalf("rfc-mode GET revoke: %d Allow %q; want 405 POST", resp.StatusCode, resp.Header.Get("Allow"))
	}
}

// The client credentials answer carries api_instance_url, as Salesforce's.
func TestClientCredentialsAPIInstanceURL(t *testing.T) {
	e := newEnv(t, envOpt{scenario: scenarioJSON(t, func(m map[string]any) {
		org := m["orgs"].([]any)[0].(map[string]any)
		org["profiles"].([]any)[0].(map[string]any)["permissions"] = []any{"apiEnabled", "apiOnlyUser"}
		appOAuth(m, 0)["clientCredentials"] = map[string]any{"enabled": true, "runAs": username}
	})})
	st, _, m := postForm(t, e.endpoint("token"), url.Values{"grant_type": {"client_credentials"}}, clientID, clientSecret)
	if st != 200 || m["api_instance_url"] != e.issuer || m["instance_url"] != e.issuer {
		t.Fatalf("client credentials: %d %v; want api_instance_url and instance_url %s", st, m, e.issuer)
	}
}
