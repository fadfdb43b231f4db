// Package smoke runs caplab's end-to-end flow against a deployment, as a
// browser and an OAuth client would: the playground page, a share, login
// and consent with PKCE, the code for tokens, the id token against the
// published keys, a refresh, userinfo, identity and REST with
// Authorization on GET, revocation, and (given the admin key) a relay
// round trip. `make smoke URL=…` runs it against a deployed stack; infra's
// tests run it against the local stand-in of the stack.
package smoke

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"time"
)

//go:embed scenario.json
var scenarioTemplate string

// The scenario's app and user.
const (
	ClientID     = "smoke_app_key"
	clientSecret = "smoke-app-secret"
	username     = "ana@smoke.test"
	password     = "ana-Pa55word"
	appCallback  = "https://app.smoke.test/callback" // never fetched: the flow stops at the redirect
)

// maxBody bounds what the smoke test reads of any response.
const maxBody = 1 << 20

// Config says what to test.
type Config struct {
	URL           string       // the public base URL (SiteUrl)
	APIEndpoint   string       // optional: the raw API Gateway URL, which must refuse requests (403)
	RelayAdminKey string       // optional: run the relay round trip
	Client        *http.Client // optional; it must not follow redirects
	Log           io.Writer    // one line per step
}

// Run runs every step; the first failure ends it with an error naming
// the step.
func Run(ctx context.Context, c Config) error {
	c.URL = strings.TrimSuffix(c.URL, "/")
	if u, err := url.Parse(c.URL); err != nil || u.Host == "" || u.Path != "" {
		return fmt.Errorf("URL %q: want scheme://host", c.URL)
	}
	if c.Client == nil {
		c.Client = &http.Client{Timeout: 30 * time.Second}
	}
	client := *c.Client
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	if c.Log == nil {
		c.Log = io.Discard
	}
	r := &run{Config: c, ctx: ctx, http: &client}
	steps := []struct {
		name string
		fn   func() error
	}{
		{"site", r.site},
		{"share", r.share},
		{"shared page", r.sharedPage},
		{"discovery", r.discovery},
		{"login and consent", func() (err error) { r.code, err = r.authorize(r.issuer, appCallback, r.verifier); return }},
		{"token", r.token},
		{"id token", r.idToken},
		{"refresh", r.refresh},
		{"userinfo, identity and REST with Authorization on GET", r.resources},
		{"revoke", r.revoke},
		{"relay round trip", r.relay},
		{"raw API endpoint refused", r.rawAPI},
	}
	for _, s := range steps {
		start := time.Now()
		err := s.fn()
		switch {
		case errors.Is(err, errSkipped):
			fmt.Fprintf(c.Log, "skip %-55s %v\n", s.name, err)
		case err != nil:
			return fmt.Errorf("smoke: %s: %w", s.name, err)
		default:
			fmt.Fprintf(c.Log, "ok   %-55s %s\n", s.name, time.Since(start).Round(time.Millisecond))
		}
	}
	return nil
}

// errSkipped marks a step the configuration leaves out.
var errSkipped = errors.New("skipped")

type run struct {
	Config
	ctx       context.Context
	http      *http.Client
	shareID   string
	issuer    string
	verifier  string
	code      string
	tokens    tokenResponse
	refreshed tokenResponse
}

type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	IDToken      string `json:"id_token"`
	ID           string `json:"id"`
	InstanceURL  string `json:"instance_url"`
	Error        string `json:"error"`
}

// response is a read response.
type response struct {
	status int
	header http.Header
	body   []byte
	url    *url.URL
}

func (r *run) do(jar http.CookieJar, method, u string, body io.Reader, h map[string]string) (response, error) {
	req, err := http.NewRequestWithContext(r.ctx, method, u, body)
	if err != nil {
		return response{}, err
	}
	for k, v := range h {
		req.Header.Set(k, v)
	}
	if jar != nil {
		for _, ck := range jar.Cookies(req.URL) {
			req.AddCookie(ck)
		}
	}
	resp, err := r.http.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return response{}, err
	}
	if jar != nil {
		jar.SetCookies(req.URL, resp.Cookies())
	}
	return response{resp.StatusCode, resp.Header, b, req.URL}, nil
}

func (r *run) get(u string, h map[string]string) (response, error) {
	return r.do(nil, "GET", u, nil, h)
}

func (r *run) postForm(u string, form url.Values) (response, error) {
	return r.do(nil, "POST", u, strings.NewReader(form.Encode()), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
}

func want(resp response, status int, what string) error {
	if resp.status != status {
		return fmt.Errorf("%s: status %d; want %d: %s", what, resp.status, status, snippet(resp.body))
	}
	return nil
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// site: the playground page, published and served with its headers.
func (r *run) site() error {
	resp, err := r.get(r.URL+"/", map[string]string{"Accept-Encoding": "identity"})
	if err != nil {
		return err
	}
	if err := want(resp, http.StatusOK, "GET /"); err != nil {
		return err
	}
	if ct := resp.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		return fmt.Errorf("GET /: Content-Type %q; want text/html", ct)
	}
	if cc := resp.header.Get("Cache-Control"); cc != "no-cache" {
		return fmt.Errorf("GET /: Cache-Control %q; want no-cache (index.html is revalidated)", cc)
	}
	if resp.header.Get("Content-Security-Policy") == "" {
		return errors.New("GET /: no Content-Security-Policy")
	}
	if !bytes.Contains(bytes.ToLower(resp.body), []byte("<html")) {
		return fmt.Errorf("GET /: not an HTML page: %s", snippet(resp.body))
	}
	return nil
}

// Scenario is the shared scenario: one org, one user, one app whose
// callbacks are the smoke test's own and the relay's at base.
func Scenario(base string) string {
	return strings.ReplaceAll(scenarioTemplate, "__RELAY_CALLBACK__", strings.TrimSuffix(base, "/")+"/relay/callback")
}

func (r *run) share() error {
	doc := Scenario(r.URL)
	resp, err := r.do(nil, "POST", r.URL+"/api/scenarios", strings.NewReader(doc), map[string]string{"Content-Type": "application/json"})
	if err != nil {
		return err
	}
	if err := want(resp, http.StatusCreated, "POST /api/scenarios"); err != nil {
		return err
	}
	var out struct{ ID, Issuer string }
	if err := json.Unmarshal(resp.body, &out); err != nil || out.ID == "" {
		return fmt.Errorf("share answer %s: %v", snippet(resp.body), err)
	}
	// The issuer is the public URL's (the first deploy included), or a
	// live-org subdomain of it; never API Gateway's own domain.
	base, _ := url.Parse(r.URL)
	iss, err := url.Parse(out.Issuer)
	if err != nil || iss.Scheme != base.Scheme || (iss.Host != base.Host && !strings.HasSuffix(iss.Host, "."+base.Host)) {
		return fmt.Errorf("issuer %q is not on the public URL %s", out.Issuer, r.URL)
	}
	r.shareID, r.issuer = out.ID, strings.TrimSuffix(out.Issuer, "/")
	return nil
}

// sharedPage: /s/{id} is the playground page too.
func (r *run) sharedPage() error {
	resp, err := r.get(r.URL+"/s/"+url.PathEscape(r.shareID), nil)
	if err != nil {
		return err
	}
	if err := want(resp, http.StatusOK, "GET /s/{id}"); err != nil {
		return err
	}
	if ct := resp.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		return fmt.Errorf("GET /s/{id}: Content-Type %q; want text/html", ct)
	}
	resp, err = r.get(r.URL+"/api/scenarios/"+url.PathEscape(r.shareID), nil)
	if err != nil {
		return err
	}
	return want(resp, http.StatusOK, "GET /api/scenarios/{id}")
}

func (r *run) discovery() error {
	resp, err := r.get(r.issuer+"/.well-known/openid-configuration", nil)
	if err != nil {
		return err
	}
	if err := want(resp, http.StatusOK, "discovery"); err != nil {
		return err
	}
	var d struct {
		Issuer        string `json:"issuer"`
		TokenEndpoint string `json:"token_endpoint"`
		JWKSURI       string `json:"jwks_uri"`
	}
	if err := json.Unmarshal(resp.body, &d); err != nil {
		return err
	}
	if d.Issuer != r.issuer || !strings.HasPrefix(d.TokenEndpoint, r.issuer+"/") || !strings.HasPrefix(d.JWKSURI, r.issuer+"/") {
		return fmt.Errorf("discovery names issuer %q, token %q, keys %q; want them under %s", d.Issuer, d.TokenEndpoint, d.JWKSURI, r.issuer)
	}
	r.verifier = randomString()
	return nil
}

var (
	csrfRe   = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	actionRe = regexp.MustCompile(`<form method="post" action="([^"]*)"`)
)

// authorize runs the browser part of the code flow at issuer (login,
// consent) with PKCE and returns the code sent to redirectURI.
func (r *run) authorize(issuer, redirectURI, verifier string) (string, error) {
	jar, _ := cookiejar.New(nil)
	state := randomString()
	q := url.Values{"response_type": {"code"}, "client_id": {ClientID}, "redirect_uri": {redirectURI},
		"scope": {"api refresh_token openid"}, "state": {state}, "code_challenge": {challenge(verifier)}, "code_challenge_method": {"S256"}}
	resp, err := r.do(jar, "GET", issuer+"/services/oauth2/authorize?"+q.Encode(), nil, nil)
	if err != nil {
		return "", err
	}
	return r.browse(jar, resp, redirectURI, state, issuer)
}

// maxBrowseSteps bounds the pages and redirects between the authorize
// request and the redirect to the client (login, consent and the 303s
// between them take four).
const maxBrowseSteps = 8

// browse follows the live org's own redirects and fills the login and
// consent forms until it redirects to redirectURI, and checks the state
// and iss it sends back.
func (r *run) browse(jar http.CookieJar, resp response, redirectURI, state, issuer string) (string, error) {
	for step := 0; ; step++ {
		if step == maxBrowseSteps {
			return "", fmt.Errorf("no redirect to %s after %d steps: %s", redirectURI, step, snippet(resp.body))
		}
		if loc := resp.header.Get("Location"); loc != "" {
			next, err := resp.url.Parse(loc)
			if err != nil {
				return "", err
			}
			if strings.HasPrefix(next.String(), redirectURI+"?") || !strings.HasPrefix(next.String(), issuer+"/") {
				break
			}
			if resp, err = r.do(jar, "GET", next.String(), nil, nil); err != nil {
				return "", err
			}
			continue
		}
		m, a := csrfRe.FindSubmatch(resp.body), actionRe.FindSubmatch(resp.body)
		if m == nil || a == nil {
			return "", fmt.Errorf("status %d and no form: %s", resp.status, snippet(resp.body))
		}
		action, err := resp.url.Parse(html.UnescapeString(string(a[1])))
		if err != nil {
			return "", err
		}
		form := url.Values{"csrf": {html.UnescapeString(string(m[1]))}}
		if bytes.Contains(resp.body, []byte(`name="password"`)) {
			form.Set("username", username)
			form.Set("password", password)
		} else {
			form.Set("decision", "allow")
		}
		if resp, err = r.do(jar, "POST", action.String(), strings.NewReader(form.Encode()), map[string]string{"Content-Type": "application/x-www-form-urlencoded"}); err != nil {
			return "", err
		}
	}
	loc, err := resp.url.Parse(resp.header.Get("Location"))
	if err != nil {
		return "", err
	}
	q := loc.Query()
	if !strings.HasPrefix(loc.String(), redirectURI+"?") || q.Get("code") == "" || q.Get("state") != state {
		return "", fmt.Errorf("redirect %s; want %s with a code and state %s", loc.Redacted(), redirectURI, state)
	}
	if q.Get("iss") != issuer {
		return "", fmt.Errorf("redirect iss %q; want %s", q.Get("iss"), issuer)
	}
	return q.Get("code"), nil
}

func (r *run) tokenRequest(issuer string, form url.Values) (tokenResponse, response, error) {
	form.Set("client_id", ClientID)
	form.Set("client_secret", clientSecret)
	resp, err := r.postForm(issuer+"/services/oauth2/token", form)
	if err != nil {
		return tokenResponse{}, resp, err
	}
	var t tokenResponse
	json.Unmarshal(resp.body, &t)
	return t, resp, nil
}

func (r *run) token() error {
	t, resp, err := r.tokenRequest(r.issuer, url.Values{"grant_type": {"authorization_code"}, "code": {r.code},
		"redirect_uri": {appCallback}, "code_verifier": {r.verifier}})
	if err != nil {
		return err
	}
	if err := want(resp, http.StatusOK, "code for tokens"); err != nil {
		return err
	}
	if t.AccessToken == "" || t.RefreshToken == "" || t.IDToken == "" || t.ID == "" {
		return fmt.Errorf("token response lacks access, refresh or id token, or the identity URL: %s", snippet(resp.body))
	}
	if t.InstanceURL != r.issuer {
		return fmt.Errorf("instance_url %q; want %s", t.InstanceURL, r.issuer)
	}
	r.tokens = t
	return nil
}

func (r *run) idToken() error {
	resp, err := r.get(r.issuer+"/id/keys", nil)
	if err != nil {
		return err
	}
	if err := want(resp, http.StatusOK, "GET /id/keys"); err != nil {
		return err
	}
	return VerifyIDToken(r.tokens.IDToken, resp.body, r.issuer, ClientID)
}

func (r *run) refresh() error {
	t, resp, err := r.tokenRequest(r.issuer, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {r.tokens.RefreshToken}})
	if err != nil {
		return err
	}
	if err := want(resp, http.StatusOK, "refresh"); err != nil {
		return err
	}
	if t.AccessToken == "" || t.AccessToken == r.tokens.AccessToken {
		return fmt.Errorf("refresh gave no new access token: %s", snippet(resp.body))
	}
	r.refreshed = t
	return nil
}

// resources: GET with Authorization, which CloudFront forwards only when
// the cache policy lists it; and without it, refused (so the 200s are
// the token's doing).
func (r *run) resources() error {
	bearer := map[string]string{"Authorization": "Bearer " + r.refreshed.AccessToken}
	for _, u := range []string{r.issuer + "/services/oauth2/userinfo", r.tokens.ID, r.issuer + "/services/data/latest"} {
		resp, err := r.get(u, bearer)
		if err != nil {
			return err
		}
		if err := want(resp, http.StatusOK, "GET "+u+" with Authorization"); err != nil {
			return err
		}
		if !json.Valid(resp.body) {
			return fmt.Errorf("GET %s: not JSON: %s", u, snippet(resp.body))
		}
		if resp, err = r.get(u, nil); err != nil {
			return err
		}
		if resp.status != http.StatusUnauthorized && resp.status != http.StatusForbidden {
			return fmt.Errorf("GET %s without Authorization: status %d; want 401 or 403", u, resp.status)
		}
	}
	return nil
}

// revoke: revoking the refresh token ends the grant: the refresh token
// and the access tokens stop working.
func (r *run) revoke() error {
	resp, err := r.postForm(r.issuer+"/services/oauth2/revoke", url.Values{"token": {r.tokens.RefreshToken}, "client_id": {ClientID}, "client_secret": {clientSecret}})
	if err != nil {
		return err
	}
	if err := want(resp, http.StatusOK, "revoke"); err != nil {
		return err
	}
	t, resp, err := r.tokenRequest(r.issuer, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {r.tokens.RefreshToken}})
	if err != nil {
		return err
	}
	if resp.status != http.StatusBadRequest || t.Error != "invalid_grant" {
		return fmt.Errorf("refresh after revoke: %d %s; want 400 invalid_grant", resp.status, snippet(resp.body))
	}
	resp, err = r.get(r.issuer+"/services/oauth2/userinfo", map[string]string{"Authorization": "Bearer " + r.refreshed.AccessToken})
	if err != nil {
		return err
	}
	if resp.status != http.StatusUnauthorized && resp.status != http.StatusForbidden {
		return fmt.Errorf("userinfo after revoke: status %d; want 401 or 403", resp.status)
	}
	return nil
}

// relay: a tenant whose login host is the live org, a start, the live
// org's login and consent, the relay's callback forwarding the code to
// the tenant's destination, and the code redeemed with the relay's
// redirect_uri and the consumer's verifier.
func (r *run) relay() error {
	if r.RelayAdminKey == "" {
		return fmt.Errorf("%w: no relay admin key given", errSkipped)
	}
	admin := map[string]string{"Authorization": "Bearer " + r.RelayAdminKey, "Content-Type": "application/json"}
	tenant := "smoke-" + randomString()[:12]
	tenantURL := r.URL + "/relay/admin/tenants/" + tenant
	reg, _ := json.Marshal(map[string]any{"loginHost": r.issuer, "clientId": ClientID,
		"destinations": []map[string]string{{"id": "app", "url": appCallback}}})
	resp, err := r.do(nil, "PUT", tenantURL, bytes.NewReader(reg), admin)
	if err != nil {
		return err
	}
	if err := want(resp, http.StatusCreated, "PUT tenant"); err != nil {
		return err
	}
	deleted := false
	defer func() {
		if !deleted { // a failed step leaves no tenant behind
			r.do(nil, "DELETE", tenantURL, nil, admin)
		}
	}()
	if resp, err = r.get(tenantURL, admin); err != nil { // GET with Authorization through CloudFront
		return err
	}
	if err := want(resp, http.StatusOK, "GET tenant with Authorization"); err != nil {
		return err
	}

	verifier, state := randomString(), randomString()
	jar, _ := cookiejar.New(nil)
	start := r.URL + "/relay/start?" + url.Values{"tenant": {tenant}, "dest": {"app"}, "state": {state},
		"code_challenge": {challenge(verifier)}, "code_challenge_method": {"S256"}, "scope": {"api refresh_token"}}.Encode()
	resp, err = r.do(jar, "GET", start, nil, nil)
	if err != nil {
		return err
	}
	loc, err := url.Parse(resp.header.Get("Location"))
	if resp.status != http.StatusFound || err != nil || !strings.HasPrefix(loc.String(), r.issuer+"/services/oauth2/authorize?") {
		return fmt.Errorf("start: %d to %q; want 302 to the live org's authorize endpoint", resp.status, resp.header.Get("Location"))
	}
	relayCallback := r.URL + "/relay/callback"
	if got := loc.Query().Get("redirect_uri"); got != relayCallback {
		return fmt.Errorf("start sent redirect_uri %q; want %s", got, relayCallback)
	}
	if resp, err = r.do(jar, "GET", loc.String(), nil, nil); err != nil {
		return err
	}
	code, err := r.browse(jar, resp, relayCallback, loc.Query().Get("state"), r.issuer)
	if err != nil {
		return fmt.Errorf("live org login through the relay: %w", err)
	}
	cb := relayCallback + "?" + url.Values{"code": {code}, "state": {loc.Query().Get("state")}, "iss": {r.issuer}}.Encode()
	if resp, err = r.get(cb, nil); err != nil {
		return err
	}
	fwd, err := url.Parse(resp.header.Get("Location"))
	if resp.status != http.StatusFound || err != nil || !strings.HasPrefix(fwd.String(), appCallback+"?") {
		return fmt.Errorf("callback: %d to %q; want 302 to %s", resp.status, resp.header.Get("Location"), appCallback)
	}
	if fwd.Query().Get("code") != code || fwd.Query().Get("state") != state || fwd.Fragment != "_" {
		return fmt.Errorf("callback forwarded %s; want the code, the consumer's state and #_", fwd.Redacted())
	}
	t, resp, err := r.tokenRequest(r.issuer, url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {relayCallback}, "code_verifier": {verifier}})
	if err != nil {
		return err
	}
	if err := want(resp, http.StatusOK, "redeem the relayed code"); err != nil {
		return err
	}
	if t.AccessToken == "" {
		return fmt.Errorf("no access token: %s", snippet(resp.body))
	}
	resp, err = r.do(nil, "DELETE", tenantURL, nil, admin)
	if err != nil {
		return err
	}
	deleted = true
	return want(resp, http.StatusNoContent, "DELETE tenant")
}

// rawAPI: API Gateway's own URL is no way around CloudFront (and WAF).
func (r *run) rawAPI() error {
	if r.APIEndpoint == "" {
		return fmt.Errorf("%w: no API endpoint given", errSkipped)
	}
	resp, err := r.postForm(strings.TrimSuffix(r.APIEndpoint, "/")+"/api/evaluate", url.Values{})
	if err != nil {
		return err
	}
	return want(resp, http.StatusForbidden, "POST to the raw API endpoint")
}

func randomString() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func challenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
