package httpapi_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/caplab/caplab/lambda/httpapi"
	"github.com/caplab/caplab/lambda/store"
)

// The live org's token values (tokens.go): Salesforce's shapes; access
// tokens self-contained, signed and never stored; what is stored is kept
// only as a hash; any change to a token, or a token signed under another
// key, is refused; a revocation is honoured on the very next request.

var (
	accessShape  = regexp.MustCompile(`^00D[0-9A-Za-z]{12}!AQ[0-9A-Za-z._]+$`)
	refreshShape = regexp.MustCompile(`^5Aep861[0-9A-Za-z._]{65}$`)
	codeShape    = regexp.MustCompile(`^aPrx[0-9A-Za-z._]{65}$`)
)

// withClientCredentials lets the first app use client credentials as bo.
func withClientCredentials(m map[string]any) {
	appOAuth(m, 0)["clientCredentials"] = map[string]any{"enabled": true, "runAs": "bo@acme.test"}
}

// codeTokens runs the web-server flow and returns the code and the token
// response.
func codeTokens(t *testing.T, e *env) (code string, m map[string]any) {
	t.Helper()
	code = getCode(t, e, e.browser(), url.Values{"scope": {"api refresh_token openid"}})
	st, _, m := exchange(t, e, code, "", nil)
	if st != 200 || str(m["access_token"]) == "" || str(m["refresh_token"]) == "" {
		t.Fatalf("code exchange: %d %v", st, m)
	}
	return code, m
}

func refreshTokens(t *testing.T, e *env, refresh string) (int, map[string]any) {
	t.Helper()
	st, _, m := postForm(t, e.endpoint("token"), url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}}, clientID, clientSecret)
	return st, m
}

// active says whether the access token works, as a resource server sees
// it (userinfo) and as introspection does; the two must agree.
func active(t *testing.T, e *env, access string) bool {
	t.Helper()
	st, body := getBearer(t, e.endpoint("userinfo"), access)
	in := introspect(t, e, access)["active"] == true
	if (st == 200) != in {
		t.Fatalf("userinfo %d %s but introspection active=%v", st, body, in)
	}
	return in
}

func TestTokenShapeAndHashedAtRest(t *testing.T) {
	e := newEnv(t, envOpt{bolt: true, scenario: scenarioJSON(t, withClientCredentials)})
	code, m := codeTokens(t, e)
	access, refresh := str(m["access_token"]), str(m["refresh_token"])
	st, _, cc := postForm(t, e.endpoint("token"), url.Values{"grant_type": {"client_credentials"}}, clientID, clientSecret)
	if st != 200 {
		t.Fatalf("client credentials: %d %v", st, cc)
	}
	org15 := strings.Split(str(m["id"]), "/id/")[1][:15]
	for _, c := range []struct {
		what, value string
		shape       *regexp.Regexp
	}{
		{"access token", access, accessShape},
		{"client-credentials access token", str(cc["access_token"]), accessShape},
		{"refresh token", refresh, refreshShape},
		{"authorization code", code, codeShape},
	} {
		if !c.shape.MatchString(c.value) {
			t.Errorf("%s %q; want the shape %s", c.what, c.value, c.shape)
		}
	}
	if !strings.HasPrefix(access, org15+"!") {
		t.Errorf("access token %.20q…; want it to start with the org's 15-character id %s and !", access, org15)
	}
	p := readPayload(t, access)
	if p.Org != e.orgID || p.Grant == "" || p.JTI == "" || p.Scope != str(m["scope"]) {
		t.Errorf("access token payload %+v; want this live org, its grant, an id and the scope %q", p, m["scope"])
	}
	// The access token is not stored: no record has its hash. What is
	// stored (refresh token, code) is keyed by its hash, and no value
	// appears in the database file.
	r, err := e.st.Lookup(context.Background(), store.Keys{OrgID: e.orgID, Token: hashHex(access), Code: hashHex(code), Grant: p.Grant})
	if err != nil || r.Token != nil || r.Code == nil || r.Grant == nil {
		t.Fatalf("Lookup by the hashes: token %v, code %v, grant %v, %v; want no token record, the code and the grant", r.Token, r.Code, r.Grant, err)
	}
	if r, _ := e.st.Lookup(context.Background(), store.Keys{Token: hashHex(refresh)}); r.Token == nil || r.Token.Kind != store.KindRefresh {
		t.Fatalf("the refresh token is not stored under its hash: %+v", r.Token)
	}
	db, err := os.ReadFile(filepath.Join(boltDir(t, e), "caplab.db"))
	if err != nil {
		t.Fatal(err)
	}
	for what, v := range map[string]string{"access token": access, "its id": p.JTI, "refresh token": refresh, "code": code,
		"client-credentials access token": str(cc["access_token"])} {
		if bytes.Contains(db, []byte(v)) {
			t.Errorf("the database file holds the %s itself", what)
		}
	}
}

// boltDir is the directory of the env's bolt file.
func boltDir(t *testing.T, e *env) string {
	t.Helper()
	if e.dataDir == "" {
		t.Fatal("not a bolt env")
	}
	return e.dataDir
}

func hashHex(v string) string {
	sum := sha256.Sum256([]byte(v))
	return hex.EncodeToString(sum[:])
}

// tamper changes the character at i to another of the token alphabet.
func tamper(v string, i int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._"
	c := alphabet[(strings.IndexByte(alphabet, v[i])+1)%len(alphabet)]
	return v[:i] + string(c) + v[i+1:]
}

func TestTokenTamperRefused(t *testing.T) {
	e := newEnv(t, envOpt{scenario: scenarioJSON(t, withClientCredentials)})
	_, m := codeTokens(t, e)
	access := str(m["access_token"])
	if !active(t, e, access) {
		t.Fatal("the untouched access token is refused")
	}
	other := newEnv(t, envOpt{scenario: scenarioJSON(t, withClientCredentials)})
	_, om := codeTokens(t, other)
	body := strings.Index(access, "!AQ") + 3
	for _, c := range []struct{ what, token string }{
		{"org id changed", tamper(access, 5)},
		{"marker changed", tamper(access, body-1)},
		{"first payload character", tamper(access, body)},
		{"a payload character", tamper(access, body+20)},
		{"a MAC character", tamper(access, len(access)-5)},
		{"last character dropped", access[:len(access)-1]},
		{"a character added", access + "A"},
		{"payload of another token, this MAC", access[:body] + str(om["access_token"])[body:body+30] + access[body+30:]},
		{"another live org's token", str(om["access_token"])},
		{"empty", ""},
		{"not a token", "00D000000000000!AQnotatoken"},
	} {
		if st, b := getBearer(t, e.endpoint("userinfo"), c.token); st != http.StatusUnauthorized {
			t.Errorf("%s: userinfo %d %s; want 401", c.what, st, b)
		}
		if c.token != "" && introspect(t, e, c.token)["active"] != false {
			t.Errorf("%s: introspection active; want false", c.what)
		}
	}
	// A refresh token or code with a changed character names no record.
	if st, m := refreshTokens(t, e, tamper(str(m["refresh_token"]), 10)); st != 400 || m["error"] != "invalid_grant" {
		t.Errorf("tampered refresh token: %d %v; want 400 invalid_grant", st, m)
	}
}

// A token signed under another key is refused; after a key rotation the
// previous key still verifies the tokens it signed.
func TestTokenKeys(t *testing.T) {
	k1, k2 := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	e := newEnv(t, envOpt{scenario: scenarioJSON(t, withClientCredentials), config: func(c *httpapi.Config) { c.CookieKey = k1 }})
	st, _, m := postForm(t, e.endpoint("token"), url.Values{"grant_type": {"client_credentials"}}, clientID, clientSecret)
	if st != 200 {
		t.Fatalf("client credentials: %d %v", st, m)
	}
	access := str(m["access_token"])
	// Two more servers over the same store and live org.
	serve := func(cfg httpapi.Config) string {
		ts := httptest.NewUnstartedServer(nil)
		base := "http://" + ts.Listener.Addr().String()
		cfg.BaseURL, cfg.SigningKey, cfg.NoRateLimits = base, serverKey, true
		ts.Config.Handler = httpapi.New(cfg, e.st)
		ts.Start()
		t.Cleanup(ts.Close)
		return base + "/o/" + e.orgID + "/services/oauth2/userinfo"
	}
	if st, b := getBearer(t, serve(httpapi.Config{CookieKey: k2}), access); st != http.StatusUnauthorized {
		t.Errorf("a token signed under another key: %d %s; want 401", st, b)
	}
	if st, b := getBearer(t, serve(httpapi.Config{CookieKey: k2, PreviousCookieKeys: [][]byte{k1}}), access); st != http.StatusOK {
		t.Errorf("a token signed under the previous key: %d %s; want 200", st, b)
	}
	if st, b := getBearer(t, serve(httpapi.Config{CookieKey: k1}), access); st != http.StatusOK {
		t.Errorf("the same key on another server: %d %s; want 200", st, b)
	}
}

// Every way a token ends takes effect on the very next request. (A live
// org's scenario never changes, so a password or policy change cannot
// happen to a live org: what would revoke there is one of these.)
func TestRevocationHonouredOnTheNextRequest(t *testing.T) {
	revoke := func(t *testing.T, e *env, token string) {
		t.Helper()
		if st, _, m := postForm(t, e.endpoint("revoke"), url.Values{"token": {token}}, "", ""); st != 200 {
			t.Fatalf("revoke: %d %v", st, m)
		}
	}
	t.Run("access token revoked alone", func(t *testing.T) {
		e := newEnv(t, envOpt{})
		_, m := codeTokens(t, e)
		st, m2 := refreshTokens(t, e, str(m["refresh_token"]))
		if st != 200 {
			t.Fatalf("refresh: %d %v", st, m2)
		}
		revoke(t, e, str(m["access_token"]))
		if active(t, e, str(m["access_token"])) {
			t.Error("the revoked access token still works")
		}
		if !active(t, e, str(m2["access_token"])) {
			t.Error("revoking one access token ended another of its grant")
		}
	})
	t.Run("refresh token revoked with its grant", func(t *testing.T) {
		e := newEnv(t, envOpt{})
		_, m := codeTokens(t, e)
		_, m2 := refreshTokens(t, e, str(m["refresh_token"]))
		revoke(t, e, str(m["refresh_token"]))
		for _, a := range []string{str(m["access_token"]), str(m2["access_token"])} {
			if active(t, e, a) {
				t.Error("an access token of the revoked grant still works")
			}
		}
		if st, m := refreshTokens(t, e, str(m["refresh_token"])); st != 400 {
			t.Errorf("the revoked refresh token: %d %v; want 400", st, m)
		}
	})
	t.Run("code replayed", func(t *testing.T) {
		e := newEnv(t, envOpt{})
		code, m := codeTokens(t, e)
		if st, _, m := exchange(t, e, code, "", nil); st != 400 {
			t.Fatalf("replay: %d %v", st, m)
		}
		if active(t, e, str(m["access_token"])) {
			t.Error("an access token of a replayed code still works")
		}
	})
	t.Run("rotated refresh token reused", func(t *testing.T) {
		e := newEnv(t, envOpt{scenario: scenarioJSON(t, func(m map[string]any) { appOAuth(m, 0)["refreshTokenRotation"] = true })})
		_, m := codeTokens(t, e)
		st, m2 := refreshTokens(t, e, str(m["refresh_token"]))
		if st != 200 {
			t.Fatalf("rotation: %d %v", st, m2)
		}
		if st, m := refreshTokens(t, e, str(m["refresh_token"])); st != 400 {
			t.Fatalf("reuse: %d %v", st, m)
		}
		for _, a := range []string{str(m["access_token"]), str(m2["access_token"])} {
			if active(t, e, a) {
				t.Error("an access token of the revoked family still works")
			}
		}
	})
	t.Run("sixth approval revokes the oldest", func(t *testing.T) {
		e := newEnv(t, envOpt{})
		_, first := codeTokens(t, e)
		for range 4 {
			codeTokens(t, e)
		}
		if !active(t, e, str(first["access_token"])) {
			t.Fatal("the oldest approval ended before the sixth")
		}
		codeTokens(t, e)
		if active(t, e, str(first["access_token"])) {
			t.Error("the oldest approval's access token works after a sixth approval")
		}
	})
	t.Run("logout", func(t *testing.T) {
		e := newEnv(t, envOpt{})
		_, m := codeTokens(t, e)
		e.soap(t, "u", "64.0", jsforceLogout(str(m["access_token"])))
		if active(t, e, str(m["access_token"])) {
			t.Error("an access token ended by logout() still works")
		}
	})
}

// An access token idles out after its timeout without use; a use after
// half of it restarts the timeout (Salesforce's sliding session), and a
// use before half of it writes nothing.
func TestAccessTokenIdleTimeout(t *testing.T) {
	e := newEnv(t, envOpt{mode: "rfc", fixed: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC), scenario: scenarioJSON(t, withClientCredentials)})
	st, _, m := postForm(t, e.endpoint("token"), url.Values{"grant_type": {"client_credentials"}}, clientID, clientSecret)
	if st != 200 {
		t.Fatalf("client credentials: %d %v", st, m)
	}
	access := str(m["access_token"])
	timeout := time.Duration(m["expires_in"].(float64)) * time.Second
	if timeout < 10*time.Minute {
		t.Fatalf("expires_in %v; want a session timeout", timeout)
	}
	mark := func() *store.Mark {
		r, err := e.st.Lookup(context.Background(), store.Keys{Mark: hashHex(readPayload(t, access).JTI)})
		if err != nil {
			t.Fatal(err)
		}
		return r.Mark
	}
	e.clock.Advance(timeout/2 - time.Minute)
	if !active(t, e, access) || mark() != nil {
		t.Fatalf("before half the timeout: active %v, mark %+v; want active and nothing written", active(t, e, access), mark())
	}
	e.clock.Advance(2 * time.Minute) // past half the timeout: this use slides it
	if !active(t, e, access) || mark() == nil {
		t.Fatal("a use after half the timeout did not restart it")
	}
	e.clock.Advance(timeout - 2*time.Minute) // past the first expiry, within the slid one
	if !active(t, e, access) {
		t.Fatal("the access token ended at its first expiry although it was used after half the timeout")
	}
	e.clock.Advance(timeout + time.Minute) // idle longer than the timeout
	if active(t, e, access) {
		t.Fatal("the access token works after idling past its timeout")
	}
}
