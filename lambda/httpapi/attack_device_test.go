package httpapi_test

import (
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Attacks on the device flow's verification page (caplab issue 11): an
// attacker starts a device authorization and gets a victim to open
// /setup/connect?user_code=…; opening it must never connect the device.

const deviceAsks = "A device is asking to connect to your account (" + username + ")"

// preAuthorized makes ana pre-authorized: admin-approved app listed on her profile.
func preAuthorized(m map[string]any) {
	org := m["orgs"].([]any)[0].(map[string]any)
	org["profiles"].([]any)[0].(map[string]any)["connectedApps"] = []any{"Acme Sync"}
	m["apps"].([]any)[0].(map[string]any)["policies"] = map[string]any{"permittedUsers": "adminApproved"}
}

// webLogin logs the browser in through the web server flow, approving the
// app when asked (so the approval is recorded).
func webLogin(t *testing.T, e *env, b *browser) {
	t.Helper()
	q := url.Values{"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {callback}, "scope": {"api refresh_token"}}
	if cb := callbackParams(t, b.authorize(e.endpoint("authorize")+"?"+q.Encode(), username, password, "allow")); cb.Get("code") == "" {
		t.Fatalf("web server login: %v", cb)
	}
}

func connectURL(e *env, userCode string) string {
	return e.issuer + "/setup/connect?user_code=" + url.QueryEscape(userCode)
}

// assertConfirmation checks the page is the confirmation page: app, scopes,
// account, code, and a POST form with a CSRF token.
func assertConfirmation(t *testing.T, p page, userCode string) {
	t.Helper()
	if p.status != 200 || p.location != "" {
		t.Fatalf("got status %d, Location %q; want the confirmation page (200, no Location):\n%s", p.status, p.location, p.body)
	}
	for _, want := range []string{deviceAsks, "Acme Sync", "Manage user data via APIs (api)",
		"Perform requests at any time (refresh_token, offline_access)", strings.ToUpper(userCode),
		`method="post"`, `name="csrf"`, `name="decision" value="allow"`, `name="decision" value="deny"`} {
		if !strings.Contains(p.body, want) {
			t.Errorf("confirmation page lacks %q:\n%s", want, p.body)
		}
	}
	if p.header.Get("Content-Security-Policy") == "" || p.header.Get("Cache-Control") != "no-store" {
		t.Errorf("confirmation page headers: %v; want the pages' headers", p.header)
	}
}

func assertPending(t *testing.T, e *env, device string) {
	t.Helper()
	if st, m := pollDevice(t, e, device); st != 400 || m["error"] != "authorization_pending" {
		t.Fatalf("poll: got %d %v; want 400 authorization_pending", st, m)
	}
}

// Opening the link (logged in, or logging in on the page) shows the
// confirmation page and changes nothing, whether or not the engine needs
// the user's consent.
func TestAttackDeviceLinkNeverConnects(t *testing.T) {
	tests := []struct {
		name     string
		mutate   func(m map[string]any)
		approved bool // ana approved the app through the web server flow first
		loggedIn bool // the victim's browser is logged in when opening the link
	}{
		{"approved before, logged in", nil, true, true},
		{"pre-authorized, logged in", preAuthorized, false, true},
		{"approved before, logs in on the page", nil, true, false},
		{"pre-authorized, logs in on the page", preAuthorized, false, false},
		{"first use, logs in on the page", nil, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOpt{scenario: deviceScenario(t, tc.mutate)})
			_, m := startDevice(t, e, clientID)
			device, userCode := m["device_code"].(string), m["user_code"].(string)
			b := e.browser()
			if tc.approved || tc.loggedIn {
				webLogin(t, e, b)
			}
			if !tc.loggedIn {
				b = e.browser()
			}
			p := b.get(connectURL(e, userCode))
			if !tc.loggedIn {
				if !strings.Contains(p.body, `name="password"`) {
					t.Fatalf("logged out: got status %d; want the login form:\n%s", p.status, p.body)
				}
				login := b.postNoFollow(e.issuer+"/setup/connect", url.Values{"csrf": {csrf(t, p)}, "username": {username}, "password": {password}})
				wantLoc := e.orgPath + "/setup/connect?user_code=" + url.QueryEscape(userCode)
				if login.status != 303 || login.location != wantLoc {
					t.Fatalf("login: got %d Location %q; want 303 to %q", login.status, login.location, wantLoc)
				}
				assertPending(t, e, device)
				p = b.get(e.base + login.location)
			}
			assertConfirmation(t, p, userCode)
			assertPending(t, e, device)
			// Opening it again still shows the page: the code was not claimed.
			assertConfirmation(t, b.get(connectURL(e, userCode)), userCode)
			assertPending(t, e, device)
		})
	}
}

// The decision is a POST carrying the CSRF token of the confirmation page.
func TestAttackDeviceDecisionNeedsCSRF(t *testing.T) {
	e := newEnv(t, envOpt{scenario: deviceScenario(t, nil)})
	_, m := startDevice(t, e, clientID)
	device, userCode := m["device_code"].(string), m["user_code"].(string)
	b := e.browser()
	webLogin(t, e, b)
	page := b.get(connectURL(e, userCode))
	assertConfirmation(t, page, userCode)
	action := e.issuer + "/setup/connect"
	for name, form := range map[string]url.Values{
		"no csrf":    {"decision": {"allow"}},
		"wrong csrf": {"decision": {"allow"}, "csrf": {"forged"}},
	} {
		if p := b.postNoFollow(action, form); p.status != 403 || p.location != "" {
			t.Errorf("%s: got %d Location %q; want 403 and no redirect", name, p.status, p.location)
		}
	}
	// A cross-site POST without the browser's cookies.
	if p := e.browser().postNoFollow(action, url.Values{"decision": {"allow"}, "csrf": {csrf(t, page)}}); p.status != 403 {
		t.Errorf("POST without the flow cookie: got %d; want 403", p.status)
	}
	assertPending(t, e, device)

	p := b.postNoFollow(action, url.Values{"decision": {"allow"}, "csrf": {csrf(t, page)}})
	if p.status != 303 || !strings.HasSuffix(p.location, "/setup/connect?done=allow") {
		t.Fatalf("allow: got %d Location %q; want 303 to done=allow", p.status, p.location)
	}
	st, tok := pollDevice(t, e, device)
	if st != 200 || tok["access_token"] == nil || tok["refresh_token"] == nil {
		t.Fatalf("poll after allow: got %d %v; want tokens", st, tok)
	}
	// The code was claimed: a second decision is refused.
	if p := b.post(action, url.Values{"decision": {"allow"}, "csrf": {csrf(t, page)}}); !strings.Contains(p.body, "invalid, expired or already used") {
		t.Errorf("second decision: got %d; want the code refused:\n%s", p.status, p.body)
	}
}

// Deny counts even when the engine needs no consent: the device gets
// access_denied and no tokens.
func TestAttackDeviceDenyWithoutConsentNeeded(t *testing.T) {
	for name, mutate := range map[string]func(map[string]any){"approved before": nil, "pre-authorized": preAuthorized} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, envOpt{scenario: deviceScenario(t, mutate)})
			_, m := startDevice(t, e, clientID)
			device, userCode := m["device_code"].(string), m["user_code"].(string)
			b := e.browser()
			webLogin(t, e, b)
			page := b.get(connectURL(e, userCode))
			assertConfirmation(t, page, userCode)
			p := b.post(e.issuer+"/setup/connect", url.Values{"decision": {"deny"}, "csrf": {csrf(t, page)}})
			if p.status != 200 || !strings.Contains(p.body, "Access denied") {
				t.Fatalf("deny: got %d; want the Access denied page:\n%s", p.status, p.body)
			}
			for range 2 {
				if st, m := pollDevice(t, e, device); st != 400 || m["error"] != "access_denied" || m["error_description"] != "end-user denied authorization" {
					t.Fatalf("poll after deny: got %d %v; want 400 access_denied", st, m)
				}
			}
		})
	}
}

// Guessing user codes is throttled per client IP (RFC 8628 §5.1), and a
// throttled IP can't tell a right guess from a wrong one.
func TestAttackDeviceUserCodeGuessing(t *testing.T) {
	e := newEnv(t, envOpt{scenario: deviceScenario(t, nil), rateLimits: true, fixed: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)})
	_, m := startDevice(t, e, clientID)
	right := m["user_code"].(string)
	b := e.browser()
	for i := range 5 {
		p := b.get(connectURL(e, "WRNG-COD"+strconv.Itoa(i)))
		if p.status != 200 || !strings.Contains(p.body, "invalid, expired or already used") {
			t.Fatalf("wrong code %d: got %d; want 200 and the code refused:\n%s", i+1, p.status, p.body)
		}
	}
	for _, code := range []string{"WRNG-CODX", right} {
		p := e.browser().get(connectURL(e, code))
		if p.status != 429 {
			t.Fatalf("code %s after 5 wrong ones: got %d; want 429:\n%s", code, p.status, p.body)
		}
		if ra, err := strconv.Atoi(p.header.Get("Retry-After")); err != nil || ra < 1 {
			t.Errorf("Retry-After: got %q; want whole seconds >= 1", p.header.Get("Retry-After"))
		}
		if p.header.Get("Content-Security-Policy") == "" || strings.Contains(p.body, "Log in") || strings.Contains(p.body, "invalid, expired") {
			t.Errorf("429 page: headers %v body:\n%s; want the code form with the pages' headers, nothing about the code", p.header, p.body)
		}
	}
	// The limit refills (one lookup per 12 s): 13 s later one more lookup is allowed.
	e.clock.Advance(13 * time.Second)
	if p := b.get(connectURL(e, right)); p.status != 200 || !strings.Contains(p.body, `name="password"`) {
		t.Fatalf("after the refill: got %d; want the login form:\n%s", p.status, p.body)
	}
}

// A person's own flow is not eaten by the limit: re-showing the page for
// the code their flow cookie was issued for (reloads, the GET after login)
// is not charged.
func TestDeviceUserCodeReloadsNotThrottled(t *testing.T) {
	e := newEnv(t, envOpt{scenario: deviceScenario(t, nil), rateLimits: true, fixed: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)})
	_, m := startDevice(t, e, clientID)
	device, userCode := m["device_code"].(string), m["user_code"].(string)
	b := e.browser()
	for i := range 8 {
		if p := b.get(connectURL(e, strings.ToLower(userCode))); p.status != 200 || !strings.Contains(p.body, `name="password"`) {
			t.Fatalf("load %d: got %d; want the login form:\n%s", i+1, p.status, p.body)
		}
	}
	p := b.authorize(connectURL(e, userCode), username, password, "allow")
	if p.status != 200 || !strings.Contains(p.body, "Device connected") {
		t.Fatalf("approval: got %d; want Device connected:\n%s", p.status, p.body)
	}
	if st, m := pollDevice(t, e, device); st != 200 || m["access_token"] == nil {
		t.Fatalf("poll: got %d %v; want tokens", st, m)
	}
}
