package httpapi_test

import (
	"context"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/oauth2"
)

func oauthConfig(e *env, style oauth2.AuthStyle) *oauth2.Config {
	return &oauth2.Config{
		ClientID: clientID, ClientSecret: clientSecret, RedirectURL: callback,
		Scopes:   []string{"api", "refresh_token", "openid"},
		Endpoint: oauth2.Endpoint{AuthURL: e.endpoint("authorize"), TokenURL: e.endpoint("token"), AuthStyle: style},
	}
}

// codeFlow runs authorize (login + consent) and returns the callback query.
func codeFlow(t *testing.T, e *env, b *browser, conf *oauth2.Config, verifier, state string) url.Values {
	t.Helper()
	p := b.authorize(conf.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier)), username, password, "allow")
	q := callbackParams(t, p)
	if q.Get("code") == "" || q.Get("state") != state || q.Get("iss") != e.issuer {
		t.Fatalf("callback %s: want code, state %q and iss %q", p.location, state, e.issuer)
	}
	if !strings.HasPrefix(p.location, callback+"?") {
		t.Fatalf("redirected to %s", p.location)
	}
	return q
}

// The full web server flow through golang.org/x/oauth2 with each client
// authentication style: PKCE, tokens in Salesforce's shape, the REST API,
// refresh, introspection and revocation.
func TestWebServerFlowXOAuth2(t *testing.T) {
	for _, tc := range []struct {
		name  string
		style oauth2.AuthStyle
		mode  string
	}{
		{"InParams", oauth2.AuthStyleInParams, ""},
		{"InHeader", oauth2.AuthStyleInHeader, ""},
		{"AutoDetect", oauth2.AuthStyleAutoDetect, ""},
		{"InHeader-rfc", oauth2.AuthStyleInHeader, "rfc"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOpt{mode: tc.mode})
			conf := oauthConfig(e, tc.style)
			ctx := context.Background()
			b := e.browser()
			verifier := oauth2.GenerateVerifier()
			q := codeFlow(t, e, b, conf, verifier, "st-123456")
			tok, err := conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
			if err != nil {
				t.Fatalf("exchange: %v", err)
			}
			checkTokenResponse(t, e, tok, tc.mode == "rfc")

			// The REST API answers with the token.
			if st, body := getBearer(t, e.issuer+"/services/data/v62.0/query?q=SELECT+Id+FROM+Organization", tok.AccessToken); st != 200 || !strings.Contains(body, `"totalSize":1`) {
				t.Fatalf("query: %d %s", st, body)
			}
			if st, body := getBearer(t, e.issuer+"/services/oauth2/userinfo", tok.AccessToken); st != 200 || !strings.Contains(body, `"preferred_username":"ana@acme.test"`) {
				t.Fatalf("userinfo: %d %s", st, body)
			}
			id := tok.Extra("id").(string)
			if st, body := getBearer(t, id, tok.AccessToken); st != 200 || !strings.Contains(body, `"username":"ana@acme.test"`) {
				t.Fatalf("identity %s: %d %s", id, st, body)
			}

			// Refresh: the same refresh token stays (no rotation).
			old := &oauth2.Token{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, Expiry: time.Now().Add(-time.Minute)}
			fresh, err := conf.TokenSource(ctx, old).Token()
			if err != nil {
				t.Fatalf("refresh: %v", err)
			}
			if fresh.AccessToken == tok.AccessToken || fresh.RefreshToken != tok.RefreshToken {
				t.Fatalf("refresh gave %+v", fresh)
			}

			// Introspection sees both tokens; then revoking the refresh
			// token revokes every access token of the grant.
			for _, at := range []string{tok.AccessToken, fresh.AccessToken, tok.RefreshToken} {
				if m := introspect(t, e, at); m["active"] != true || m["client_id"] != clientID || m["username"] != username {
					t.Fatalf("introspect before revoke: %v", m)
				}
			}
			// RFC 7009 §2.1: in rfc mode the client authenticates to revoke.
			revokeID, revokeSecret := "", ""
			if tc.mode == "rfc" {
				revokeID, revokeSecret = clientID, clientSecret
			}
			if st, _, m := postForm(t, e.endpoint("revoke"), url.Values{"token": {tok.RefreshToken}}, revokeID, revokeSecret); st != 200 {
				t.Fatalf("revoke: %d %v", st, m)
			}
			for _, at := range []string{tok.AccessToken, fresh.AccessToken, tok.RefreshToken} {
				if m := introspect(t, e, at); m["active"] != false || len(m) != 1 {
					t.Fatalf("introspect after revoke: %v", m)
				}
			}
			if st, body := getBearer(t, e.issuer+"/services/data/v62.0/", fresh.AccessToken); st != 401 ||
				body != `[{"errorCode":"INVALID_SESSION_ID","message":"Session expired or invalid"}]`+"\n" {
				t.Fatalf("API after revoke: %d %s", st, body)
			}
			_, err = conf.TokenSource(ctx, old).Token()
			var re *oauth2.RetrieveError
			if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" || re.ErrorDescription != "expired access/refresh token" {
				t.Fatalf("refresh after revoke: %v", err)
			}
			// Revoking again: Salesforce answers 400 invalid_token, RFC 7009 200.
			st, _, m := postForm(t, e.endpoint("revoke"), url.Values{"token": {tok.RefreshToken}}, revokeID, revokeSecret)
			if tc.mode == "rfc" && st != 200 || tc.mode != "rfc" && (st != 400 || m["error"] != "invalid_token") {
				t.Fatalf("second revoke: %d %v", st, m)
			}
		})
	}
}

func introspect(t *testing.T, e *env, token string) map[string]any {
	t.Helper()
	st, h, m := postForm(t, e.endpoint("introspect"), url.Values{"token": {token}}, clientID, clientSecret)
	if st != 200 || h.Get("Cache-Control") != "no-store" || h.Get("Pragma") != "no-cache" {
		t.Fatalf("introspect: %d %v %v", st, h, m)
	}
	return m
}

// checkTokenResponse checks Salesforce's token response fields.
func checkTokenResponse(t *testing.T, e *env, tok *oauth2.Token, rfc bool) {
	t.Helper()
	if tok.TokenType != "Bearer" || tok.RefreshToken == "" || !strings.Contains(tok.AccessToken, "!") {
		t.Fatalf("token %+v", tok)
	}
	if tok.Extra("instance_url") != e.issuer {
		t.Fatalf("instance_url %v", tok.Extra("instance_url"))
	}
	id, _ := tok.Extra("id").(string)
	if !strings.HasPrefix(id, e.issuer+"/id/00D") {
		t.Fatalf("id %q", id)
	}
	issuedAt, _ := tok.Extra("issued_at").(string)
	m := hmac.New(sha256.New, []byte(clientSecret))
	m.Write([]byte(id + issuedAt))
	if want := base64.StdEncoding.EncodeToString(m.Sum(nil)); tok.Extra("signature") != want {
		t.Fatalf("signature %v, want %s", tok.Extra("signature"), want)
	}
	if tok.Extra("scope") != "api refresh_token openid" {
		t.Fatalf("scope %v", tok.Extra("scope"))
	}
	if _, has := tok.Extra("expires_in").(float64); has != rfc {
		t.Fatalf("expires_in present=%v in rfc=%v", has, rfc)
	}
	idt, _ := tok.Extra("id_token").(string)
	claims := verifyIDToken(t, e, idt)
	if claims["sub"] != id || claims["aud"] != clientID || claims["iss"] != e.issuer {
		t.Fatalf("id_token claims %v", claims)
	}
}

// verifyIDToken checks an id token's RS256 signature with the JWKS.
func verifyIDToken(t *testing.T, e *env, idt string) jwt.MapClaims {
	t.Helper()
	st, body := getBearer(t, e.issuer+"/id/keys", "")
	var jwks struct {
		Keys []struct{ Kty, Kid, N, E, Alg string }
	}
	if st != 200 || json.Unmarshal([]byte(body), &jwks) != nil || len(jwks.Keys) != 1 {
		t.Fatalf("jwks: %d %s", st, body)
	}
	k := jwks.Keys[0]
	n, _ := base64.RawURLEncoding.DecodeString(k.N)
	ex, _ := base64.RawURLEncoding.DecodeString(k.E)
	pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(ex).Int64())}
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(idt, claims, func(tk *jwt.Token) (any, error) {
		if tk.Header["kid"] != k.Kid {
			return nil, errors.New("kid mismatch")
		}
		return pub, nil
	}, jwt.WithValidMethods([]string{"RS256"}), jwt.WithIssuer(e.issuer), jwt.WithAudience(clientID))
	if err != nil {
		t.Fatalf("id_token: %v", err)
	}
	return claims
}

// signAssertion makes a JWT bearer assertion with the app's key.
func signAssertion(t *testing.T, iss, sub, aud string, exp time.Time, key *rsa.PrivateKey) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{"iss": iss, "sub": sub, "aud": aud, "exp": exp.Unix()})
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The JWT bearer flow: refused until the user has approved the app, then
// granted with an access token and no refresh token; bad signatures,
// expired assertions and wrong audiences get the engine's errors.
func TestJWTBearer(t *testing.T) {
	e := newEnv(t, envOpt{})
	key, _ := keys(t)
	jwtGrant := func(assertion string) (int, map[string]any) {
		st, _, m := postForm(t, e.endpoint("token"), url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {assertion}}, "", "")
		return st, m
	}
	good := func() string {
		return signAssertion(t, clientID, username, "https://login.salesforce.com", time.Now().Add(3*time.Minute), key)
	}
	if st, m := jwtGrant(good()); st != 400 || m["error"] != "invalid_grant" || m["error_description"] != "user hasn't approved this consumer" {
		t.Fatalf("before approval: %d %v", st, m)
	}
	// The user approves the app once through the web server flow.
	conf := oauthConfig(e, oauth2.AuthStyleInParams)
	codeFlow(t, e, e.browser(), conf, oauth2.GenerateVerifier(), "approve-once")
	st, m := jwtGrant(good())
	if st != 200 || m["access_token"] == nil || m["refresh_token"] != nil || m["signature"] != nil || m["token_type"] != "Bearer" {
		t.Fatalf("after approval: %d %v", st, m)
	}
	if st, body := getBearer(t, e.issuer+"/services/data/v62.0/query?q=SELECT+Id+FROM+Organization", m["access_token"].(string)); st != 200 {
		t.Fatalf("API with JWT token: %d %s", st, body)
	}
	// The issuer URL is accepted as audience too.
	if st, m := jwtGrant(signAssertion(t, clientID, username, e.issuer, time.Now().Add(time.Minute), key)); st != 200 {
		t.Fatalf("issuer audience: %d %v", st, m)
	}
	other, _ := rsa.GenerateKey(randReader{}, 2048)
	for name, tc := range map[string]struct {
		assertion string
		desc      string
	}{
		"bad signature": {signAssertion(t, clientID, username, "https://login.salesforce.com", time.Now().Add(time.Minute), other), "invalid assertion"},
		"expired":       {signAssertion(t, clientID, username, "https://login.salesforce.com", time.Now().Add(-time.Minute), key), "expired authorization code"}, // fact sheet §12
		"audience":      {signAssertion(t, clientID, username, "https://evil.example", time.Now().Add(time.Minute), key), "Audience validation failed"},
		"garbage":       {"not.a.jwt", "client identifier invalid"},
	} {
		st, m := jwtGrant(tc.assertion)
		if st != 400 || m["error_description"] != tc.desc {
			t.Errorf("%s: %d %v", name, st, m)
		}
	}
}

// The username-password flow is off by default for orgs created after
// Summer '23 and works once the org allows it; client credentials run as
// the Run As user.
func TestPasswordAndClientCredentials(t *testing.T) {
	e := newEnv(t, envOpt{})
	pw := url.Values{"grant_type": {"password"}, "username": {username}, "password": {password}}
	if st, _, m := postForm(t, e.endpoint("token"), pw, clientID, clientSecret); st != 400 || m["error_description"] != "authentication failure" {
		t.Fatalf("password flow in a new org: %d %v", st, m)
	}
	e2 := newEnv(t, envOpt{scenario: scenarioJSON(t, func(m map[string]any) {
		org := m["orgs"].([]any)[0].(map[string]any)
		org["settings"] = map[string]any{"allowUsernamePasswordFlows": true}
		o := appOAuth(m, 0)
		o["clientCredentials"] = map[string]any{"enabled": true, "runAs": "bo@acme.test"}
	})})
	if st, _, m := postForm(t, e2.endpoint("token"), pw, clientID, clientSecret); st != 200 || m["refresh_token"] != nil {
		t.Fatalf("password flow allowed: %d %v", st, m)
	}
	bad := url.Values{"grant_type": {"password"}, "username": {username}, "password": {"nope"}}
	if st, _, m := postForm(t, e2.endpoint("token"), bad, clientID, clientSecret); st != 400 || m["error"] != "invalid_grant" {
		t.Fatalf("wrong password: %d %v", st, m)
	}
	st, _, m := postForm(t, e2.endpoint("token"), url.Values{"grant_type": {"client_credentials"}}, clientID, clientSecret)
	if st != 200 || !strings.Contains(m["id"].(string), "/id/") {
		t.Fatalf("client credentials: %d %v", st, m)
	}
	if got := introspect(t, e2, m["access_token"].(string)); got["username"] != "bo@acme.test" {
		t.Fatalf("client credentials token runs as %v", got["username"])
	}
	if st, _, m := postForm(t, e2.endpoint("token"), url.Values{"grant_type": {"client_credentials"}}, clientID, "wrong"); st != 400 || m["error"] != "invalid_client" {
		t.Fatalf("client credentials wrong secret: %d %v", st, m)
	}
	// Device and token exchange are served (device_test.go); here the app has neither enabled.
	for gt, desc := range map[string]string{"urn:ietf:params:oauth:grant-type:device_code": "device flow not enabled for this app", "device": "device flow not enabled for this app",
		"urn:ietf:params:oauth:grant-type:token-exchange": "subject_token is required", "nonsense": "grant type not supported"} {
		st, _, m := postForm(t, e2.endpoint("token"), url.Values{"grant_type": {gt}}, clientID, clientSecret)
		if gt == "nonsense" && (st != 400 || m["error"] != "unsupported_grant_type") || gt != "nonsense" && (st != 400 || m["error_description"] != desc) {
			t.Fatalf("%s: %d %v", gt, st, m)
		}
	}
	if st, _, m := postForm(t, e2.endpoint("token"), url.Values{}, clientID, clientSecret); st != 400 || m["error"] != "invalid_request" || m["error_description"] != "grant type is missing" {
		t.Fatalf("no grant_type: %d %v", st, m)
	}
}

// randReader adapts crypto/rand for rsa.GenerateKey in tests.
type randReader struct{}

func (randReader) Read(p []byte) (int, error) { return cryptoRead(p) }

var _ = http.StatusOK
