package httpapi_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caplab/caplab/lambda/httpapi"
	"github.com/caplab/caplab/lambda/store"
	"github.com/caplab/caplab/lambda/store/boltstore"
	"github.com/caplab/caplab/lambda/store/memstore"
)

// Test fixtures: one org, one confidential app with a secret that needs
// URL-encoding in Basic credentials, a second app, and a signing key whose
// self-signed certificate is the first app's.
const (
	clientID     = "acme_sync_key"
	clientSecret = "s3cr3t/+&=: with spaces"
	otherID      = "other_app_key"
	otherSecret  = "other-secret"
	callback     = "https://app.acme.test/oauth/callback"
	username     = "ana@acme.test"
	password     = "ana-Pa55word"
)

var (
	testKeyOnce sync.Once
	testKey     *rsa.PrivateKey
	testCertPEM string
	serverKey   *rsa.PrivateKey
)

// keys returns the JWT-bearer client key and certificate (shared by tests).
func keys(t testing.TB) (*rsa.PrivateKey, string) {
	testKeyOnce.Do(func() {
		var err error
		testKey, err = rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		serverKey, err = rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "caplab test"},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &testKey.PublicKey, testKey)
		if err != nil {
			panic(err)
		}
		testCertPEM = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	})
	return testKey, testCertPEM
}

// scenarioJSON is the test scenario; extra callbacks are appended.
func scenarioJSON(t testing.TB, mutate func(m map[string]any)) []byte {
	_, cert := keys(t)
	m := map[string]any{
		"schemaVersion": 1,
		"title":         "live org test",
		"now":           "2026-03-01T09:00:00Z",
		"orgs": []any{map[string]any{
			"name": "Acme", "myDomain": "acme", "createdAt": "2024-02-01",
			"profiles": []any{map[string]any{"name": "Standard User", "permissions": []any{"apiEnabled"}}},
			"users": []any{
				map[string]any{"username": username, "profile": "Standard User", "password": password},
				map[string]any{"username": "bo@acme.test", "profile": "Standard User"},
			},
		}},
		"apps": []any{
			map[string]any{"name": "Acme Sync", "ownerOrg": "Acme", "oauth": map[string]any{
				"consumerKey": clientID, "consumerSecret": clientSecret,
				"callbackUrls": []any{callback, "http://127.0.0.1/cb"},
				"scopes":       []any{"api", "refresh_token", "openid", "id"},
				"certificate":  cert,
			}},
			map[string]any{"name": "Other", "ownerOrg": "Acme", "oauth": map[string]any{
				"consumerKey": otherID, "consumerSecret": otherSecret,
				"callbackUrls": []any{callback}, "scopes": []any{"api"},
			}},
		},
		"events": []any{},
	}
	if mutate != nil {
		mutate(m)
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// app returns the first app's oauth map of a scenario map, for mutations.
func appOAuth(m map[string]any, i int) map[string]any {
	return m["apps"].([]any)[i].(map[string]any)["oauth"].(map[string]any)
}

// clock is a settable wall clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
	off time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.now.IsZero() {
		return time.Now().Add(c.off)
	}
	return c.now
}

// Advance moves the clock forward.
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.now.IsZero() {
		c.off += d
	} else {
		c.now = c.now.Add(d)
	}
}

// accessPayload is what an access token (or session ID) carries: its
// grant, its id and the requests after the grant's origin. It reads the
// payload without checking the MAC (the server does that).
type accessPayload struct {
	Org    string `json:"o"`
	Grant  string `json:"g"`
	JTI    string `json:"j"`
	Kind   string `json:"k"`
	Client string `json:"c"`
	Scope  string `json:"s"`
	Chain  []struct {
		At    int64           `json:"a"` // Unix ns
		Event json.RawMessage `json:"e"`
	} `json:"h"`
}

// sfTokenEncoding is base64 in Salesforce's token alphabet, as the live
// org writes its tokens.
var sfTokenEncoding = base64.NewEncoding("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._").WithPadding(base64.NoPadding)

func readPayload(t testing.TB, access string) accessPayload {
	t.Helper()
	_, body, ok := strings.Cut(access, "!AQ")
	raw, err := sfTokenEncoding.DecodeString(body)
	if !ok || err != nil || len(raw) <= sha256.Size {
		t.Fatalf("access token %.40q… does not have the live org's shape: %v", access, err)
	}
	var p accessPayload
	if err := json.Unmarshal(raw[:len(raw)-sha256.Size], &p); err != nil {
		t.Fatalf("access token payload: %v", err)
	}
	return p
}

// grantOf reads the grant an access token belongs to from the store.
func (e *env) grantOf(access string) store.Grant {
	e.t.Helper()
	p := readPayload(e.t, access)
	r, err := e.st.Lookup(context.Background(), store.Keys{OrgID: e.orgID, Grant: p.Grant})
	if err != nil || r.Grant == nil {
		e.t.Fatalf("the grant of the access token is not stored: %v", err)
	}
	return *r.Grant
}

// env is a running test server.
type env struct {
	t       testing.TB
	ts      *httptest.Server
	clock   *clock
	st      store.Store
	base    string
	id      string // share id
	issuer  string
	orgPath string // the issuer's path: /o/{live org id}
	orgID   string // the live org id
	dataDir string // the directory of the bolt file (bolt envs)
}

type envOpt struct {
	mode     string
	scenario []byte
	bolt     bool
	fixed    time.Time // a fixed clock (else real time, advanceable)
	// rateLimits keeps the per-IP rate limits on (attack tests); other
	// tests drive many flows from 127.0.0.1 and turn them off.
	rateLimits bool
	// config adjusts the server's configuration; wrap decorates its store.
	config func(*httpapi.Config)
	wrap   func(store.Store) store.Store
}

// newEnv starts the API on 127.0.0.1 and shares the scenario.
func newEnv(t testing.TB, o envOpt) *env {
	t.Helper()
	keys(t)
	var st store.Store = memstore.New()
	dataDir := ""
	if o.bolt {
		dataDir = t.TempDir()
		bs, err := boltstore.Open(filepath.Join(dataDir, "caplab.db"))
		if err != nil {
			t.Fatal(err)
		}
		st = bs
	}
	c := &clock{now: o.fixed}
	ts := httptest.NewUnstartedServer(nil)
	base := "http://" + ts.Listener.Addr().String()
	cfg := httpapi.Config{BaseURL: base, SigningKey: serverKey, Now: c.Now, NoRateLimits: !o.rateLimits}
	if o.config != nil {
		o.config(&cfg)
	}
	served := st
	if o.wrap != nil {
		served = o.wrap(st)
	}
	ts.Config.Handler = httpapi.New(cfg, served)
	ts.Start()
	t.Cleanup(func() { ts.Close(); st.Close() })
	e := &env{t: t, ts: ts, clock: c, st: st, base: base, dataDir: dataDir}
	if o.scenario == nil {
		o.scenario = scenarioJSON(t, nil)
	}
	if o.scenario != nil {
		e.share(o.scenario, o.mode)
	}
	return e
}

// share posts the scenario and remembers its issuer.
func (e *env) share(doc []byte, mode string) {
	e.t.Helper()
	u := e.base + "/api/scenarios"
	if mode != "" {
		u += "?mode=" + mode
	}
	resp, err := http.Post(u, "application/json", bytes.NewReader(doc))
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ ID, URL, Issuer string }
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated || json.Unmarshal(body, &out) != nil {
		e.t.Fatalf("share: %d %s", resp.StatusCode, body)
	}
	e.id, e.issuer = out.ID, out.Issuer
	iu, err := url.Parse(out.Issuer)
	if err != nil {
		e.t.Fatal(err)
	}
	e.orgPath = iu.Path
	e.orgID = path.Base(iu.Path)
}

func (e *env) endpoint(name string) string { return e.issuer + "/services/oauth2/" + name }

// browser is a user agent with cookies that stops at the client's callback.
type browser struct {
	t      testing.TB
	c      *http.Client
	server string // host of the test server
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	host := strings.TrimPrefix(e.base, "http://")
	b := &browser{t: e.t, server: host}
	b.c = &http.Client{Jar: jar, Timeout: 10 * time.Second, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if req.URL.Host != host {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	return b
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// page is one response as the browser saw it.
type page struct {
	status   int
	header   http.Header
	body     string
	location string
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return page{status: resp.StatusCode, header: resp.Header, body: string(body), location: resp.Header.Get("Location")}
}

func (b *browser) get(u string) page {
	req, _ := http.NewRequest("GET", u, nil)
	return b.do(req)
}

func (b *browser) post(u string, form url.Values) page {
	req, _ := http.NewRequest("POST", u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// postNoFollow posts without following redirects, to see the 303.
func (b *browser) postNoFollow(u string, form url.Values) page {
	c := *b.c
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	req, _ := http.NewRequest("POST", u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return page{status: resp.StatusCode, header: resp.Header, body: string(body), location: resp.Header.Get("Location")}
}

func csrf(t testing.TB, p page) string {
	t.Helper()
	m := csrfRe.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no CSRF token in page (status %d):\n%s", p.status, p.body)
	}
	return m[1]
}

// authorize drives the browser through login and, when asked, consent;
// it returns the final response (a redirect to the callback or a page).
func (b *browser) authorize(authURL, user, pw, decision string) page {
	b.t.Helper()
	p := b.get(authURL)
	if p.location != "" {
		return p
	}
	if strings.Contains(p.body, `name="password"`) {
		action := authURL[:strings.Index(authURL, "?")]
		p = b.post(action, url.Values{"csrf": {csrf(b.t, p)}, "username": {user}, "password": {pw}})
		if p.location != "" || !strings.Contains(p.body, `name="decision"`) {
			return p
		}
	}
	if strings.Contains(p.body, `name="decision"`) {
		action := authURL[:strings.Index(authURL, "?")]
		return b.post(action, url.Values{"csrf": {csrf(b.t, p)}, "decision": {decision}})
	}
	return p
}

// callbackParams parses a redirect to the callback.
func callbackParams(t testing.TB, p page) url.Values {
	t.Helper()
	if p.location == "" {
		t.Fatalf("no redirect (status %d):\n%s", p.status, p.body)
	}
	u, err := url.Parse(p.location)
	if err != nil {
		t.Fatal(err)
	}
	if u.Fragment != "" {
		q, _ := url.ParseQuery(u.Fragment)
		return q
	}
	return u.Query()
}

// postForm posts a form with optional Basic credentials and decodes JSON.
func postForm(t testing.TB, u string, form url.Values, basicID, basicSecret string) (int, http.Header, map[string]any) {
	t.Helper()
	req, _ := http.NewRequestWithContext(context.Background(), "POST", u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basicID != "" {
		req.SetBasicAuth(url.QueryEscape(basicID), url.QueryEscape(basicSecret))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		// Salesforce-mode revocation errors are form-encoded.
		q, _ := url.ParseQuery(string(body))
		m = map[string]any{}
		for k := range q {
			m[k] = q.Get(k)
		}
		return resp.StatusCode, resp.Header, m
	}
	_ = json.Unmarshal(body, &m)
	return resp.StatusCode, resp.Header, m
}

// getBearer GETs with a bearer token.
func getBearer(t testing.TB, u, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}
