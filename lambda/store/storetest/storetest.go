// Package storetest is the contract every store.Store implementation
// passes: call Run from the implementation's own test.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caplab/caplab/lambda/store"
)

// Run checks newStore's stores against the store.Store contract. Each
// subtest gets a fresh store from newStore (which should register its own
// cleanup).
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"ScenarioRoundTrip", testScenario},
		{"CodeClaimOnce", testCodeClaim},
		{"CodeRace", testCodeRace},
		{"CodeExpiry", testCodeExpiry},
		{"GrantRevocationHidesTokens", testGrantRevocation},
		{"RefreshRace", testRefreshRace},
		{"TokenExpiryAndTouch", testTokenExpiry},
		{"RevokeToken", testRevokeToken},
		{"ListApprovals", testListApprovals},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			tc.fn(t, s)
		})
	}
}

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func testScenario(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, err := s.GetScenario(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetScenario(missing) = %v, want ErrNotFound", err)
	}
	sc := store.Scenario{ID: "abcDEF123_-x", Mode: store.ModeRFC, Document: []byte(`{"schemaVersion":1}`), CreatedAt: t0}
	must(t, s.PutScenario(ctx, sc))
	// Idempotent: a second put of the same id succeeds and keeps the first record.
	again := sc
	again.CreatedAt = t0.Add(time.Hour)
	must(t, s.PutScenario(ctx, again))
	got, err := s.GetScenario(ctx, sc.ID)
	must(t, err)
	if got.ID != sc.ID || got.Mode != sc.Mode || string(got.Document) != string(sc.Document) || !got.CreatedAt.Equal(t0) {
		t.Fatalf("GetScenario = %+v, want %+v", got, sc)
	}
}

func newCode(hash string) store.Code {
	return store.Code{Hash: hash, ScenarioID: "s1", ClientID: "client", RedirectURI: "https://app.test/cb",
		Org: "Acme", User: "ana@acme.test", Scope: "api", Authorize: store.Step{At: t0, Event: []byte(`{"do":"authorize"}`)},
		GrantID: "g1", IssuedAt: t0, ExpiresAt: t0.Add(10 * time.Minute)}
}

func testCodeClaim(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, err := s.ClaimCode(ctx, "missing", t0); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("ClaimCode(missing) = %v, want ErrNotFound", err)
	}
	c := newCode("h1")
	must(t, s.PutCode(ctx, c))
	got, err := s.GetCode(ctx, "h1", t0)
	must(t, err)
	if got.RedirectURI != c.RedirectURI || got.GrantID != "g1" || got.ClientID != c.ClientID || string(got.Authorize.Event) != string(c.Authorize.Event) {
		t.Fatalf("GetCode = %+v", got)
	}
	got, err = s.ClaimCode(ctx, "h1", t0.Add(time.Minute))
	must(t, err)
	if !got.UsedAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("claimed UsedAt = %v", got.UsedAt)
	}
	got, err = s.ClaimCode(ctx, "h1", t0.Add(2*time.Minute))
	if !errors.Is(err, store.ErrAlreadyUsed) || got.Hash != "h1" {
		t.Fatalf("second ClaimCode = %+v, %v; want the record and ErrAlreadyUsed", got, err)
	}
	// A replay after expiry is still a replay (so the grant gets revoked).
	if _, err := s.ClaimCode(ctx, "h1", t0.Add(time.Hour)); !errors.Is(err, store.ErrAlreadyUsed) {
		t.Fatalf("ClaimCode of a used, expired code = %v; want ErrAlreadyUsed", err)
	}
}

// racers is how many goroutines race for one single-use claim.
const racers = 50

// Race runs claim from n goroutines released at once and checks the
// single-use rule: exactly one wins, every other gets store.ErrAlreadyUsed
// (relay.ErrAlreadyUsed is the same sentinel). op names the claim in
// failures.
func Race(t *testing.T, n int, op string, claim func() error) {
	t.Helper()
	var wins, used atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range n {
		wg.Go(func() {
			<-start
			switch err := claim(); {
			case err == nil:
				wins.Add(1)
			case errors.Is(err, store.ErrAlreadyUsed):
				used.Add(1)
			default:
				t.Errorf("%s: %v", op, err)
			}
		})
	}
	close(start)
	wg.Wait()
	if wins.Load() != 1 || used.Load() != int32(n-1) {
		t.Fatalf("%d racing %s calls: %d won, %d already used; want 1 and %d", n, op, wins.Load(), used.Load(), n-1)
	}
}

func testCodeRace(t *testing.T, s store.Store) {
	ctx := context.Background()
	must(t, s.PutCode(ctx, newCode("race")))
	Race(t, racers, "ClaimCode", func() error {
		_, err := s.ClaimCode(ctx, "race", t0.Add(time.Second))
		return err
	})
}

func testCodeExpiry(t *testing.T, s store.Store) {
	ctx := context.Background()
	must(t, s.PutCode(ctx, newCode("old")))
	late := t0.Add(10 * time.Minute)
	if c, err := s.GetCode(ctx, "old", late); !errors.Is(err, store.ErrExpired) || c.Hash != "old" {
		t.Fatalf("GetCode(expired) = %v, want ErrExpired with the record", err)
	}
	if _, err := s.ClaimCode(ctx, "old", late); !errors.Is(err, store.ErrExpired) {
		t.Fatalf("ClaimCode(expired) = %v, want ErrExpired", err)
	}
	// An expired claim attempt must not mark the code used.
	if c, _ := s.GetCode(ctx, "old", t0); !c.UsedAt.IsZero() {
		t.Fatal("an expired claim marked the code used")
	}
}

func newGrant(id string, created time.Time) store.Grant {
	return store.Grant{ID: id, ScenarioID: "s1", ClientID: "client", Org: "Acme", User: "ana@acme.test", App: "Acme Sync",
		Scope: "api refresh_token", Interactive: true, Status: store.GrantActive, CreatedAt: created,
		Origin: store.Step{At: created, Event: []byte(`{"do":"authorize"}`)}}
}

func newToken(hash, kind, grant string) store.Token {
	return store.Token{Hash: hash, Kind: kind, ScenarioID: "s1", GrantID: grant, ClientID: "client", Scope: "api",
		IssuedAt: t0, Chain: []store.Step{{At: t0, Event: []byte(`{"do":"token"}`)}}}
}

func testGrantRevocation(t *testing.T, s store.Store) {
	ctx := context.Background()
	must(t, s.PutGrant(ctx, newGrant("g1", t0)))
	must(t, s.PutGrant(ctx, newGrant("g2", t0)))
	for i := range 3 {
		must(t, s.PutToken(ctx, newToken(fmt.Sprint("at", i), store.KindAccess, "g1")))
	}
	must(t, s.PutToken(ctx, newToken("rt", store.KindRefresh, "g1")))
	must(t, s.PutToken(ctx, newToken("other", store.KindAccess, "g2")))
	for _, h := range []string{"at0", "at1", "at2", "rt", "other"} {
		if _, err := s.GetToken(ctx, h, t0); err != nil {
			t.Fatalf("GetToken(%s) before revocation: %v", h, err)
		}
	}
	if err := s.RevokeGrant(ctx, "missing", "x", t0); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("RevokeGrant(missing) = %v", err)
	}
	must(t, s.RevokeGrant(ctx, "g1", "code replayed", t0.Add(time.Minute)))
	must(t, s.RevokeGrant(ctx, "g1", "second reason", t0.Add(2*time.Minute)))
	g, err := s.GetGrant(ctx, "g1")
	must(t, err)
	if g.Status != store.GrantRevoked || g.RevokedWhy != "code replayed" {
		t.Fatalf("grant after revocation: %+v", g)
	}
	for _, h := range []string{"at0", "at1", "at2", "rt"} {
		if tok, err := s.GetToken(ctx, h, t0); !errors.Is(err, store.ErrRevoked) || tok.Hash != h {
			t.Fatalf("GetToken(%s) after grant revocation = %v, want ErrRevoked with the record", h, err)
		}
	}
	if _, err := s.ClaimRefresh(ctx, "rt", t0); !errors.Is(err, store.ErrRevoked) {
		t.Fatalf("ClaimRefresh after grant revocation = %v, want ErrRevoked", err)
	}
	if _, err := s.GetToken(ctx, "other", t0); err != nil {
		t.Fatalf("a token of another grant was hidden: %v", err)
	}
}

func testRefreshRace(t *testing.T, s store.Store) {
	ctx := context.Background()
	must(t, s.PutGrant(ctx, newGrant("g", t0)))
	must(t, s.PutToken(ctx, newToken("rt", store.KindRefresh, "g")))
	Race(t, racers, "ClaimRefresh", func() error {
		_, err := s.ClaimRefresh(ctx, "rt", t0.Add(time.Second))
		return err
	})
	tok, err := s.GetToken(ctx, "rt", t0.Add(time.Hour))
	must(t, err)
	if tok.UsedAt.IsZero() {
		t.Fatal("claimed refresh token has no UsedAt")
	}
}

func testTokenExpiry(t *testing.T, s store.Store) {
	ctx := context.Background()
	must(t, s.PutGrant(ctx, newGrant("g", t0)))
	at := newToken("at", store.KindAccess, "g")
	at.ExpiresAt, at.Timeout = t0.Add(time.Hour), time.Hour
	must(t, s.PutToken(ctx, at))
	if _, err := s.GetToken(ctx, "at", t0.Add(59*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if tok, err := s.GetToken(ctx, "at", t0.Add(time.Hour)); !errors.Is(err, store.ErrExpired) || tok.Hash != "at" {
		t.Fatalf("GetToken at expiry = %v, want ErrExpired with the record", err)
	}
	must(t, s.TouchToken(ctx, "at", t0.Add(40*time.Minute), t0.Add(100*time.Minute)))
	tok, err := s.GetToken(ctx, "at", t0.Add(90*time.Minute))
	must(t, err)
	if !tok.LastUsedAt.Equal(t0.Add(40 * time.Minute)) {
		t.Fatalf("LastUsedAt = %v", tok.LastUsedAt)
	}
	if err := s.TouchToken(ctx, "missing", t0, time.Time{}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("TouchToken(missing) = %v", err)
	}
	if _, err := s.GetToken(ctx, "missing", t0); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetToken(missing) = %v", err)
	}
}

func testRevokeToken(t *testing.T, s store.Store) {
	ctx := context.Background()
	must(t, s.PutGrant(ctx, newGrant("g", t0)))
	must(t, s.PutToken(ctx, newToken("a", store.KindAccess, "g")))
	must(t, s.PutToken(ctx, newToken("b", store.KindAccess, "g")))
	must(t, s.RevokeToken(ctx, "a", t0))
	if _, err := s.GetToken(ctx, "a", t0); !errors.Is(err, store.ErrRevoked) {
		t.Fatalf("revoked token reads %v", err)
	}
	if _, err := s.GetToken(ctx, "b", t0); err != nil {
		t.Fatalf("revoking one token hid another: %v", err)
	}
	if err := s.RevokeToken(ctx, "missing", t0); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("RevokeToken(missing) = %v", err)
	}
}

func testListApprovals(t *testing.T, s store.Store) {
	ctx := context.Background()
	must(t, s.PutGrant(ctx, newGrant("late", t0.Add(time.Hour))))
	must(t, s.PutGrant(ctx, newGrant("early", t0)))
	other := newGrant("x", t0)
	other.ScenarioID = "s2"
	must(t, s.PutGrant(ctx, other))
	direct := newGrant("direct", t0)
	direct.Interactive = false
	must(t, s.PutGrant(ctx, direct))
	must(t, s.RevokeGrant(ctx, "late", "revoked approvals are listed too", t0))
	gs, err := s.ListApprovals(ctx, "s1")
	must(t, err)
	if len(gs) != 2 {
		t.Fatalf("ListApprovals = %d grants, want 2 (interactive ones only)", len(gs))
	}
	if gs[0].ID != "early" || gs[1].ID != "late" {
		t.Fatalf("ListApprovals order = %s, %s; want early, late", gs[0].ID, gs[1].ID)
	}
	if gs[1].Status != store.GrantRevoked {
		t.Fatalf("revoked approval reads %q", gs[1].Status)
	}
	if string(gs[0].Origin.Event) != `{"do":"authorize"}` {
		t.Fatalf("grant origin did not round-trip: %+v", gs[0].Origin)
	}
	// Re-putting a grant updates it in place.
	g := gs[0]
	g.Scope = "api"
	must(t, s.PutGrant(ctx, g))
	gs, _ = s.ListApprovals(ctx, "s1")
	if len(gs) != 2 || gs[0].Scope != "api" {
		t.Fatalf("after update: %+v", gs)
	}
	if none, err := s.ListApprovals(ctx, "nothing"); err != nil || len(none) != 0 {
		t.Fatalf("ListApprovals(empty) = %v, %v", none, err)
	}
}
