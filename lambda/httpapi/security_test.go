package httpapi_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// getCode runs the authorization (login + consent) and returns the code.
func getCode(t *testing.T, e *env, b *browser, extra url.Values) string {
	t.Helper()
	q := url.Values{"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {callback}, "state": {"state-1234"}}
	for k, v := range extra {
		q[k] = v
	}
	p := b.authorize(e.endpoint("authorize")+"?"+q.Encode(), username, password, "allow")
	cb := callbackParams(t, p)
	if cb.Get("code") == "" {
		t.Fatalf("no code: %s", p.location)
	}
	return cb.Get("code")
}

func exchange(t *testing.T, e *env, code, verifier string, extra url.Values) (int, http.Header, map[string]any) {
	t.Helper()
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {callback},
		"client_id": {clientID}, "client_secret": {clientSecret}}
	if verifier != "" {
		form.Set("code_verifier", verifier)
	}
	for k, v := range extra {
		form[k] = v
		if len(v) == 0 {
			form.Del(k)
		}
	}
	return postForm(t, e.endpoint("token"), form, "", "")
}

func pkce() (verifier string, params url.Values) {
	v := oauth2.GenerateVerifier()
	return v, url.Values{"code_challenge": {oauth2.S256ChallengeFromVerifier(v)}, "code_challenge_method": {"S256"}}
}

// B1: 50 concurrent redemptions of one code against the embedded store:
// exactly one gets tokens; the others are a replay, which revokes them.
func TestCodeRace(t *testing.T) {
	e := newEnv(t, envOpt{bolt: true})
	v, params := pkce()
	code := getCode(t, e, e.browser(), params)
	var ok, bad atomic.Int32
	var winner atomic.Value
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 50 {
		wg.Go(func() {
			<-start
			st, _, m := exchange(t, e, code, v, nil)
			switch {
			case st == 200:
				ok.Add(1)
				winner.Store(m["access_token"].(string))
			case st == 400 && m["error"] == "invalid_grant":
				bad.Add(1)
			default:
				t.Errorf("unexpected %d %v", st, m)
			}
		})
	}
	close(start)
	wg.Wait()
	if ok.Load() != 1 || bad.Load() != 49 {
		t.Fatalf("%d successes and %d invalid_grant; want 1 and 49", ok.Load(), bad.Load())
	}
	// The losers were replays: the winner's token is revoked.
	if m := introspect(t, e, winner.Load().(string)); m["active"] != false {
		t.Fatalf("winner's token after replays: %v", m)
	}
}

// B2, A7: a replayed code is refused and revokes the tokens of the first
// redemption: introspection says inactive, userinfo 401, refresh refused.
func TestCodeReplayRevokes(t *testing.T) {
	e := newEnv(t, envOpt{})
	v, params := pkce()
	code := getCode(t, e, e.browser(), params)
	st, _, first := exchange(t, e, code, v, nil)
	if st != 200 {
		t.Fatalf("first exchange: %d %v", st, first)
	}
	at, rt := first["access_token"].(string), first["refresh_token"].(string)
	if st, body := getBearer(t, e.endpoint("userinfo"), at); st != 200 {
		t.Fatalf("userinfo before replay: %d %s", st, body)
	}
	st, _, m := exchange(t, e, code, v, nil)
	if st != 400 || m["error"] != "invalid_grant" || m["error_description"] != "invalid authorization code" {
		t.Fatalf("replay: %d %v", st, m)
	}
	if m := introspect(t, e, at); m["active"] != false {
		t.Fatalf("access token after replay: %v", m)
	}
	if st, body := getBearer(t, e.endpoint("userinfo"), at); st != 401 || !strings.Contains(body, "INVALID_SESSION_ID") {
		t.Fatalf("userinfo after replay: %d %s", st, body)
	}
	st, _, m = postForm(t, e.endpoint("token"), url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}, clientID, clientSecret)
	if st != 400 || m["error"] != "invalid_grant" {
		t.Fatalf("refresh after replay: %d %v", st, m)
	}
}

// A1, A2, B3: near-miss redirect URIs never redirect; the loopback port
// is the only exception.
func TestRedirectURIExactMatch(t *testing.T) {
	e := newEnv(t, envOpt{})
	b := e.browser()
	for _, ru := range []string{
		"https://app.acme.test.evil.example/oauth/callback", // suffix host
		"https://evilapp.acme.test/oauth/callback",
		"https://app.acme.test/oauth/callback/", // extra slash
		"https://app.acme.test/oauth//callback",
		"https://app.acme.test/oauth/callback?x=1", // added query
		"https://app.acme.test/oauth/callback#frag",
		"http://app.acme.test/oauth/callback",  // http vs https
		"https://APP.acme.test/oauth/callback", // case
		"https://app.acme.test/OAuth/callback",
		"https://app.acme.test:443/oauth/callback",
		"https://user@app.acme.test/oauth/callback",
		"http://localhost:8123/cb",
		"http://127.0.0.1:8123/cb/",
		"http://[::1]:8123/cb",
		"",
	} {
		q := url.Values{"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {ru}, "state": {"s"}}
		p := b.get(e.endpoint("authorize") + "?" + q.Encode())
		if p.location != "" || p.status/100 == 3 {
			t.Errorf("%q redirected to %s", ru, p.location)
		}
		want := "redirect_uri_mismatch"
		if ru == "" {
			want = "redirect_uri_missing"
		}
		if !strings.Contains(p.body, want) {
			t.Errorf("%q: page does not say %s:\n%s", ru, want, p.body)
		}
		checkPageHeaders(t, p)
	}
	// Unknown client: an error page, never a redirect.
	p := b.get(e.endpoint("authorize") + "?" + url.Values{"response_type": {"code"}, "client_id": {"nope"}, "redirect_uri": {callback}}.Encode())
	if p.location != "" || !strings.Contains(p.body, "invalid_client_id") {
		t.Fatalf("unknown client: %d %s %s", p.status, p.location, p.body)
	}
	// RFC 8252: any port on a registered http://127.0.0.1 callback.
	loop := "http://127.0.0.1:43210/cb"
	q := url.Values{"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {loop}, "state": {"s"}}
	p = b.authorize(e.endpoint("authorize")+"?"+q.Encode(), username, password, "allow")
	if !strings.HasPrefix(p.location, loop+"?code=") {
		t.Fatalf("loopback redirect: %s", p.location)
	}
	code := callbackParams(t, p).Get("code")
	// The token request must repeat the exact URI, port included.
	if st, _, m := exchange(t, e, code, "", url.Values{"redirect_uri": {"http://127.0.0.1/cb"}}); st != 400 || m["error"] != "redirect_uri_mismatch" {
		t.Fatalf("registered form instead of the used one: %d %v", st, m)
	}
	if st, _, m := exchange(t, e, code, "", url.Values{"redirect_uri": {loop}}); st != 200 {
		t.Fatalf("loopback exchange: %d %v", st, m)
	}
}

// A5 and §3.1: a wrong verifier, a failed client authentication or a wrong
// redirect_uri leave the code usable.
func TestFailedAttemptsDoNotBurnCode(t *testing.T) {
	e := newEnv(t, envOpt{})
	v, params := pkce()
	code := getCode(t, e, e.browser(), params)
	for name, tc := range map[string]struct {
		verifier string
		extra    url.Values
		err      string
	}{
		"wrong verifier":   {oauth2.GenerateVerifier(), nil, "invalid_grant"}, // fact sheet §12
		"missing verifier": {"", nil, "invalid_grant"},
		"wrong secret":     {v, url.Values{"client_secret": {"nope"}}, "invalid_client"},
		"missing secret":   {v, url.Values{"client_secret": nil}, "invalid_client"},
		"other client":     {v, url.Values{"client_id": {otherID}, "client_secret": {otherSecret}}, "invalid_grant"},
		"wrong redirect":   {v, url.Values{"redirect_uri": {callback + "/x"}}, "redirect_uri_mismatch"},
	} {
		st, h, m := exchange(t, e, code, tc.verifier, tc.extra)
		if st != 400 || m["error"] != tc.err {
			t.Errorf("%s: %d %v, want 400 %s", name, st, m, tc.err)
		}
		if h.Get("Cache-Control") != "no-store" || h.Get("Pragma") != "no-cache" {
			t.Errorf("%s: error without no-store: %v", name, h)
		}
	}
	// x/oauth2's AutoDetect: a Basic attempt with a bad secret, then the
	// body; the code survives and the right credentials (URL-encoded in
	// Basic) redeem it.
	st, _, m := postForm(t, e.endpoint("token"), url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {callback}, "code_verifier": {v}}, clientID, clientSecret)
	if st != 200 || m["access_token"] == nil {
		t.Fatalf("exchange after failed attempts: %d %v", st, m)
	}
}

// A5: a verifier for a code issued without a challenge is a downgrade,
// refused in rfc mode (Salesforce ignores the verifier).
func TestPKCEDowngrade(t *testing.T) {
	for _, mode := range []string{"rfc", "salesforce"} {
		e := newEnv(t, envOpt{mode: mode})
		code := getCode(t, e, e.browser(), nil)
		st, _, m := exchange(t, e, code, oauth2.GenerateVerifier(), nil)
		if mode == "rfc" && (st != 400 || m["error"] != "invalid_grant") || mode == "salesforce" && st != 200 {
			t.Errorf("%s: %d %v", mode, st, m)
		}
	}
	// plain is not supported: an error redirect with iss, after login.
	e := newEnv(t, envOpt{})
	q := url.Values{"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {callback}, "state": {"pl"},
		"code_challenge": {strings.Repeat("a", 43)}, "code_challenge_method": {"plain"}}
	p := e.browser().authorize(e.endpoint("authorize")+"?"+q.Encode(), username, password, "allow")
	cb := callbackParams(t, p)
	if cb.Get("error") != "invalid_request" || cb.Get("iss") != e.issuer || cb.Get("state") != "pl" {
		t.Fatalf("plain challenge: %s", p.location)
	}
}

// A7: codes live 10 minutes in rfc mode (Salesforce's 15 otherwise).
func TestCodeLifetime(t *testing.T) {
	for _, tc := range []struct {
		mode string
		wait time.Duration
		ok   bool
	}{{"rfc", 9 * time.Minute, true}, {"rfc", 11 * time.Minute, false}, {"salesforce", 14 * time.Minute, true}, {"salesforce", 16 * time.Minute, false}} {
		e := newEnv(t, envOpt{mode: tc.mode})
		code := getCode(t, e, e.browser(), nil)
		e.clock.Advance(tc.wait)
		st, _, m := exchange(t, e, code, "", nil)
		if tc.ok && st != 200 || !tc.ok && (st != 400 || m["error_description"] != "expired authorization code") {
			t.Errorf("%s after %v: %d %v", tc.mode, tc.wait, st, m)
		}
	}
}

// A11, B4: iss on success and error redirects; A13: 303 after each POST;
// CSRF-protected forms.
func TestAuthorizationResponses(t *testing.T) {
	e := newEnv(t, envOpt{})
	b := e.browser()
	q := url.Values{"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {callback}, "state": {"deny-me"}, "scope": {"api"}}
	authURL := e.endpoint("authorize") + "?" + q.Encode()
	p := b.get(authURL)
	checkPageHeaders(t, p)
	if p.status != 200 || !strings.Contains(p.body, `name="username"`) || strings.Contains(p.body, "<script") || strings.Contains(p.body, "https://") {
		t.Fatalf("login page: %d\n%s", p.status, p.body)
	}
	// Without or with a wrong CSRF token: refused, no redirect.
	for _, tok := range []string{"", "forged"} {
		r := b.postNoFollow(e.endpoint("authorize"), url.Values{"csrf": {tok}, "username": {username}, "password": {password}})
		if r.status != 403 || r.location != "" {
			t.Fatalf("CSRF %q: %d %s", tok, r.status, r.location)
		}
	}
	// Wrong password: the form again, with Salesforce's message.
	r := b.postNoFollow(e.endpoint("authorize"), url.Values{"csrf": {csrf(t, p)}, "username": {username}, "password": {"wrong"}})
	if r.status != 200 || !strings.Contains(r.body, "Please check your username and password") {
		t.Fatalf("wrong password: %d %s", r.status, r.body)
	}
	r = b.postNoFollow(e.endpoint("authorize"), url.Values{"csrf": {csrf(t, r)}, "username": {username}, "password": {password}})
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, e.orgPath+"/services/oauth2/authorize?") {
		t.Fatalf("login POST: %d %s", r.status, r.location)
	}
	consent := b.get(e.base + r.location)
	if !strings.Contains(consent.body, `name="decision"`) {
		t.Fatalf("no approval page:\n%s", consent.body)
	}
	checkPageHeaders(t, consent)
	r = b.postNoFollow(e.endpoint("authorize"), url.Values{"csrf": {csrf(t, consent)}, "decision": {"deny"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("consent POST: %d", r.status)
	}
	checkPageHeaders(t, page{header: r.header})
	cb := callbackParams(t, r)
	if cb.Get("error") != "access_denied" || cb.Get("error_description") != "end-user denied authorization" || cb.Get("state") != "deny-me" || cb.Get("iss") != e.issuer {
		t.Fatalf("deny redirect: %s", r.location)
	}
	// Allow: a 303 to the callback with code, state and iss.
	consent = b.get(authURL)
	r = b.postNoFollow(e.endpoint("authorize"), url.Values{"csrf": {csrf(t, consent)}, "decision": {"allow"}})
	cb = callbackParams(t, r)
	if r.status != http.StatusSeeOther || cb.Get("code") == "" || cb.Get("iss") != e.issuer {
		t.Fatalf("allow: %d %s", r.status, r.location)
	}
	// Approved before: no approval page, a 302 straight back (GET).
	p = b.get(authURL)
	if p.status != http.StatusFound || callbackParams(t, p).Get("iss") != e.issuer {
		t.Fatalf("second authorization: %d %s", p.status, p.location)
	}
	// An error redirect after the callback is trusted carries iss too.
	q.Set("scope", "web")
	p = b.get(e.endpoint("authorize") + "?" + q.Encode())
	cb = callbackParams(t, p)
	if cb.Get("error") != "invalid_scope" || cb.Get("iss") != e.issuer {
		t.Fatalf("invalid scope: %s", p.location)
	}
	// Unsupported response type.
	q.Set("response_type", "id_token")
	q.Del("scope")
	p = b.get(e.endpoint("authorize") + "?" + q.Encode())
	if cb := callbackParams(t, p); cb.Get("error") != "unsupported_response_type" || cb.Get("iss") != e.issuer {
		t.Fatalf("response_type: %s", p.location)
	}
}

func checkPageHeaders(t *testing.T, p page) {
	t.Helper()
	h := p.header
	if h.Get("Cache-Control") != "no-store" || h.Get("Pragma") != "no-cache" || h.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("authorization response headers: %v", h)
	}
}

// A15: invalid_client is 401 with WWW-Authenticate in rfc mode, 400 in
// Salesforce mode; token responses are never cached.
func TestInvalidClientStatus(t *testing.T) {
	for _, mode := range []string{"rfc", "salesforce"} {
		e := newEnv(t, envOpt{mode: mode})
		st, h, m := postForm(t, e.endpoint("token"), url.Values{"grant_type": {"authorization_code"}, "code": {"x"}}, clientID, "wrong")
		if m["error"] != "invalid_client" || h.Get("Cache-Control") != "no-store" || h.Get("Pragma") != "no-cache" {
			t.Fatalf("%s: %d %v %v", mode, st, h, m)
		}
		if mode == "rfc" && (st != 401 || h.Get("WWW-Authenticate") == "") || mode == "salesforce" && st != 400 {
			t.Fatalf("%s: status %d, WWW-Authenticate %q", mode, st, h.Get("WWW-Authenticate"))
		}
		st, h, _ = postForm(t, e.endpoint("introspect"), url.Values{"token": {"x"}}, clientID, "wrong")
		if mode == "rfc" && st != 401 || mode == "salesforce" && st != 400 || h.Get("Cache-Control") != "no-store" {
			t.Fatalf("%s introspect bad client: %d %v", mode, st, h)
		}
	}
}

// B7: refresh rotation; reusing a rotated-out refresh token revokes the
// family; 50 racing refreshes of one token: exactly one wins.
func TestRefreshRotation(t *testing.T) {
	rot := scenarioJSON(t, func(m map[string]any) { appOAuth(m, 0)["refreshTokenRotation"] = true })
	refresh := func(e *env, rt string) (int, map[string]any) {
		st, _, m := postForm(t, e.endpoint("token"), url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}, clientID, clientSecret)
		return st, m
	}
	e := newEnv(t, envOpt{scenario: rot})
	_, first := exchangeFresh(t, e)
	rt1 := first["refresh_token"].(string)
	st, m := refresh(e, rt1)
	if st != 200 || m["refresh_token"] == nil || m["refresh_token"] == rt1 {
		t.Fatalf("rotation: %d %v", st, m)
	}
	rt2, at2 := m["refresh_token"].(string), m["access_token"].(string)
	st, m = refresh(e, rt2)
	if st != 200 {
		t.Fatalf("second rotation: %d %v", st, m)
	}
	rt3 := m["refresh_token"].(string)
	// Reuse of rt1: refused, and the whole family is revoked.
	if st, m := refresh(e, rt1); st != 400 || m["error_description"] != "expired access/refresh token" {
		t.Fatalf("reuse: %d %v", st, m)
	}
	if st, m := refresh(e, rt3); st != 400 {
		t.Fatalf("current token after reuse: %d %v", st, m)
	}
	if m := introspect(t, e, at2); m["active"] != false {
		t.Fatalf("access token after reuse: %v", m)
	}

	e = newEnv(t, envOpt{scenario: rot, bolt: true})
	_, first = exchangeFresh(t, e)
	var ok, bad atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 50 {
		wg.Go(func() {
			<-start
			if st, _ := refresh(e, first["refresh_token"].(string)); st == 200 {
				ok.Add(1)
			} else if st == 400 {
				bad.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	if ok.Load() != 1 || bad.Load() != 49 {
		t.Fatalf("50 racing refreshes: %d ok, %d refused", ok.Load(), bad.Load())
	}
}

// exchangeFresh runs a PKCE code flow and redeems the code.
func exchangeFresh(t *testing.T, e *env) (string, map[string]any) {
	t.Helper()
	v, params := pkce()
	code := getCode(t, e, e.browser(), params)
	st, _, m := exchange(t, e, code, v, nil)
	if st != 200 {
		t.Fatalf("exchange: %d %v", st, m)
	}
	return code, m
}

// Refresh-token policies are the engine's: an idle-expiry policy refuses a
// token left unused too long (simulated clock moves with the wall clock).
func TestRefreshPolicyIdle(t *testing.T) {
	e := newEnv(t, envOpt{scenario: scenarioJSON(t, func(m map[string]any) {
		m["apps"].([]any)[0].(map[string]any)["policies"] = map[string]any{"refreshTokenPolicy": "expireIfNotUsedFor:1d"}
	})})
	_, m := exchangeFresh(t, e)
	rt := m["refresh_token"].(string)
	conf := oauthConfig(e, oauth2.AuthStyleInParams)
	ts := func() error {
		_, err := conf.TokenSource(context.Background(), &oauth2.Token{RefreshToken: rt, Expiry: time.Now().Add(-time.Hour)}).Token()
		return err
	}
	e.clock.Advance(20 * time.Hour)
	if err := ts(); err != nil {
		t.Fatalf("within the window: %v", err)
	}
	e.clock.Advance(20 * time.Hour) // 20h after the last use: still fine
	if err := ts(); err != nil {
		t.Fatalf("sliding window: %v", err)
	}
	e.clock.Advance(25 * time.Hour)
	var re *oauth2.RetrieveError
	if err := ts(); !errors.As(err, &re) || re.ErrorDescription != "expired access/refresh token" {
		t.Fatalf("after a day unused: %v", err)
	}
}
