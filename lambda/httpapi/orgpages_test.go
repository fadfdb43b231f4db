package httpapi_test

import (
	"net/url"
	"strings"
	"testing"
)

// TestOrgRootShowsNoSecret: the live org's root page, which anyone who
// knows the issuer (every token response names it) can read, shows each
// app's client_id, the usernames and a PKCE login link, and no consumer
// secret or password: only the share link reads those.
func TestOrgRootShowsNoSecret(t *testing.T) {
	e := newEnv(t, envOpt{})
	pg := e.browser().get(e.issuer + "/")
	if pg.status != 200 {
		t.Fatalf("GET %s/: %d", e.issuer, pg.status)
	}
	for _, want := range []string{clientID, otherID, username, "bo@acme.test", "code_challenge=", "share link"} {
		if !strings.Contains(pg.body, want) {
			t.Errorf("the root page does not show %q", want)
		}
	}
	for _, secret := range []string{clientSecret, otherSecret, password} {
		if strings.Contains(pg.body, secret) {
			t.Errorf("the root page shows the secret %q", secret)
		}
	}
}

// TestLoginAndApprovalPages: the login page lists the org's users (and
// not their passwords), the approval page names each scope as Setup does,
// and both carry a favicon their CSP allows.
func TestLoginAndApprovalPages(t *testing.T) {
	e := newEnv(t, envOpt{})
	b := e.browser()
	auth := e.issuer + "/services/oauth2/authorize?" + url.Values{"response_type": {"code"}, "client_id": {clientID},
		"redirect_uri": {callback}, "scope": {"api refresh_token"}}.Encode()
	login := b.get(auth)
	for _, want := range []string{username, "bo@acme.test", `rel="icon" href="data:image/svg+xml,`} {
		if !strings.Contains(login.body, want) {
			t.Errorf("the login page does not show %q", want)
		}
	}
	if strings.Contains(login.body, password) {
		t.Errorf("the login page shows %s's password", username)
	}
	if csp := login.header.Get("Content-Security-Policy"); !strings.Contains(csp, "img-src data:") || strings.Contains(csp, "script-src") {
		t.Errorf("the login page's CSP %q; want data: images (the favicon) and still no script", csp)
	}
	m := csrfRe.FindStringSubmatch(login.body)
	if m == nil {
		t.Fatalf("no CSRF field on the login page")
	}
	consent := b.post(e.issuer+"/services/oauth2/authorize", url.Values{"csrf": {m[1]}, "username": {username}, "password": {password}})
	for _, want := range []string{"Allow Access?", "Manage user data via APIs (api)", "Perform requests at any time (refresh_token, offline_access)"} {
		if !strings.Contains(consent.body, want) {
			t.Errorf("the approval page does not say %q:\n%s", want, consent.body)
		}
	}
}
