package httpapi_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// The approval page is shown exactly when the engine puts the user on the
// consent screen (one evaluation, no consent=deny probe): first use of a
// self-authorize app, and also when a rule after the consent screen will
// refuse the request; never for a user who approved before, one an admin
// pre-authorized, or a request refused before the consent screen.
func TestApprovalPageWhenTheEngineAsks(t *testing.T) {
	policies := func(p map[string]any) func(m map[string]any) {
		return func(m map[string]any) { m["apps"].([]any)[0].(map[string]any)["policies"] = p }
	}
	onProfile := func(m map[string]any) {
		policies(map[string]any{"permittedUsers": "adminApproved"})(m)
		m["orgs"].([]any)[0].(map[string]any)["profiles"].([]any)[0].(map[string]any)["connectedApps"] = []any{"Acme Sync"}
	}
	cases := []struct {
		name      string
		mutate    func(m map[string]any)
		immediate bool
		approve   bool   // the user approved the app once before
		page      bool   // the approval page is shown
		wantError string // else the callback's error ("": a code)
		afterPage string // the callback's error once the user allows ("": a code)
	}{
		{name: "self-authorize, first use", page: true},
		{name: "self-authorize, approved before", approve: true},
		{name: "refused after the consent screen", mutate: policies(map[string]any{"highAssurance": "block"}), page: true, afterPage: "OAUTH_APP_BLOCKED"},
		{name: "pre-authorized by an admin", mutate: onProfile},
		{name: "admin approved, not pre-authorized", mutate: policies(map[string]any{"permittedUsers": "adminApproved"}), wantError: "OAUTH_APP_ACCESS_DENIED"},
		{name: "immediate, not approved", immediate: true, wantError: "immediate_unsuccessful"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, envOpt{scenario: scenarioJSON(t, c.mutate)})
			b := e.browser()
			q := url.Values{"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {callback}, "state": {"s1"}}
			authURL := e.endpoint("authorize") + "?" + q.Encode()
			if c.approve {
				if cb := callbackParams(t, b.authorize(authURL, username, password, "allow")); cb.Get("code") == "" {
					t.Fatalf("first approval: got %v; want a code", cb)
				}
			} else {
				b.login(t, e, authURL)
			}
			if c.immediate {
				q.Set("immediate", "true")
				authURL = e.endpoint("authorize") + "?" + q.Encode()
			}
			p := b.get(authURL)
			if got := strings.Contains(p.body, `name="decision"`); got != c.page {
				t.Fatalf("approval page shown = %v; want %v (status %d, location %q)", got, c.page, p.status, p.location)
			}
			want := c.wantError
			if c.page {
				p = b.postNoFollow(e.endpoint("authorize"), url.Values{"csrf": {csrf(t, p)}, "decision": {"allow"}})
				want = c.afterPage
			}
			cb := callbackParams(t, p)
			if cb.Get("error") != want || (want == "" && cb.Get("code") == "") {
				t.Errorf("callback %v; want error %q (a code when none)", cb, want)
			}
		})
	}
}

// login logs the browser in through the login form the authorize URL shows.
func (b *browser) login(t *testing.T, e *env, authURL string) {
	t.Helper()
	p := b.get(authURL)
	r := b.postNoFollow(e.endpoint("authorize"), url.Values{"csrf": {csrf(t, p)}, "username": {username}, "password": {password}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("login: got %d; want 303", r.status)
	}
}
