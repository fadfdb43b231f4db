package lambdamain_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/caplab/caplab/lambda/httpapi"
	"github.com/caplab/caplab/lambda/lambdatest"
	"github.com/caplab/caplab/lambda/store"
	"github.com/caplab/caplab/lambda/store/dynamostore"
)

// faults sits between the SDK and DynamoDB Local and misbehaves for chosen
// operations: a ProvisionedThroughputExceededException (HTTP 400, the
// request not applied), or a connection reset before the request is sent,
// or after DynamoDB applied it (the response is lost).
type faults struct {
	mu    sync.Mutex
	rules []*rule
	hits  map[string]int
}

type rule struct {
	op       string // X-Amz-Target operation, e.g. "UpdateItem"
	contains string // substring of the request body, e.g. "CODE#"
	action   string // throttle | dropBefore | dropAfter
	left     int    // remaining times; <0 forever
}

func (f *faults) set(rs ...*rule) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rules, f.hits = rs, map[string]int{}
}

func (f *faults) RoundTrip(req *http.Request) (*http.Response, error) {
	op := strings.TrimPrefix(req.Header.Get("X-Amz-Target"), "DynamoDB_20120810.")
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
		req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	f.mu.Lock()
	var hit *rule
	for _, r := range f.rules {
		if r.left != 0 && r.op == op && bytes.Contains(body, []byte(r.contains)) {
			r.left--
			hit = r
			f.hits[r.action+" "+op]++
			break
		}
	}
	f.mu.Unlock()
	reset := &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
	switch {
	case hit == nil:
		return http.DefaultTransport.RoundTrip(req)
	case hit.action == "throttle":
		b := `{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"The level of configured provisioned throughput for the table was exceeded."}`
		return &http.Response{StatusCode: 400, Status: "400 Bad Request", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: http.Header{"Content-Type": {"application/x-amz-json-1.0"}, "X-Amzn-Requestid": {"FAKE"}},
			Body:   io.NopCloser(strings.NewReader(b)), ContentLength: int64(len(b)), Request: req}, nil
	case hit.action == "dropBefore":
		return nil, reset
	default: // dropAfter
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		return nil, reset
	}
}

// liveEnv is the shared handler, as Lambda builds it, over a DynamoDB
// Local table reached through the fault injector.
type liveEnv struct {
	t      *testing.T
	srv    *httptest.Server
	st     *dynamostore.Store
	faults *faults
	id     string
	issuer string
}

func newLiveEnv(t *testing.T, mutate ...func(doc map[string]any)) *liveEnv {
	d := lambdatest.SharedDynamoDBLocal(t)
	f := &faults{}
	client := dynamoClient(d.Endpoint, f)
	table := newTable(t, dynamoClient(d.Endpoint, nil))
	st := dynamostore.New(client, table)
	_, secrets := testKeys(t)
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	srv.Config.Handler = httpapi.New(httpapi.Config{BaseURL: base, SigningKey: secrets.SigningKey, CookieKey: secrets.CookieKey, Logger: quietLogger()}, st)
	srv.Start()
	t.Cleanup(srv.Close)
	e := &liveEnv{t: t, srv: srv, st: st, faults: f}
	doc, err := os.ReadFile("testdata/scenario.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(mutate) > 0 {
		var m map[string]any
		json.Unmarshal(doc, &m)
		for _, f := range mutate {
			f(m)
		}
		doc, _ = json.Marshal(m)
	}
	resp, err := lambdatest.LoopbackClient().Post(base+"/api/scenarios", "application/json", bytes.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	var out struct{ ID, Issuer string }
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || json.Unmarshal(b, &out) != nil {
		t.Fatalf("share: %d %s", resp.StatusCode, b)
	}
	e.id, e.issuer = out.ID, out.Issuer
	return e
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// code logs ana in, approves and returns a fresh authorization code.
func (e *liveEnv) code() string {
	e.t.Helper()
	jar, _ := cookiejar.New(nil)
	c := lambdatest.LoopbackClient()
	c.Jar = jar
	c.CheckRedirect = func(req *http.Request, _ []*http.Request) error {
		if req.URL.Host != e.srv.Listener.Addr().String() {
			return http.ErrUseLastResponse
		}
		return nil
	}
	authURL := e.issuer + "/services/oauth2/authorize"
	q := url.Values{"response_type": {"code"}, "client_id": {"acme_sync_key"}, "redirect_uri": {"https://app.acme.test/oauth/callback"},
		"scope": {"api refresh_token"}, "state": {"st4te-xyz-123"}}
	do := func(req *http.Request) (int, string, string) {
		resp, err := c.Do(req)
		if err != nil {
			e.t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Location"), string(b)
	}
	post := func(form url.Values) (int, string, string) {
		req, _ := http.NewRequest("POST", authURL, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return do(req)
	}
	req, _ := http.NewRequest("GET", authURL+"?"+q.Encode(), nil)
	status, loc, page := do(req)
	for i := 0; loc == "" && i < 3; i++ {
		m := csrfRe.FindStringSubmatch(page)
		if m == nil {
			e.t.Fatalf("authorize: no form (status %d):\n%s", status, page)
		}
		switch {
		case strings.Contains(page, `name="password"`):
			status, loc, page = post(url.Values{"csrf": {m[1]}, "username": {"ana@acme.test"}, "password": {"ana-Pa55word"}})
		case strings.Contains(page, `name="decision"`):
			status, loc, page = post(url.Values{"csrf": {m[1]}, "decision": {"allow"}})
		}
	}
	u, err := url.Parse(loc)
	if err != nil || u.Query().Get("code") == "" {
		e.t.Fatalf("authorize ended without a code: %d %q\n%s", status, loc, page)
	}
	return u.Query().Get("code")
}

// token posts a form to the token endpoint.
func (e *liveEnv) token(form url.Values) (int, http.Header, map[string]any, string) {
	e.t.Helper()
	form.Set("client_id", "acme_sync_key")
	form.Set("client_secret", "acme-sync-secret")
	resp, err := lambdatest.LoopbackClient().PostForm(e.issuer+"/services/oauth2/token", form)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	json.Unmarshal(b, &m)
	if resp.StatusCode >= 500 && resp.StatusCode != http.StatusServiceUnavailable {
		e.t.Fatalf("token endpoint answered %d: %s", resp.StatusCode, b)
	}
	if bytes.Contains(b, []byte("goroutine")) || bytes.Contains(b, []byte(".go:")) {
		e.t.Fatalf("response leaks a stack: %s", b)
	}
	return resp.StatusCode, resp.Header, m, string(b)
}

func (e *liveEnv) redeem(code string) (int, http.Header, map[string]any, string) {
	return e.token(url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {"https://app.acme.test/oauth/callback"}})
}

// grantOf reads the grant a code belongs to (no faults on this path): the
// code names it (aPrx, then the 22-character grant id).
func (e *liveEnv) grantOf(code string) store.Grant {
	e.t.Helper()
	e.faults.set()
	r, err := e.st.Lookup(e.t.Context(), store.Keys{OrgID: path.Base(e.issuer), Code: hashHex(code), Grant: code[4:26]})
	if err != nil || r.Code == nil || r.Grant == nil || r.Code.GrantID != r.Grant.ID {
		e.t.Fatalf("the code and its grant: %+v %+v %v", r.Code, r.Grant, err)
	}
	return *r.Grant
}

// codeUsed says whether the code was claimed (no faults on this path).
func (e *liveEnv) codeUsed(code string) bool {
	e.t.Helper()
	e.faults.set()
	r, err := e.st.Lookup(e.t.Context(), store.Keys{Code: hashHex(code)})
	if err != nil || r.Code == nil {
		e.t.Fatalf("the code: %+v %v", r.Code, err)
	}
	return !r.Code.UsedAt.IsZero()
}

func (e *liveEnv) introspectActive(tok string) bool {
	e.t.Helper()
	resp, err := lambdatest.LoopbackClient().PostForm(e.issuer+"/services/oauth2/introspect", url.Values{"token": {tok},
		"client_id": {"acme_sync_key"}, "client_secret": {"acme-sync-secret"}})
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	return m["active"] == true
}

// redeemPastFault redeems code under a fault that outlasts the SDK's
// retries (503, the fault hit at least RetryMaxAttempts times), then
// without it: the same code must then yield live tokens.
func (e *liveEnv) redeemPastFault(code string, r *rule) {
	e.t.Helper()
	e.faults.set(r)
	status, h, m, raw := e.redeem(code)
	expect503(e.t, status, h, m, raw)
	if n := e.faults.hits[r.action+" "+r.op]; n < dynamostore.RetryMaxAttempts {
		e.t.Fatalf("fault %s %s hit %d times, want ≥ %d (SDK retries): %v", r.action, r.op, n, dynamostore.RetryMaxAttempts, e.faults.hits)
	}
	e.faults.set()
	status, _, m, raw = e.redeem(code)
	expectTokens(e.t, e, status, m, raw)
}

func expect503(t *testing.T, status int, h http.Header, m map[string]any, raw string) {
	t.Helper()
	if status != http.StatusServiceUnavailable || m["error"] != "temporarily_unavailable" || h.Get("Retry-After") == "" {
		t.Fatalf("want 503 temporarily_unavailable with Retry-After, got %d %s (Retry-After %q)", status, raw, h.Get("Retry-After"))
	}
}

func expectTokens(t *testing.T, e *liveEnv, status int, m map[string]any, raw string) string {
	t.Helper()
	at, _ := m["access_token"].(string)
	if status != http.StatusOK || at == "" {
		t.Fatalf("want 200 with tokens, got %d %s", status, raw)
	}
	if !e.introspectActive(at) {
		t.Fatal("the issued access token does not introspect active")
	}
	return at
}

// TestFaultsLeaveNoHalfWrittenGrant injects DynamoDB throttling and dropped
// connections into a code redemption's read (one BatchGetItem) and write
// (one TransactWriteItems) and checks the client only ever sees 200, a
// 4xx, or a retryable 503, and that after a 503 the same code can still be
// redeemed into a live grant: the write is all or nothing, so no host
// needs to release a claim.
func TestFaultsLeaveNoHalfWrittenGrant(t *testing.T) {
	e := newLiveEnv(t)

	t.Run("WriteThrottled", func(t *testing.T) {
		e.t = t
		code := e.code()
		// Every attempt of the redemption's write is throttled past the
		// SDK's retries: nothing of it happened, and the client is told to
		// retry.
		e.faults.set(&rule{op: "TransactWriteItems", contains: "CODE#", action: "throttle", left: -1})
		status, h, m, raw := e.redeem(code)
		expect503(t, status, h, m, raw)
		if n := e.faults.hits["throttle TransactWriteItems"]; n < dynamostore.RetryMaxAttempts {
			t.Fatalf("the SDK tried the throttled write %d times, want %d (retries with backoff)", n, dynamostore.RetryMaxAttempts)
		}
		if g := e.grantOf(code); g.Status != store.GrantActive || e.codeUsed(code) {
			t.Fatalf("after a 503: grant %s, code used %v; want active and unused", g.Status, e.codeUsed(code))
		}
		status, _, m, raw = e.redeem(code)
		expectTokens(t, e, status, m, raw)
		if g := e.grantOf(code); g.Status != store.GrantActive {
			t.Fatalf("grant after the retry: %s (%s)", g.Status, g.RevokedWhy)
		}
	})

	t.Run("WriteDroppedBeforeSending", func(t *testing.T) {
		e.t = t
		e.redeemPastFault(e.code(), &rule{op: "TransactWriteItems", contains: "CODE#", action: "dropBefore", left: -1})
	})

	t.Run("ReadThrottled", func(t *testing.T) {
		e.t = t
		e.redeemPastFault(e.code(), &rule{op: "BatchGetItem", contains: "CODE#", action: "throttle", left: -1})
	})

	t.Run("WriteResponseLost", func(t *testing.T) {
		e.t = t
		code := e.code()
		// DynamoDB applies the write, the response is lost, the SDK retries:
		// the retry is recognised as our own write, not a replay.
		e.faults.set(&rule{op: "TransactWriteItems", contains: "CODE#", action: "dropAfter", left: 1})
		status, _, m, raw := e.redeem(code)
		expectTokens(t, e, status, m, raw)
		if e.faults.hits["dropAfter TransactWriteItems"] != 1 {
			t.Fatal("the fault did not fire")
		}
		// A real replay still revokes the grant.
		status, _, m, raw = e.redeem(code)
		if status != http.StatusBadRequest || m["error"] != "invalid_grant" {
			t.Fatalf("replay: %d %s", status, raw)
		}
		if g := e.grantOf(code); g.Status != store.GrantRevoked {
			t.Fatalf("grant after a replay: %s", g.Status)
		}
	})

	t.Run("TransientFaultsRetried", func(t *testing.T) {
		e.t = t
		code := e.code()
		e.faults.set(
			&rule{op: "BatchGetItem", contains: "CODE#", action: "throttle", left: 2},
			&rule{op: "TransactWriteItems", contains: "CODE#", action: "dropBefore", left: 1},
		)
		status, _, m, raw := e.redeem(code)
		expectTokens(t, e, status, m, raw)
	})
}

// TestFaultsDuringRefreshRotation: under refresh-token rotation, a
// throttled write of the rotation (claim and new tokens, one transaction)
// answers 503 and leaves the old refresh token unclaimed; the client's
// retry with the same refresh token then succeeds, and reuse afterwards
// still revokes.
func TestFaultsDuringRefreshRotation(t *testing.T) {
	e := newLiveEnv(t, func(m map[string]any) {
		oauth := m["apps"].([]any)[0].(map[string]any)["oauth"].(map[string]any)
		oauth["refreshTokenRotation"] = true
	})
	status, _, m, raw := e.redeem(e.code())
	expectTokens(t, e, status, m, raw)
	rt, _ := m["refresh_token"].(string)
	if rt == "" {
		t.Fatalf("no refresh token: %s", raw)
	}
	refresh := func() (int, http.Header, map[string]any, string) {
		return e.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
	}
	e.faults.set(&rule{op: "TransactWriteItems", contains: "TOKEN#", action: "throttle", left: -1})
	status, h, m, raw := refresh()
	expect503(t, status, h, m, raw)
	e.faults.set()
	status, _, m, raw = refresh()
	expectTokens(t, e, status, m, raw)
	if m["refresh_token"] == rt || m["refresh_token"] == nil {
		t.Fatalf("rotation did not issue a new refresh token: %s", raw)
	}
	// Reuse of the rotated-out token is refused (and revokes the family).
	status, _, m, raw = refresh()
	if status != http.StatusBadRequest || m["error"] != "invalid_grant" {
		t.Fatalf("reuse of a rotated refresh token: %d %s", status, raw)
	}
}
