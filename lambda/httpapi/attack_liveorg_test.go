package httpapi_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caplab/caplab/lambda/httpapi"
	"github.com/caplab/caplab/lambda/store"
)

// Attacks on live org identity, login, cookies, token exchange, revocation,
// quotas, retention and rate limits (issue 11). Each failed before the fix.

// A token response names the live org (id, instance_url, iss): none of
// that reads the scenario, and each share is its own live org, so a
// stranger who shares the same document shares nothing with you.
func TestAttackIssuerDoesNotReadScenario(t *testing.T) {
	e := newEnv(t, envOpt{scenario: scenarioJSON(t, withPasswordFlows)})
	st, _, tok := postForm(t, e.endpoint("token"), url.Values{"grant_type": {"password"}, "username": {username}, "password": {password}}, clientID, clientSecret)
	if st != 200 {
		t.Fatalf("password flow: %d %v", st, tok)
	}
	for _, field := range []string{"id", "instance_url"} {
		v, _ := tok[field].(string)
		if strings.Contains(v, e.id) {
			t.Fatalf("token response %s %q contains the share id %q", field, v, e.id)
		}
	}
	for _, u := range []string{
		e.base + "/api/scenarios/" + e.orgID,
		e.base + "/api/scenarios/" + e.orgID[:22],
		e.base + "/s/" + e.orgID,
	} {
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		body := readAll(resp)
		if strings.Contains(body, password) || strings.Contains(body, clientSecret) {
			t.Fatalf("GET %s revealed a secret of the scenario", u)
		}
	}
	// The same document shared again is another live org: its tokens and
	// approvals are not the first one's.
	first := e.issuer
	e.share(scenarioJSON(t, withPasswordFlows), "")
	if e.issuer == first {
		t.Fatal("the same document shared twice got the same live org")
	}
	st, _, m := postForm(t, e.endpoint("introspect"), url.Values{"token": {tok["access_token"].(string)}}, clientID, clientSecret)
	if st != 200 || m["active"] != false {
		t.Fatalf("the first live org's token introspects in the second: %d %v", st, m)
	}
}

// Login lockout: after the org's maximum invalid login attempts (10 by
// default) the right password no longer logs in until the lockout period
// (15 minutes) ends.
func TestAttackLoginLockout(t *testing.T) {
	e := newEnv(t, envOpt{})
	b := e.browser()
	authURL := e.endpoint("authorize") + "?" + url.Values{"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {callback}}.Encode()
	p := b.get(authURL)
	for i := range 10 {
		p = b.postNoFollow(e.endpoint("authorize"), url.Values{"csrf": {csrf(t, p)}, "username": {username}, "password": {"guess" + string(rune('a'+i))}})
		if p.status != 200 {
			t.Fatalf("wrong password %d: %d", i+1, p.status)
		}
	}
	if !strings.Contains(p.body, "locked out") {
		t.Fatalf("after 10 wrong passwords the page does not say the user is locked out:\n%s", p.body)
	}
	p = b.postNoFollow(e.endpoint("authorize"), url.Values{"csrf": {csrf(t, p)}, "username": {username}, "password": {password}})
	if p.status == http.StatusSeeOther || !strings.Contains(p.body, "locked out") {
		t.Fatalf("the right password during a lockout: %d %s; want the lockout answer, no session", p.status, p.location)
	}
	e.clock.Advance(16 * time.Minute)
	p = b.get(authURL)
	p = b.postNoFollow(e.endpoint("authorize"), url.Values{"csrf": {csrf(t, p)}, "username": {username}, "password": {password}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("after the lockout period: %d %s; want a login", p.status, p.body)
	}
}

// A stricter password policy locks sooner; the password grant counts too.
func TestAttackLockoutPolicy(t *testing.T) {
	e := newEnv(t, envOpt{scenario: scenarioJSON(t, func(m map[string]any) {
		m["orgs"].([]any)[0].(map[string]any)["settings"] = map[string]any{"allowUsernamePasswordFlows": true,
			"passwordPolicy": map[string]any{"maxInvalidLoginAttempts": "3", "lockoutPeriod": "forever"}}
	})})
	grant := func(pw string) (int, map[string]any) {
		st, _, m := postForm(t, e.endpoint("token"), url.Values{"grant_type": {"password"}, "username": {username}, "password": {pw}}, clientID, clientSecret)
		return st, m
	}
	for range 3 {
		if st, m := grant("wrong"); st != 400 || m["error"] != "invalid_grant" {
			t.Fatalf("wrong password: %d %v", st, m)
		}
	}
	if st, m := grant(password); st != 400 || m["error"] != "invalid_grant" || m["error_description"] != "authentication failure" {
		t.Fatalf("right password while locked out: %d %v; want invalid_grant authentication failure", st, m)
	}
	e.clock.Advance(24 * time.Hour)
	if st, _ := grant(password); st != 400 {
		t.Fatalf("a lockout \"forever\" ended after a day: %d", st)
	}
}

// Login posts are throttled per client IP (429 with Retry-After), whatever
// the username, so one address cannot try passwords at will.
func TestAttackLoginThrottle(t *testing.T) {
	e := newEnv(t, envOpt{rateLimits: true})
	b := e.browser()
	p := b.get(e.endpoint("authorize") + "?" + url.Values{"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {callback}}.Encode())
	var last page
	for i := range 40 {
		last = b.postNoFollow(e.endpoint("authorize"), url.Values{"csrf": {csrf(t, p)}, "username": {"user" + string(rune('a'+i%26)) + "@acme.test"}, "password": {"x"}})
		if last.status == http.StatusTooManyRequests {
			break
		}
		p = last
	}
	if last.status != http.StatusTooManyRequests || last.header.Get("Retry-After") == "" {
		t.Fatalf("40 login posts from one address: last %d, Retry-After %q; want 429 with Retry-After", last.status, last.header.Get("Retry-After"))
	}
}

// A session cookie replayed as a flow cookie, with an empty CSRF token,
// must not pass the form check: each cookie is bound to its purpose.
func TestAttackCookiePurpose(t *testing.T) {
	e := newEnv(t, envOpt{})
	b := e.browser()
	authURL := e.endpoint("authorize") + "?" + url.Values{"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {callback}, "state": {"st4te-12345"}}.Encode()
	p := b.get(authURL)
	p = b.postNoFollow(e.endpoint("authorize"), url.Values{"csrf": {csrf(t, p)}, "username": {username}, "password": {password}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("login: %d", p.status)
	}
	u, _ := url.Parse(e.base)
	var session *http.Cookie
	for _, c := range b.c.Jar.Cookies(&url.URL{Scheme: "http", Host: u.Host, Path: e.orgPath + "/"}) {
		if strings.HasPrefix(c.Name, "caplab_session") {
			session = c
		}
	}
	if session == nil {
		t.Fatal("no session cookie after login")
	}
	flowName := strings.Replace(session.Name, "caplab_session", "caplab_flow", 1)
	req, _ := http.NewRequest("POST", e.endpoint("authorize"), strings.NewReader(url.Values{"csrf": {""}, "decision": {"allow"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: flowName, Value: session.Value})
	req.AddCookie(session)
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || resp.Header.Get("Location") != "" {
		t.Fatalf("session cookie as flow cookie: %d Location %q; want 403", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// Token exchange can only narrow: the new token's scope is within the
// subject's, and it dies with the subject's grant.
func TestAttackTokenExchangeNarrowsAndDies(t *testing.T) {
	e := newEnv(t, envOpt{scenario: deviceScenario(t, func(m map[string]any) {
		org := m["orgs"].([]any)[0].(map[string]any)
		org["profiles"].([]any)[0].(map[string]any)["connectedApps"] = []any{"Acme Sync", "Other"}
		m["apps"].([]any)[0].(map[string]any)["policies"] = map[string]any{"permittedUsers": "adminApproved"}
		// The subject's app may read identity only.
		appOAuth(m, 1)["scopes"] = []any{"id", "refresh_token"}
	})})
	b := e.browser()
	q := url.Values{"response_type": {"code"}, "client_id": {otherID}, "redirect_uri": {callback}, "state": {"state-1234"}}
	cb := callbackParams(t, b.authorize(e.endpoint("authorize")+"?"+q.Encode(), username, password, "allow"))
	st, _, sub := postForm(t, e.endpoint("token"), url.Values{"grant_type": {"authorization_code"}, "code": {cb.Get("code")}, "redirect_uri": {callback}}, otherID, otherSecret)
	if st != 200 || sub["refresh_token"] == nil {
		t.Fatalf("subject tokens: %d %v", st, sub)
	}
	st, ex := tokenExchange(t, e, sub["access_token"].(string), clientSecret)
	if st != 200 {
		t.Fatalf("exchange: %d %v", st, ex)
	}
	if ex["scope"] != "id" {
		t.Fatalf("exchanged scope %q; want %q (the subject's id scope, not Acme Sync's api refresh_token openid id)", ex["scope"], "id")
	}
	derived := ex["access_token"].(string)
	if st, _ := getBearer(t, e.issuer+"/services/data/v62.0/", derived); st != 401 {
		t.Fatalf("REST API with an exchanged id-only token: %d; want 401", st)
	}
	if m := introspect(t, e, derived); m["active"] != true {
		t.Fatalf("exchanged token before the subject's revocation: %v", m)
	}
	if st, _, m := postForm(t, e.endpoint("revoke"), url.Values{"token": {sub["refresh_token"].(string)}}, "", ""); st != 200 {
		t.Fatalf("revoke the subject's refresh token: %d %v", st, m)
	}
	if m := introspect(t, e, derived); m["active"] != false {
		t.Fatalf("exchanged token after its subject's grant was revoked: %v; want inactive", m)
	}
}

// In rfc mode a client revokes only its own tokens (RFC 7009 §2.1).
func TestAttackRFCRevokeOthersToken(t *testing.T) {
	e := newEnv(t, envOpt{mode: "rfc", scenario: scenarioJSON(t, withPasswordFlows)})
	st, _, tok := postForm(t, e.endpoint("token"), url.Values{"grant_type": {"password"}, "username": {username}, "password": {password}}, clientID, clientSecret)
	if st != 200 {
		t.Fatalf("password flow: %d %v", st, tok)
	}
	at := tok["access_token"].(string)
	for name, c := range map[string][2]string{"another client": {otherID, otherSecret}, "no client": {"", ""}, "wrong secret": {clientID, "nope"}} {
		st, _, m := postForm(t, e.endpoint("revoke"), url.Values{"token": {at}}, c[0], c[1])
		if st == 200 {
			t.Fatalf("%s revoked the token: %d %v", name, st, m)
		}
	}
	if m := introspect(t, e, at); m["active"] != true {
		t.Fatalf("the token was revoked by another client: %v", m)
	}
	if st, _, m := postForm(t, e.endpoint("revoke"), url.Values{"token": {at}}, clientID, clientSecret); st != 200 {
		t.Fatalf("its own client: %d %v", st, m)
	}
}

// A live org records a bounded number of grants.
func TestAttackGrantQuota(t *testing.T) {
	e := newEnv(t, envOpt{scenario: scenarioJSON(t, withPasswordFlows), config: func(c *httpapi.Config) { c.MaxGrantsPerOrg = 3 }})
	form := url.Values{"grant_type": {"password"}, "username": {username}, "password": {password}}
	for i := range 3 {
		if st, _, m := postForm(t, e.endpoint("token"), form, clientID, clientSecret); st != 200 {
			t.Fatalf("grant %d: %d %v", i+1, st, m)
		}
	}
	st, _, m := postForm(t, e.endpoint("token"), form, clientID, clientSecret)
	if st != http.StatusTooManyRequests || m["error"] != "rate_limit_exceeded" {
		t.Fatalf("grant over the quota: %d %v; want 429 rate_limit_exceeded", st, m)
	}
}

// countingStore counts the grants ListApprovals returns.
type countingStore struct {
	store.Store
	listed atomic.Int64
}

func (c *countingStore) ListApprovals(ctx context.Context, orgID, user string) ([]store.Grant, error) {
	gs, err := c.Store.ListApprovals(ctx, orgID, user)
	c.listed.Add(int64(len(gs)))
	return gs, err
}

// A token request reads the requesting user's approvals by index, not
// every grant of the org: its cost does not grow with other users' grants.
func TestAttackApprovalsByIndex(t *testing.T) {
	var cs *countingStore
	e := newEnv(t, envOpt{scenario: scenarioJSON(t, withPasswordFlows), wrap: func(s store.Store) store.Store {
		cs = &countingStore{Store: s}
		return cs
	}})
	ctx := context.Background()
	for i := range 500 {
		g := store.Grant{ID: "noise" + string(rune('A'+i%26)) + strings.Repeat("x", i%7) + time.Duration(i).String(), ScenarioID: e.orgID,
			ClientID: clientID, Org: "Acme", User: "bo@acme.test", App: "Acme Sync", Interactive: true, Status: store.GrantActive,
			CreatedAt: time.Now(), Origin: store.Step{At: time.Now(), Event: []byte(`{"do":"authorize"}`)}}
		if err := e.st.Commit(ctx, store.Write{OrgID: e.orgID, Now: time.Now(), Grant: &g}); err != nil {
			t.Fatal(err)
		}
	}
	cs.listed.Store(0)
	if st, _, m := postForm(t, e.endpoint("token"), url.Values{"grant_type": {"password"}, "username": {username}, "password": {password}}, clientID, clientSecret); st != 200 {
		t.Fatalf("password flow: %d %v", st, m)
	}
	if n := cs.listed.Load(); n != 0 {
		t.Fatalf("a token request for %s read %d approvals; want none (500 belong to another user)", username, n)
	}
}

// Shares expire after their idle time: the document and its live org.
func TestAttackShareRetention(t *testing.T) {
	e := newEnv(t, envOpt{})
	get := func(u string) int {
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	e.clock.Advance(60 * 24 * time.Hour)
	if st := get(e.base + "/api/scenarios/" + e.id); st != 200 { // a read is a use
		t.Fatalf("share after 60 days: %d", st)
	}
	e.clock.Advance(89 * 24 * time.Hour)
	if st := get(e.issuer + "/.well-known/openid-configuration"); st != 200 {
		t.Fatalf("live org 89 days after its last use: %d", st)
	}
	e.clock.Advance(91 * 24 * time.Hour)
	for _, u := range []string{e.base + "/api/scenarios/" + e.id, e.issuer + "/.well-known/openid-configuration"} {
		if st := get(u); st != 404 {
			t.Fatalf("GET %s 91 days idle: %d; want 404", u, st)
		}
	}
}

// The public POST endpoints are rate-limited per client IP.
func TestAttackAPIRateLimits(t *testing.T) {
	e := newEnv(t, envOpt{rateLimits: true, scenario: []byte(nil)})
	doc := string(scenarioJSON(t, nil))
	for _, path := range []string{"/api/scenarios", "/api/evaluate"} {
		var st int
		var h http.Header
		for range 200 {
			if st, h, _ = post(t, e.base+path, doc); st == http.StatusTooManyRequests {
				break
			}
		}
		if st != http.StatusTooManyRequests || h.Get("Retry-After") == "" {
			t.Fatalf("POST %s 200 times: last %d, Retry-After %q; want 429 with Retry-After", path, st, h.Get("Retry-After"))
		}
	}
}

func readAll(resp *http.Response) string {
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
