package httpapi_test

import (
	"net/url"
	"strings"
	"sync"
	"testing"
)

// deviceScenario enables the device flow (and token exchange) on the first app.
func deviceScenario(t *testing.T, mutate func(m map[string]any)) []byte {
	return scenarioJSON(t, func(m map[string]any) {
		o := appOAuth(m, 0)
		o["deviceFlow"] = true
		o["tokenExchange"] = true
		if mutate != nil {
			mutate(m)
		}
	})
}

// startDevice asks for a device code.
func startDevice(t *testing.T, e *env, cid string) (int, map[string]any) {
	t.Helper()
	st, _, m := postForm(t, e.endpoint("token"), url.Values{"response_type": {"device_code"}, "client_id": {cid}, "scope": {"api refresh_token"}}, "", "")
	return st, m
}

func pollDevice(t *testing.T, e *env, device string) (int, map[string]any) {
	t.Helper()
	st, _, m := postForm(t, e.endpoint("token"), url.Values{"grant_type": {"device"}, "code": {device}, "client_id": {clientID}}, "", "")
	return st, m
}

func TestDeviceFlow(t *testing.T) {
	e := newEnv(t, envOpt{scenario: deviceScenario(t, nil)})
	st, m := startDevice(t, e, clientID)
	if st != 200 || m["device_code"] == nil || m["user_code"] == nil || m["verification_uri"] != e.issuer+"/setup/connect" || m["interval"] != float64(5) {
		t.Fatalf("device authorization: %d %v", st, m)
	}
	device, user := m["device_code"].(string), m["user_code"].(string)
	if st, m := pollDevice(t, e, device); st != 400 || m["error"] != "authorization_pending" {
		t.Fatalf("pending: %d %v", st, m)
	}
	b := e.browser()
	p := b.authorize(e.issuer+"/setup/connect?user_code="+url.QueryEscape(strings.ToLower(user)), username, password, "allow")
	if p.status != 200 || !strings.Contains(p.body, "Device connected") {
		t.Fatalf("approval: %d %s", p.status, p.body)
	}
	st, m = pollDevice(t, e, device)
	if st != 200 || m["access_token"] == nil || m["refresh_token"] == nil {
		t.Fatalf("poll after allow: %d %v", st, m)
	}
	if st, body := getBearer(t, e.issuer+"/services/oauth2/userinfo", m["access_token"].(string)); st != 200 || !strings.Contains(body, `"preferred_username":"ana@acme.test"`) {
		t.Fatalf("userinfo: %d %s", st, body)
	}
	// The refresh token works.
	rf := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {m["refresh_token"].(string)}}
	if st, _, m := postForm(t, e.endpoint("token"), rf, clientID, clientSecret); st != 200 || m["access_token"] == nil {
		t.Fatalf("refresh: %d %v", st, m)
	}
	// Single use: a second poll fails, and the user code can't be used again.
	if st, m := pollDevice(t, e, device); st != 400 || m["error"] != "invalid_grant" {
		t.Fatalf("second poll: %d %v", st, m)
	}
	if p := b.get(e.issuer + "/setup/connect?user_code=" + url.QueryEscape(user)); !strings.Contains(p.body, "invalid, expired or already used") {
		t.Fatalf("reused user code: %d %s", p.status, p.body)
	}
	// The RFC 8628 grant type name works too.
	_, m = startDevice(t, e, clientID)
	st, _, m2 := postForm(t, e.endpoint("token"), url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "device_code": {m["device_code"].(string)}, "client_id": {clientID}}, "", "")
	if st != 400 || m2["error"] != "authorization_pending" {
		t.Fatalf("RFC grant type: %d %v", st, m2)
	}
	// Unknown device code.
	if st, m := pollDevice(t, e, "nope"); st != 400 || m["error"] != "invalid_grant" {
		t.Fatalf("unknown device code: %d %v", st, m)
	}
}

func TestDeviceFlowDeny(t *testing.T) {
	e := newEnv(t, envOpt{scenario: deviceScenario(t, nil)})
	_, m := startDevice(t, e, clientID)
	device, user := m["device_code"].(string), m["user_code"].(string)
	p := e.browser().authorize(e.issuer+"/setup/connect?user_code="+url.QueryEscape(user), username, password, "deny")
	if p.status != 200 || !strings.Contains(p.body, "Access denied") {
		t.Fatalf("deny page: %d %s", p.status, p.body)
	}
	if st, m := pollDevice(t, e, device); st != 400 || m["error"] != "access_denied" || m["error_description"] != "end-user denied authorization" {
		t.Fatalf("poll after deny: %d %v", st, m)
	}
}

func TestDeviceFlowExpires(t *testing.T) {
	e := newEnv(t, envOpt{scenario: deviceScenario(t, nil)})
	_, m := startDevice(t, e, clientID)
	e.clock.Advance(11 * 60 * 1e9)
	if st, m := pollDevice(t, e, m["device_code"].(string)); st != 400 || m["error"] != "invalid_grant" {
		t.Fatalf("expired device code: %d %v", st, m)
	}
}

func TestDeviceFlowDisabled(t *testing.T) {
	e := newEnv(t, envOpt{})
	st, m := startDevice(t, e, clientID)
	if st != 400 || m["error"] != "invalid_grant" || m["error_description"] != "device flow not enabled for this app" {
		t.Fatalf("device flow off: %d %v", st, m)
	}
	if st, m := pollDevice(t, e, "whatever"); st != 400 || m["error_description"] != "device flow not enabled for this app" {
		t.Fatalf("poll, device flow off: %d %v", st, m)
	}
	if st, m := startDevice(t, e, "unknown_key"); st != 400 || m["error"] != "invalid_client_id" {
		t.Fatalf("unknown client: %d %v", st, m)
	}
}

// subjectToken gets an access token for ana through the password flow
// (no approval of the app is recorded).
func subjectToken(t *testing.T, e *env) string {
	t.Helper()
	pw := url.Values{"grant_type": {"password"}, "username": {username}, "password": {password}}
	st, _, m := postForm(t, e.endpoint("token"), pw, clientID, clientSecret)
	if st != 200 {
		t.Fatalf("password flow: %d %v", st, m)
	}
	return m["access_token"].(string)
}

func tokenExchange(t *testing.T, e *env, subject, secret string) (int, map[string]any) {
	t.Helper()
	f := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:token-exchange"}, "subject_token": {subject},
		"subject_token_type": {"urn:ietf:params:oauth:token-type:access_token"}}
	st, _, m := postForm(t, e.endpoint("token"), f, clientID, secret)
	return st, m
}

func withPasswordFlows(m map[string]any) {
	m["orgs"].([]any)[0].(map[string]any)["settings"] = map[string]any{"allowUsernamePasswordFlows": true}
}

func TestTokenExchange(t *testing.T) {
	// Self-authorize, and ana never approved the app: denied.
	e := newEnv(t, envOpt{scenario: deviceScenario(t, withPasswordFlows)})
	sub := subjectToken(t, e)
	if st, m := tokenExchange(t, e, sub, clientSecret); st != 400 || m["error"] != "invalid_grant" || m["error_description"] != "user hasn't approved this consumer" {
		t.Fatalf("not approved: %d %v", st, m)
	}
	if st, m := tokenExchange(t, e, "unknown", clientSecret); st != 400 || m["error"] != "invalid_grant" {
		t.Fatalf("unknown subject: %d %v", st, m)
	}

	// Admin approved via ana's profile: granted, no refresh token.
	e = newEnv(t, envOpt{scenario: deviceScenario(t, func(m map[string]any) {
		withPasswordFlows(m)
		org := m["orgs"].([]any)[0].(map[string]any)
		org["profiles"].([]any)[0].(map[string]any)["connectedApps"] = []any{"Acme Sync"}
		m["apps"].([]any)[0].(map[string]any)["policies"] = map[string]any{"permittedUsers": "adminApproved"}
	})})
	sub = subjectToken(t, e)
	st, m := tokenExchange(t, e, sub, clientSecret)
	if st != 200 || m["access_token"] == nil || m["refresh_token"] != nil || m["issued_token_type"] != "urn:ietf:params:oauth:token-type:access_token" {
		t.Fatalf("admin approved: %d %v", st, m)
	}
	if got := introspect(t, e, m["access_token"].(string)); got["username"] != username {
		t.Fatalf("exchanged token runs as %v", got["username"])
	}
	if st, m := tokenExchange(t, e, sub, "wrong"); st != 400 || m["error"] != "invalid_client" {
		t.Fatalf("wrong secret: %d %v", st, m)
	}

	// Token exchange off: the engine's denial.
	e = newEnv(t, envOpt{scenario: scenarioJSON(t, withPasswordFlows)})
	sub = subjectToken(t, e)
	if st, m := tokenExchange(t, e, sub, clientSecret); st != 400 || m["error"] != "invalid_grant" || m["error_description"] != "token exchange not enabled for this app" {
		t.Fatalf("token exchange off: %d %v", st, m)
	}
}

// An admin-approved user still confirms the device (the engine needs no
// consent, but opening a link must not connect it); an unassigned one gets
// the engine's denial on the page and when the device polls.
func TestDeviceFlowAdminApproved(t *testing.T) {
	e := newEnv(t, envOpt{scenario: deviceScenario(t, func(m map[string]any) {
		org := m["orgs"].([]any)[0].(map[string]any)
		org["profiles"] = append(org["profiles"].([]any), map[string]any{"name": "Sync", "permissions": []any{"apiEnabled"}, "connectedApps": []any{"Acme Sync"}})
		org["users"].([]any)[0].(map[string]any)["profile"] = "Sync"
		m["apps"].([]any)[0].(map[string]any)["policies"] = map[string]any{"permittedUsers": "adminApproved"}
	})})
	_, m := startDevice(t, e, clientID)
	b := e.browser()
	connect := e.issuer + "/setup/connect?user_code=" + url.QueryEscape(m["user_code"].(string))
	login := b.get(connect)
	confirm := b.post(e.issuer+"/setup/connect", url.Values{"csrf": {csrf(t, login)}, "username": {username}, "password": {password}})
	if !strings.Contains(confirm.body, "A device is asking to connect to your account") {
		t.Fatalf("admin approved, after login: got %d; want the confirmation page:\n%s", confirm.status, confirm.body)
	}
	p := b.post(e.issuer+"/setup/connect", url.Values{"csrf": {csrf(t, confirm)}, "decision": {"allow"}})
	if !strings.Contains(p.body, "Device connected") {
		t.Fatalf("admin approved: %d %s", p.status, p.body)
	}
	if st, m := pollDevice(t, e, m["device_code"].(string)); st != 200 || m["access_token"] == nil {
		t.Fatalf("poll, admin approved: %d %v", st, m)
	}
	_, m = startDevice(t, e, clientID)
	p = e.browser().authorize(e.issuer+"/setup/connect?user_code="+url.QueryEscape(m["user_code"].(string)), "bo@acme.test", "password", "allow")
	if !strings.Contains(p.body, "user is not admin approved to access this app") {
		t.Fatalf("not assigned, page: %d %s", p.status, p.body)
	}
	if st, m := pollDevice(t, e, m["device_code"].(string)); st != 400 || m["error_description"] != "user is not admin approved to access this app" {
		t.Fatalf("poll, not assigned: %d %v", st, m)
	}
}

// Of concurrent polls after approval, exactly one gets tokens.
func TestDeviceCodeConcurrentPolls(t *testing.T) {
	e := newEnv(t, envOpt{scenario: deviceScenario(t, nil)})
	_, m := startDevice(t, e, clientID)
	e.browser().authorize(e.issuer+"/setup/connect?user_code="+url.QueryEscape(m["user_code"].(string)), username, password, "allow")
	device := m["device_code"].(string)
	const n = 8
	codes := make(chan int, n)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, _ := pollDevice(t, e, device)
			codes <- st
		}()
	}
	wg.Wait()
	close(codes)
	ok := 0
	for st := range codes {
		if st == 200 {
			ok++
		}
	}
	if ok != 1 {
		t.Fatalf("%d of %d concurrent polls got tokens; want 1", ok, n)
	}
}
