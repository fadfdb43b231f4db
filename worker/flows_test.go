package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/caplab/caplab/infra/smoke"
)

// TestSmoke runs infra/smoke, the end-to-end flow the Lambda stack's
// stand-in (infra TestStackStandIn) and `make smoke` run: the page, a
// share, login and consent with PKCE, tokens, the id token against
// /id/keys, a refresh, userinfo/identity/REST, revocation and a relay
// round trip.
func TestSmoke(t *testing.T) {
	needWorker(t)
	var log strings.Builder
	err := smoke.Run(t.Context(), smoke.Config{URL: dev.URL, RelayAdminKey: relayAdminKey, Log: &log})
	t.Log("\n" + log.String())
	if err != nil {
		t.Fatal(err)
	}
}

// oauthConfig is golang.org/x/oauth2's client for the smoke app at issuer.
func oauthConfig(issuer, redirectURI string) *oauth2.Config {
	return &oauth2.Config{
		ClientID: smoke.ClientID, ClientSecret: clientSecret, RedirectURL: redirectURI,
		Scopes: []string{"api", "refresh_token", "openid"},
		Endpoint: oauth2.Endpoint{AuthURL: issuer + "/services/oauth2/authorize", TokenURL: issuer + "/services/oauth2/token",
			AuthStyle: oauth2.AuthStyleInParams},
	}
}

// codeFor signs in through conf's authorize URL with PKCE and returns the
// code, after checking state and iss.
func codeFor(t *testing.T, conf *oauth2.Config, issuer, verifier string) string {
	t.Helper()
	state := oauth2.GenerateVerifier()
	loc := newBrowser().signIn(t, conf.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier)), issuer, conf.RedirectURL)
	q := loc.Query()
	if q.Get("state") != state || q.Get("iss") != issuer || q.Get("code") == "" {
		t.Fatalf("redirect %s; want the code, state %s and iss %s", loc.Redacted(), state, issuer)
	}
	return q.Get("code")
}

// TestOAuth2CodeFlow: golang.org/x/oauth2 through the Worker: the code
// flow with PKCE (a wrong verifier refused), a refresh through a
// TokenSource, revocation, and the refresh and access tokens refused after
// it.
func TestOAuth2CodeFlow(t *testing.T) {
	needWorker(t)
	issuer := share(t, nil)
	conf := oauthConfig(issuer, appCallback)
	verifier := oauth2.GenerateVerifier()
	code := codeFor(t, conf, issuer, verifier)
	ctx := t.Context()

	if _, err := conf.Exchange(ctx, code, oauth2.VerifierOption("wrong-"+verifier)); !isGrantError(err) {
		t.Fatalf("Exchange with a wrong verifier: %v; want invalid_grant", err)
	}
	tok, err := conf.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	if tok.AccessToken == "" || tok.RefreshToken == "" || tok.Extra("instance_url") != issuer {
		t.Fatalf("token: access %t, refresh %t, instance_url %v; want both and %s", tok.AccessToken != "", tok.RefreshToken != "", tok.Extra("instance_url"), issuer)
	}
	userinfo := func(tok *oauth2.Token) int {
		resp, err := conf.Client(ctx, tok).Get(issuer + "/services/oauth2/userinfo")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := userinfo(tok); got != http.StatusOK {
		t.Fatalf("userinfo: %d; want 200", got)
	}

	expired := *tok
	expired.Expiry = time.Now().Add(-time.Minute) // make the TokenSource refresh
	refreshed, err := conf.TokenSource(ctx, &expired).Token()
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if refreshed.AccessToken == "" || refreshed.AccessToken == tok.AccessToken {
		t.Fatal("refresh gave no new access token")
	}
	if got := userinfo(refreshed); got != http.StatusOK {
		t.Fatalf("userinfo with the refreshed token: %d; want 200", got)
	}

	resp, err := http.PostForm(issuer+"/services/oauth2/revoke", url.Values{"token": {tok.RefreshToken}, "client_id": {smoke.ClientID}, "client_secret": {clientSecret}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("revoke: %d; want 200", resp.StatusCode)
	}
	if _, err := conf.TokenSource(ctx, &expired).Token(); !isGrantError(err) {
		t.Fatalf("refresh after revoke: %v; want invalid_grant", err)
	}
	if got := userinfo(refreshed); got != http.StatusUnauthorized && got != http.StatusForbidden {
		t.Fatalf("userinfo after revoke: %d; want 401 or 403 (the grant is revoked)", got)
	}
}

func isGrantError(err error) bool {
	var re *oauth2.RetrieveError
	return errors.As(err, &re) && re.ErrorCode == "invalid_grant"
}

// registerTenant registers a relay tenant on the live org at issuer whose
// only destination is appCallback.
func registerTenant(t *testing.T, issuer string) string {
	t.Helper()
	tenant := fmt.Sprintf("worker-%d", time.Now().UnixNano())
	body, _ := json.Marshal(map[string]any{"loginHost": issuer, "clientId": smoke.ClientID,
		"destinations": []map[string]string{{"id": "app", "url": appCallback}}})
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPut, dev.URL+"/relay/admin/tenants/"+tenant, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+relayAdminKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("PUT tenant: %d; want 201", resp.StatusCode)
	}
	return tenant
}

// relayFlow starts a relay flow for tenant, signs in at the live org and
// returns the relay callback URL carrying the code (not yet visited), the
// consumer's state and verifier.
func relayFlow(t *testing.T, issuer, tenant string) (callback, state, verifier string) {
	t.Helper()
	verifier, state = oauth2.GenerateVerifier(), oauth2.GenerateVerifier()
	b := newBrowser()
	p := b.do(t, http.MethodGet, dev.URL+"/relay/start?"+url.Values{"tenant": {tenant}, "dest": {"app"}, "state": {state},
		"code_challenge": {oauth2.S256ChallengeFromVerifier(verifier)}, "code_challenge_method": {"S256"}, "scope": {"api refresh_token"}}.Encode(), nil)
	authz, err := url.Parse(p.header.Get("Location"))
	if p.status != http.StatusFound || err != nil || !strings.HasPrefix(authz.String(), issuer+"/services/oauth2/authorize?") {
		t.Fatalf("relay start: %d to %q; want 302 to %s's authorize endpoint", p.status, p.header.Get("Location"), issuer)
	}
	relayCallback := dev.URL + "/relay/callback"
	loc := b.signIn(t, authz.String(), issuer, relayCallback)
	return loc.String(), state, verifier
}

// TestRelayRoundTrip: a consumer using golang.org/x/oauth2 signs in to the
// live org through the relay: start, login, the relay's callback
// forwarding the code to the consumer's destination, and the code
// redeemed with the relay's redirect_uri and the consumer's verifier.
func TestRelayRoundTrip(t *testing.T) {
	needWorker(t)
	issuer := share(t, nil)
	tenant := registerTenant(t, issuer)
	callback, state, verifier := relayFlow(t, issuer, tenant)
	p := newBrowser().do(t, http.MethodGet, callback, nil)
	fwd, err := url.Parse(p.header.Get("Location"))
	if p.status != http.StatusFound || err != nil || !strings.HasPrefix(fwd.String(), appCallback+"?") {
		t.Fatalf("relay callback: %d to %q; want 302 to %s", p.status, p.header.Get("Location"), appCallback)
	}
	if fwd.Query().Get("state") != state {
		t.Fatalf("forwarded state %q; want the consumer's %q", fwd.Query().Get("state"), state)
	}
	conf := oauthConfig(issuer, dev.URL+"/relay/callback")
	tok, err := conf.Exchange(t.Context(), fwd.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil || tok.AccessToken == "" {
		t.Fatalf("redeeming the relayed code: %v", err)
	}
	// The flow is single-use: the same callback again is refused.
	if p := newBrowser().do(t, http.MethodGet, callback, nil); p.status == http.StatusFound {
		t.Fatalf("a replayed relay callback was forwarded to %s", p.header.Get("Location"))
	}
}

// racers is how many clients race for one single-use value.
const racers = 50

// race runs try from racers goroutines released at once and returns how
// many got ok (true).
func race(t *testing.T, try func() (ok bool, err error)) (wins int) {
	t.Helper()
	var n atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range racers {
		wg.Go(func() {
			<-start
			ok, err := try()
			if err != nil {
				t.Error(err)
			}
			if ok {
				n.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	return int(n.Load())
}

// TestRaces: through the whole Worker (HTTP, the Go program's turns, D1),
// 50 clients redeeming one code, 50 refreshing one rotated refresh token
// and 50 browsers bringing back one relay flow: exactly one wins each.
func TestRaces(t *testing.T) {
	needWorker(t)
	issuer := share(t, func(doc map[string]any) { appOAuth(doc)["refreshTokenRotation"] = true })
	conf := oauthConfig(issuer, appCallback)
	verifier := oauth2.GenerateVerifier()
	code := codeFor(t, conf, issuer, verifier)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()

	var tok *oauth2.Token
	var mu sync.Mutex
	wins := race(t, func() (bool, error) {
		got, err := conf.Exchange(ctx, code, oauth2.VerifierOption(verifier))
		if err != nil && !isGrantError(err) {
			return false, err
		}
		mu.Lock()
		defer mu.Unlock()
		if err == nil {
			tok = got
		}
		return err == nil, nil
	})
	if wins != 1 {
		t.Fatalf("%d racing code redemptions: %d won; want exactly 1", racers, wins)
	}

	// The losers replayed the code, which revokes its grant (RFC 6749
	// §4.1.2), so the refresh race starts from a grant of its own.
	verifier = oauth2.GenerateVerifier()
	tok, err := conf.Exchange(ctx, codeFor(t, conf, issuer, verifier), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	expired := *tok
	expired.Expiry = time.Now().Add(-time.Minute)
	wins = race(t, func() (bool, error) {
		_, err := conf.TokenSource(ctx, &expired).Token()
		if err != nil && !isGrantError(err) {
			return false, err
		}
		return err == nil, nil
	})
	if wins != 1 {
		t.Fatalf("%d racing refreshes of one rotated refresh token: %d won; want exactly 1", racers, wins)
	}

	callback, _, _ := relayFlow(t, issuer, registerTenant(t, issuer))
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	wins = race(t, func() (bool, error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, callback, nil)
		resp, err := client.Do(req)
		if err != nil {
			return false, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode == http.StatusFound && strings.HasPrefix(resp.Header.Get("Location"), appCallback+"?"), nil
	})
	if wins != 1 {
		t.Fatalf("%d racing relay callbacks of one flow: %d forwarded; want exactly 1", racers, wins)
	}
}
