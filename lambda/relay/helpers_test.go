package relay_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caplab/caplab/lambda/relay"
	"github.com/caplab/caplab/lambda/store/memstore"
)

const (
	testAdminKey = "test-admin-key-0123456789abcdef0123456789"
	testCallback = "https://relay.acme-isv.test/relay/callback"
	// A valid S256 challenge (43 base64url characters).
	testChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
)

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// clock is a settable test clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// countingStore counts flow creations, so a test can show that a refused
// start minted nothing (the OpenHands case).
type countingStore struct {
	relay.Store
	creates atomic.Int64
}

func (s *countingStore) CreateFlow(ctx context.Context, f relay.Flow) error {
	s.creates.Add(1)
	return s.Store.CreateFlow(ctx, f)
}

// lockedBuffer is a goroutine-safe log sink.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// fixture is a relay over a memory store with two tenants, a test clock
// and a captured log.
type fixture struct {
	t     *testing.T
	st    *countingStore
	clock *clock
	logs  *lockedBuffer
	h     http.Handler
}

// Tenants of the fixture.
var (
	acme = relay.Tenant{
		ID:        "acme",
		LoginHost: "https://acme.my.salesforce.com",
		ClientID:  "3MVG9acme",
		Destinations: []relay.Destination{
			{ID: "prod", URL: "https://acme.com/oauth/callback"},
			{ID: "local", URL: "http://127.0.0.1:9000/cb"},
			{ID: "withquery", URL: "https://acme.com/oauth/cb2?tenant=acme"},
		},
	}
	globex = relay.Tenant{
		ID:           "globex",
		LoginHost:    "test",
		ClientID:     "3MVG9globex",
		Destinations: []relay.Destination{{ID: "gx", URL: "https://globex.example/cb"}},
	}
)

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{t: t, st: &countingStore{Store: memstore.NewRelay()}, clock: &clock{now: t0}, logs: &lockedBuffer{}}
	for _, tn := range []relay.Tenant{acme, globex} {
		n, err := tn.Normalize()
		if err != nil {
			t.Fatal(err)
		}
		if err := f.st.PutTenant(context.Background(), n); err != nil {
			t.Fatal(err)
		}
	}
	f.h = relay.New(relay.Config{
		AdminKey:    testAdminKey,
		CallbackURL: testCallback,
		Now:         f.clock.Now,
		Logger:      slog.New(slog.NewJSONHandler(f.logs, nil)),
	}, f.st)
	return f
}

// do serves one request in process. The query of target is passed as is,
// however malformed.
func (f *fixture) do(method, target string, body string, hdr ...string) *httptest.ResponseRecorder {
	path, query, _ := strings.Cut(target, "?")
	var r *http.Request
	if body != "" {
		r = httptest.NewRequest(method, path, strings.NewReader(body))
	} else {
		r = httptest.NewRequest(method, path, nil)
	}
	r.URL.RawQuery = query
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	return w
}

// startQuery is a valid start query for tenant/dest, with overrides.
func startQuery(tenant, dest string, kv ...string) string {
	q := url.Values{
		"tenant":                {tenant},
		"dest":                  {dest},
		"state":                 {"consumer-state-123"},
		"code_challenge":        {testChallenge},
		"code_challenge_method": {"S256"},
		"scope":                 {"api refresh_token"},
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "\x00delete" {
			q.Del(kv[i])
		} else {
			q.Set(kv[i], kv[i+1])
		}
	}
	return q.Encode()
}

// start runs a valid start and returns the relay's handle (the state sent
// to the authorization server).
func (f *fixture) start(tenant, dest string, kv ...string) string {
	f.t.Helper()
	w := f.do("GET", "/relay/start?"+startQuery(tenant, dest, kv...), "")
	if w.Code != http.StatusFound {
		f.t.Fatalf("start %s/%s: %d %s", tenant, dest, w.Code, w.Body)
	}
	u, err := url.Parse(w.Header().Get("Location"))
	if err != nil {
		f.t.Fatal(err)
	}
	return u.Query().Get("state")
}

// callback runs GET /relay/callback with the given parameters.
func (f *fixture) callback(kv ...string) *httptest.ResponseRecorder {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Add(kv[i], kv[i+1])
	}
	return f.do("GET", "/relay/callback?"+q.Encode(), "")
}

// wantPage checks an error page: the status, HTML, no Location, no
// third-party (or any) asset, and the failure code.
func wantPage(t *testing.T, w *httptest.ResponseRecorder, status int, code string) {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status %d, want %d (body %s)", w.Code, status, w.Body)
	}
	if loc := w.Header().Get("Location"); loc != "" {
		t.Fatalf("error page with Location %q", loc)
	}
	if ct := w.Header().Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Fatalf("Content-Type %q", ct)
	}
	body := w.Body.String()
	for _, bad := range []string{"src=", "href=", "http:", "https:", "@import", "url("} {
		if strings.Contains(body, bad) {
			t.Fatalf("error page contains %q:\n%s", bad, body)
		}
	}
	if code != "" && !strings.Contains(body, "<code>"+code+"</code>") {
		t.Fatalf("error page is not %s:\n%s", code, body)
	}
	wantCommonHeaders(t, w.Header())
}

func wantCommonHeaders(t *testing.T, h http.Header) {
	t.Helper()
	for k, v := range map[string]string{"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"} {
		if got := h.Get(k); got != v {
			t.Fatalf("%s = %q, want %q", k, got, v)
		}
	}
}

// wantRedirect checks a bare forwarding redirect and returns its Location
// without the "#_" and the parsed query.
func wantRedirect(t *testing.T, w *httptest.ResponseRecorder, status int, dest string) url.Values {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status %d, want %d (body %s)", w.Code, status, w.Body)
	}
	if w.Body.Len() != 0 {
		t.Fatalf("redirect with a body: %q", w.Body)
	}
	wantCommonHeaders(t, w.Header())
	loc := w.Header().Get("Location")
	base, frag, _ := strings.Cut(loc, "#")
	if frag != "_" {
		t.Fatalf("Location %q does not end in #_", loc)
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	if got := u.Scheme + "://" + u.Host + u.Path; got != dest {
		t.Fatalf("forwarded to %q, want %q", got, dest)
	}
	return u.Query()
}
