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

// commit applies w in the live org s1.
func commit(s *dynamostore.Store, w store.Write) error {
	w.OrgID = "s1"
	return s.Commit(context.Background(), w)
}

// TestThrottlingBecomesUnavailable: throttling that outlasts the retryer
// is an UnavailableError (Temporary, errors.Is ErrUnavailable), never a
// store sentinel, and the claim was not applied.
func TestThrottlingBecomesUnavailable(t *testing.T) {
	d := startLocal(t)
	f := &flaky{op: "UpdateItem", action: "throttle", left: -1}
	table := newTable(t, newClient(d.Endpoint, nil))
	s := dynamostore.New(newClient(d.Endpoint, f), table)
	if err := commit(s, store.Write{Now: t0, Codes: []store.Code{code("h")}}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err := commit(s, store.Write{Now: t0, ClaimCode: "h"})
	if !errors.Is(err, dynamostore.ErrUnavailable) || !dynamostore.IsUnavailable(err) {
		t.Fatalf("a claim under throttling = %v, want an UnavailableError", err)
	}
	var ue *dynamostore.UnavailableError
	if !errors.As(err, &ue) || ue.Op != "Commit" {
		t.Fatalf("error %T %v; want an UnavailableError of Commit", err, err)
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
	r, err := s.Lookup(context.Background(), store.Keys{Code: "h"})
	if err != nil || r.Code == nil || !r.Code.UsedAt.IsZero() {
		t.Fatalf("after failed claims: %+v, %v; want unused", r.Code, err)
	}
	if err := commit(s, store.Write{Now: t0, ClaimCode: "h"}); err != nil {
		t.Fatalf("claim after the throttling ended: %v", err)
	}
}

// TestResponseLost: DynamoDB applies a write and the response is lost;
// the SDK's retry is recognised as our own (the idempotency token, or a
// condition failing on our own write_id), so it counts as the success it
// was, once. A second, real claim is still refused.
func TestResponseLost(t *testing.T) {
	d := startLocal(t)
	for _, op := range []string{"UpdateItem", "TransactWriteItems"} {
		t.Run(op, func(t *testing.T) {
			f := &flaky{}
			table := newTable(t, newClient(d.Endpoint, nil))
			s := dynamostore.New(newClient(d.Endpoint, f), table)
			ctx := context.Background()
			if err := s.PutScenario(ctx, store.Scenario{ID: "share", OrgID: "s1", Document: []byte("{}"), CreatedAt: t0}); err != nil {
				t.Fatal(err)
			}
			g := store.Grant{ID: "g1", ScenarioID: "s1", User: "ana", Status: store.GrantActive, CreatedAt: t0}
			if err := commit(s, store.Write{Now: t0, Grant: &g, Codes: []store.Code{code("h")}}); err != nil {
				t.Fatal(err)
			}
			w := store.Write{Now: t0.Add(time.Second), ClaimCode: "h"} // one UpdateItem
			if op == "TransactWriteItems" {
				w.UseGrant, w.Tokens = "g1", []store.Token{{Hash: "rt", Kind: store.KindRefresh, ScenarioID: "s1", GrantID: "g1", IssuedAt: t0}}
			}
			f.mu.Lock()
			f.op, f.action, f.left = op, "dropAfter", 1
			f.mu.Unlock()
			if err := commit(s, w); err != nil || f.hits != 1 {
				t.Fatalf("a write whose response was lost = %v (fault hit %d times); want success", err, f.hits)
			}
			if err := commit(s, store.Write{Now: t0.Add(2 * time.Second), ClaimCode: "h"}); !errors.Is(err, store.ErrAlreadyUsed) {
				t.Fatalf("second claim = %v; want ErrAlreadyUsed", err)
			}
			gs, err := s.ListGrants(ctx, "s1")
			if err != nil || len(gs) != 1 {
				t.Fatalf("ListGrants = %v, %v", gs, err)
			}
			if want := map[bool]int{true: 1, false: 0}[w.UseGrant != ""]; gs[0].Uses != want {
				t.Fatalf("uses after a retried write = %d; want %d (counted once)", gs[0].Uses, want)
			}
		})
	}
}

// TestListApprovalsMany pages one user's many approval entries (130, far
// more than the five live approvals per app the live org keeps).
func TestListApprovalsMany(t *testing.T) {
	d := startLocal(t)
	client := newClient(d.Endpoint, nil)
	s := dynamostore.New(client, newTable(t, client))
	ctx := context.Background()
	if err := s.PutScenario(ctx, store.Scenario{ID: "share", OrgID: "s1", Document: []byte("{}"), CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	const n = 130
	for i := range n {
		g := store.Grant{ID: fmt.Sprintf("g%03d", i), ScenarioID: "s1", User: "ana", Interactive: i%10 != 0, Status: store.GrantActive,
			CreatedAt: t0.Add(time.Duration(n-i) * time.Second)}
		if err := commit(s, store.Write{Now: t0, Grant: &g}); err != nil {
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
