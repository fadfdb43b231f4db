package dynamostore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/caplab/caplab/lambda/store"
	"github.com/caplab/caplab/lambda/store/dynamostore"
)

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// flaky answers chosen DynamoDB operations with a throttle or a reset.
type flaky struct {
	mu     sync.Mutex
	op     string // X-Amz-Target suffix
	action string // throttle | dropAfter
	left   int
	hits   int
}

func (f *flaky) RoundTrip(req *http.Request) (*http.Response, error) {
	op := strings.TrimPrefix(req.Header.Get("X-Amz-Target"), "DynamoDB_20120810.")
	f.mu.Lock()
	hit := f.left != 0 && op == f.op
	if hit {
		f.left--
		f.hits++
	}
	action := f.action
	f.mu.Unlock()
	switch {
	case !hit:
		return http.DefaultTransport.RoundTrip(req)
	case action == "throttle":
		b := `{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"slow down"}`
		return &http.Response{StatusCode: 400, Status: "400 Bad Request", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: http.Header{"Content-Type": {"application/x-amz-json-1.0"}}, Body: io.NopCloser(strings.NewReader(b)),
			ContentLength: int64(len(b)), Request: req}, nil
	default:
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		return nil, &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
	}
}

func code(hash string) store.Code {
	return store.Code{Hash: hash, ScenarioID: "s1", ClientID: "c", RedirectURI: "https://app.test/cb", GrantID: "g1",
		IssuedAt: t0, ExpiresAt: t0.Add(10 * time.Minute)}
}

// TestThrottlingBecomesUnavailable: throttling that outlasts the retryer
// is an UnavailableError (Temporary, errors.Is ErrUnavailable), never a
// store sentinel, and the claim was not applied.
func TestThrottlingBecomesUnavailable(t *testing.T) {
	d := startLocal(t)
	f := &flaky{op: "UpdateItem", action: "throttle", left: -1}
	table := newTable(t, newClient(d.Endpoint, nil))
	s := dynamostore.New(newClient(d.Endpoint, f), table)
	ctx := context.Background()
	if err := s.PutCode(ctx, code("h")); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err := s.ClaimCode(ctx, "h", t0)
	if !errors.Is(err, dynamostore.ErrUnavailable) || !dynamostore.IsUnavailable(err) {
		t.Fatalf("ClaimCode under throttling = %v, want an UnavailableError", err)
	}
	var ue *dynamostore.UnavailableError
	if !errors.As(err, &ue) || ue.Op != "ClaimCode" {
		t.Fatalf("error %T %v", err, err)
	}
	for _, sentinel := range []error{store.ErrNotFound, store.ErrAlreadyUsed, store.ErrExpired, store.ErrRevoked} {
		if errors.Is(err, sentinel) {
			t.Fatalf("unavailable error matches %v", sentinel)
		}
	}
	if f.hits != dynamostore.RetryMaxAttempts {
		t.Fatalf("%d attempts, want %d", f.hits, dynamostore.RetryMaxAttempts)
	}
	t.Logf("%d throttled attempts gave up after %s", f.hits, time.Since(start).Round(time.Millisecond))
	f.mu.Lock()
	f.left = 0
	f.mu.Unlock()
	if c, err := s.GetCode(ctx, "h", t0); err != nil || !c.UsedAt.IsZero() {
		t.Fatalf("after failed claims: %+v, %v; want unused", c, err)
	}
	if _, err := s.ClaimCode(ctx, "h", t0); err != nil {
		t.Fatalf("claim after the throttling ended: %v", err)
	}
}

// TestClaimResponseLost: DynamoDB applies the claim and the response is
// lost; the SDK's retry fails the condition on our own claim, which counts
// as the win. A second, real claim is still refused.
func TestClaimResponseLost(t *testing.T) {
	d := startLocal(t)
	f := &flaky{op: "UpdateItem", action: "dropAfter", left: 1}
	table := newTable(t, newClient(d.Endpoint, nil))
	s := dynamostore.New(newClient(d.Endpoint, f), table)
	ctx := context.Background()
	if err := s.PutCode(ctx, code("h")); err != nil {
		t.Fatal(err)
	}
	c, err := s.ClaimCode(ctx, "h", t0.Add(time.Second))
	if err != nil || !c.UsedAt.Equal(t0.Add(time.Second)) || f.hits != 1 {
		t.Fatalf("ClaimCode with a lost response = %+v, %v (hits %d)", c, err, f.hits)
	}
	if _, err := s.ClaimCode(ctx, "h", t0.Add(2*time.Second)); !errors.Is(err, store.ErrAlreadyUsed) {
		t.Fatalf("second claim = %v", err)
	}
	// The same for refresh tokens.
	if err := s.PutGrant(ctx, store.Grant{ID: "g1", ScenarioID: "s1", Status: store.GrantActive, CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutToken(ctx, store.Token{Hash: "rt", Kind: store.KindRefresh, GrantID: "g1", IssuedAt: t0}); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	f.left = 1
	f.mu.Unlock()
	if _, err := s.ClaimRefresh(ctx, "rt", t0.Add(time.Second)); err != nil {
		t.Fatalf("ClaimRefresh with a lost response: %v", err)
	}
	if _, err := s.ClaimRefresh(ctx, "rt", t0.Add(2*time.Second)); !errors.Is(err, store.ErrAlreadyUsed) {
		t.Fatalf("second ClaimRefresh = %v", err)
	}
}

// TestRevocationIsSticky: writing back a grant read before a concurrent
// revocation does not undo the revocation.
func TestRevocationIsSticky(t *testing.T) {
	d := startLocal(t)
	client := newClient(d.Endpoint, nil)
	s := dynamostore.New(client, newTable(t, client))
	ctx := context.Background()
	g := store.Grant{ID: "g", ScenarioID: "s1", User: "ana", Interactive: true, Status: store.GrantActive, Scope: "api", CreatedAt: t0}
	if err := s.PutGrant(ctx, g); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeGrant(ctx, "g", "user revoked the app", t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	stale := g
	stale.Scope = "api refresh_token"
	if err := s.PutGrant(ctx, stale); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetGrant(ctx, "g")
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != store.GrantRevoked || got.RevokedWhy != "user revoked the app" || got.Scope != "api refresh_token" {
		t.Fatalf("after a stale put: %+v; want revoked (first reason) with the new record", got)
	}
	if gs, _ := s.ListApprovals(ctx, "s1", "ana"); len(gs) != 0 {
		t.Fatalf("ListApprovals = %+v; want none (the grant is revoked)", gs)
	}
}

// TestListApprovalsMany pages past one BatchGetItem (100 keys) and skips
// non-interactive grants (one user with 130 grants: far more than the five
// live approvals per app the live org keeps, as after many revocations).
func TestListApprovalsMany(t *testing.T) {
	d := startLocal(t)
	client := newClient(d.Endpoint, nil)
	s := dynamostore.New(client, newTable(t, client))
	ctx := context.Background()
	const n = 130
	for i := range n {
		g := store.Grant{ID: fmt.Sprintf("g%03d", i), ScenarioID: "s1", User: "ana", Interactive: i%10 != 0, Status: store.GrantActive,
			CreatedAt: t0.Add(time.Duration(n-i) * time.Second)}
		if err := s.PutGrant(ctx, g); err != nil {
			t.Fatal(err)
		}
	}
	gs, err := s.ListApprovals(ctx, "s1", "ana")
	if err != nil {
		t.Fatal(err)
	}
	if len(gs) != n-n/10 {
		t.Fatalf("ListApprovals = %d grants, want %d", len(gs), n-n/10)
	}
	for i := 1; i < len(gs); i++ {
		if gs[i].CreatedAt.Before(gs[i-1].CreatedAt) || !gs[i].Interactive {
			t.Fatalf("order or filter broken at %d: %+v after %+v", i, gs[i], gs[i-1])
		}
	}
}

func TestScenarioTooLarge(t *testing.T) {
	d := startLocal(t)
	client := newClient(d.Endpoint, nil)
	s := dynamostore.New(client, newTable(t, client))
	big := bytes.Repeat([]byte("x"), dynamostore.MaxDocumentSize+1)
	if err := s.PutScenario(context.Background(), store.Scenario{ID: "big", OrgID: "org-big", Document: big}); !errors.Is(err, dynamostore.ErrTooLarge) {
		t.Fatalf("PutScenario(too large) = %v", err)
	}
	ok := bytes.Repeat([]byte("y"), dynamostore.MaxDocumentSize)
	if err := s.PutScenario(context.Background(), store.Scenario{ID: "max", OrgID: "org-max", Document: ok}); err != nil {
		t.Fatalf("PutScenario(at the limit) = %v", err)
	}
	got, err := s.GetScenario(context.Background(), "max")
	if err != nil || !bytes.Equal(got.Document, ok) {
		t.Fatalf("GetScenario(max) = %d bytes, %v", len(got.Document), err)
	}
}
