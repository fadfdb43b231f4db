// Command caplabsetup prepares a running `caplab serve` for the live-endpoint
// benchmark and writes the target file that scripts/bench/load reads:
//
//	caplabsetup -base http://127.0.0.1:PORT -target caplab.json [-mode rfc]
//
// It shares the benchmark scenario (POST /api/scenarios?mode=…): one org,
// one user with a synthetic password, one Run As user, and one connected app
// with a consumer secret, the scopes api and refresh_token, client
// credentials enabled and refresh-token rotation off (so the same refresh
// token can be used n times, as oidc-provider's default policy allows a
// confidential client). Then it gets a refresh token the way a user would:
// the web-server flow with PKCE through the live org's login and approval
// pages (a cookie-keeping HTTP client fills the forms), and the code
// exchange at the token endpoint. The password flow would be shorter, but
// Salesforce issues no refresh token to it.
//
// Only loopback base URLs are accepted.
package main

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/caplab/caplab/scripts/bench/internal/benchtarget"
)

const (
	clientID     = "bench_client_key"
	clientSecret = "bench-secret-0123456789abcdef"
	callback     = "http://127.0.0.1/cb"
	username     = "ana@bench.test"
	password     = "ana-Bench-Pa55"
)

// scenario is the shared benchmark scenario.
const scenario = `{
  "schemaVersion": 1,
  "title": "live endpoint benchmark",
  "now": "2026-03-01T09:00:00Z",
  "orgs": [{
    "name": "Bench", "myDomain": "bench", "createdAt": "2024-02-01",
    "profiles": [{"name": "Standard User", "permissions": ["apiEnabled"]}],
    "users": [
      {"username": "` + username + `", "profile": "Standard User", "password": "` + password + `"},
      {"username": "runas@bench.test", "profile": "Standard User"}
    ]
  }],
  "apps": [{
    "name": "Bench App", "ownerOrg": "Bench",
    "oauth": {
      "consumerKey": "` + clientID + `", "consumerSecret": "` + clientSecret + `",
      "callbackUrls": ["` + callback + `"],
      "scopes": ["api", "refresh_token"],
      "clientCredentials": {"enabled": true, "runAs": "runas@bench.test"}
    }
  }],
  "events": []
}`

// Target is scripts/bench/load's target file (package benchtarget).
type Target = benchtarget.Target

func main() {
	base := flag.String("base", "", "base URL of caplab serve (http://127.0.0.1:PORT)")
	mode := flag.String("mode", "rfc", "live org mode: rfc or salesforce")
	name := flag.String("name", "caplab", "target name in the output")
	out := flag.String("target", "", "write the target JSON here (default stdout)")
	flag.Parse()
	if *base == "" {
		flag.Usage()
		os.Exit(2)
	}
	t, err := setup(strings.TrimSuffix(*base, "/"), *mode, *name)
	if err != nil {
		fmt.Fprintln(os.Stderr, "caplabsetup:", err)
		os.Exit(1)
	}
	b, _ := json.MarshalIndent(t, "", "  ")
	b = append(b, '\n')
	if *out == "" {
		os.Stdout.Write(b)
		return
	}
	if err := os.WriteFile(*out, b, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "caplabsetup:", err)
		os.Exit(1)
	}
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func setup(base, mode, name string) (Target, error) {
	u, err := url.Parse(base)
	if err != nil {
		return Target{}, err
	}
	if err := benchtarget.CheckLoopback(base); err != nil {
		return Target{}, err
	}
	jar, _ := cookiejar.New(nil)
	// The live org answers at its own origin (caplab serve gives each one
	// a loopback port): redirects are followed on the main server and on
	// the org's origin, and stop at the client's callback.
	orgHost := u.Host
	c := &http.Client{Jar: jar, Timeout: 15 * time.Second, Transport: &http.Transport{Proxy: nil},
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if (req.URL.Host != u.Host && req.URL.Host != orgHost) || len(via) > 10 {
				return http.ErrUseLastResponse // stop at the client's callback
			}
			return nil
		}}

	// Share the scenario.
	resp, err := c.Post(base+"/api/scenarios?mode="+url.QueryEscape(mode), "application/json", strings.NewReader(scenario))
	if err != nil {
		return Target{}, err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		return Target{}, fmt.Errorf("sharing the scenario: HTTP %d: %.300s", resp.StatusCode, body)
	}
	var shared struct{ ID, Issuer string }
	if err := json.Unmarshal(body, &shared); err != nil || shared.Issuer == "" {
		return Target{}, fmt.Errorf("sharing the scenario: unexpected answer %.300s", body)
	}
	issuer := shared.Issuer
	iu, err := url.Parse(issuer)
	if err != nil {
		return Target{}, fmt.Errorf("sharing the scenario: issuer %q: %w", issuer, err)
	}
	if err := benchtarget.CheckLoopback(issuer); err != nil {
		return Target{}, err
	}
	orgHost = iu.Host
	oauth := issuer + "/services/oauth2/"
	t := Target{Name: name, Issuer: issuer, Mode: mode, TokenEndpoint: oauth + "token", IntrospectionEndpoint: oauth + "introspect",
		RevocationEndpoint: oauth + "revoke", ClientID: clientID, ClientSecret: clientSecret}

	// The web-server flow: authorize, log in, approve.
	verifier := randomString(32)
	sum := sha256.Sum256([]byte(verifier))
	challenge := base64.RawURLEncoding.EncodeToString(sum[:])
	state := randomString(12)
	q := url.Values{"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {callback},
		"scope": {"api refresh_token"}, "state": {state}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}}
	authURL := oauth + "authorize"
	status, loc, page, err := get(c, authURL+"?"+q.Encode())
	if err != nil {
		return t, err
	}
	for step := 0; loc == "" && step < 3; step++ {
		m := csrfRe.FindStringSubmatch(page)
		if m == nil {
			return t, fmt.Errorf("authorize: no form and no redirect (HTTP %d): %.300s", status, page)
		}
		form := url.Values{"csrf": {m[1]}}
		switch {
		case strings.Contains(page, `name="password"`):
			form.Set("username", username)
			form.Set("password", password)
		case strings.Contains(page, `name="decision"`):
			form.Set("decision", "allow")
		default:
			return t, fmt.Errorf("authorize: unexpected page (HTTP %d): %.300s", status, page)
		}
		if status, loc, page, err = post(c, authURL, form); err != nil {
			return t, err
		}
	}
	if loc == "" {
		return t, fmt.Errorf("authorize: no redirect to the callback (HTTP %d): %.300s", status, page)
	}
	cb, err := url.Parse(loc)
	if err != nil {
		return t, err
	}
	code := cb.Query().Get("code")
	if code == "" || cb.Query().Get("state") != state {
		return t, fmt.Errorf("authorize: callback without code or with the wrong state: %s", loc)
	}

	// The code exchange.
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {callback}, "code_verifier": {verifier}}
	req, _ := http.NewRequest(http.MethodPost, t.TokenEndpoint, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(clientID), url.QueryEscape(clientSecret))
	resp, err = c.Do(req)
	if err != nil {
		return t, err
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	var tok struct {
		RefreshToken string `json:"refresh_token"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &tok) != nil || tok.RefreshToken == "" {
		return t, fmt.Errorf("code exchange: HTTP %d without a refresh token: %.300s", resp.StatusCode, body)
	}
	t.RefreshToken = tok.RefreshToken
	return t, nil
}

func get(c *http.Client, u string) (int, string, string, error) {
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	return do(c, req)
}

func post(c *http.Client, u string, form url.Values) (int, string, string, error) {
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return do(c, req)
}

// do returns the final status, the Location of a redirect that left the
// server (the client's callback), and the body.
func do(c *http.Client, req *http.Request) (int, string, string, error) {
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return 0, "", "", err
	}
	loc := ""
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		loc = resp.Header.Get("Location")
		if loc == "" {
			return resp.StatusCode, "", string(body), errors.New("redirect without Location")
		}
	}
	return resp.StatusCode, loc, string(bytes.TrimSpace(body)), nil
}

func randomString(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
