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
		{"GrantQuota", testGrantQuota},
		{"Lockout", testLockout},
		{"GrantUses", testGrantUses},
		{"LoginHistory", testLoginHistory},
		{"Prune", testPrune},
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
	if _, err := s.GetLiveOrg(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetLiveOrg(missing) = %v, want ErrNotFound", err)
	}
	sc := store.Scenario{ID: "share-1", OrgID: "org-1", Origin: "http://127.0.0.1:9001", Mode: store.ModeRFC,
		Document: []byte(`{"schemaVersion":1, "title":"kept as sent"}`), CreatedAt: t0}
	must(t, s.PutScenario(ctx, sc))
	for _, clash := range []store.Scenario{
		{ID: sc.ID, OrgID: "org-2", Mode: store.ModeRFC, CreatedAt: t0},      // share id taken
		{ID: "share-2", OrgID: sc.OrgID, Mode: store.ModeRFC, CreatedAt: t0}, // live org id taken
	} {
		if err := s.PutScenario(ctx, clash); !errors.Is(err, store.ErrExists) {
			t.Fatalf("PutScenario(%s, %s) = %v; want ErrExists", clash.ID, clash.OrgID, err)
		}
	}
	check := func(how string, got store.Scenario, err error) {
		t.Helper()
		must(t, err)
		if got.ID != sc.ID || got.OrgID != sc.OrgID || got.Origin != sc.Origin || got.Mode != sc.Mode ||
			string(got.Document) != string(sc.Document) || !got.CreatedAt.Equal(t0) {
			t.Fatalf("%s = %+v, want %+v", how, got, sc)
		}
	}
	got, err := s.GetScenario(ctx, sc.ID)
	check("GetScenario", got, err)
	got, err = s.GetLiveOrg(ctx, sc.OrgID)
	check("GetLiveOrg", got, err)
	if _, err := s.GetScenario(ctx, sc.OrgID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetScenario(live org id) = %v; want ErrNotFound (the live org id must not read the share)", err)
	}
	must(t, s.TouchScenario(ctx, sc, t0.Add(time.Hour)))
	for _, read := range []func() (store.Scenario, error){
		func() (store.Scenario, error) { return s.GetScenario(ctx, sc.ID) },
		func() (store.Scenario, error) { return s.GetLiveOrg(ctx, sc.OrgID) },
	} {
		got, err := read()
		must(t, err)
		if !got.LastUse().Equal(t0.Add(time.Hour)) {
			t.Fatalf("LastUse after TouchScenario = %v; want %v", got.LastUse(), t0.Add(time.Hour))
		}
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

// putOrg stores a live org "s1" (the org of newGrant's grants) with quota.
func putOrg(t *testing.T, s store.Store, quota int) {
	t.Helper()
	must(t, s.PutScenario(context.Background(), store.Scenario{ID: "share-s1", OrgID: "s1", Mode: store.ModeSalesforce,
		Document: []byte(`{}`), CreatedAt: t0, MaxGrants: quota}))
}

func testListApprovals(t *testing.T, s store.Store) {
	ctx := context.Background()
	putOrg(t, s, 0)
	must(t, s.PutGrant(ctx, newGrant("late", t0.Add(time.Hour))))
	must(t, s.PutGrant(ctx, newGrant("early", t0)))
	must(t, s.PutGrant(ctx, newGrant("revoked", t0)))
	other := newGrant("other-org", t0)
	other.ScenarioID = "s2"
	must(t, s.PutGrant(ctx, other))
	otherUser := newGrant("other-user", t0)
	otherUser.User = "bo@acme.test"
	must(t, s.PutGrant(ctx, otherUser))
	direct := newGrant("direct", t0)
	direct.Interactive = false
	must(t, s.PutGrant(ctx, direct))
	must(t, s.RevokeGrant(ctx, "revoked", "revoked approvals are not listed", t0))
	gs, err := s.ListApprovals(ctx, "s1", "ana@acme.test")
	must(t, err)
	var ids []string
	for _, g := range gs {
		ids = append(ids, g.ID)
	}
	if fmt.Sprint(ids) != "[early late]" {
		t.Fatalf("ListApprovals = %v; want [early late] (this user's active interactive grants, oldest first)", ids)
	}
	if string(gs[0].Origin.Event) != `{"do":"authorize"}` {
		t.Fatalf("grant origin did not round-trip: %+v", gs[0].Origin)
	}
	// Re-putting a grant updates it in place.
	g := gs[0]
	g.Scope = "api"
	must(t, s.PutGrant(ctx, g))
	gs, _ = s.ListApprovals(ctx, "s1", "ana@acme.test")
	if len(gs) != 2 || gs[0].Scope != "api" {
		t.Fatalf("after update: %+v", gs)
	}
	// A revoked grant put again (a stale writer) stays revoked and unlisted.
	stale := newGrant("revoked", t0)
	must(t, s.PutGrant(ctx, stale))
	if g, _ := s.GetGrant(ctx, "revoked"); g.Status != store.GrantRevoked {
		t.Fatalf("a rewrite undid a revocation: %+v", g)
	}
	if gs, _ := s.ListApprovals(ctx, "s1", "ana@acme.test"); len(gs) != 2 {
		t.Fatalf("after a stale rewrite: %d approvals, want 2", len(gs))
	}
	if none, err := s.ListApprovals(ctx, "s1", "nobody"); err != nil || len(none) != 0 {
		t.Fatalf("ListApprovals(no grants) = %v, %v", none, err)
	}
	if gs, _ := s.ListApprovals(ctx, "s1", "bo@acme.test"); len(gs) != 1 || gs[0].ID != "other-user" {
		t.Fatalf("ListApprovals(bo) = %+v", gs)
	}
}

func testGrantQuota(t *testing.T, s store.Store) {
	ctx := context.Background()
	putOrg(t, s, 3)
	for i := range 3 {
		must(t, s.PutGrant(ctx, newGrant(fmt.Sprint("g", i), t0)))
	}
	if err := s.PutGrant(ctx, newGrant("g3", t0)); !errors.Is(err, store.ErrQuota) {
		t.Fatalf("fourth grant with quota 3: %v; want ErrQuota", err)
	}
	if _, err := s.GetGrant(ctx, "g3"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a refused grant was stored: %v", err)
	}
	// Rewriting an existing grant is not a new one.
	g := newGrant("g0", t0)
	g.Scope = "api"
	must(t, s.PutGrant(ctx, g))
}

func testLockout(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, err := s.GetLockout(ctx, "s1", "ana@acme.test"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetLockout(none) = %v; want ErrNotFound", err)
	}
	must(t, s.ClearLoginFailures(ctx, "s1", "ana@acme.test", t0)) // nothing to clear
	const max, lockFor = 3, 15 * time.Minute
	add := func(at time.Time) store.Lockout {
		t.Helper()
		l, err := s.AddLoginFailure(ctx, "s1", "ana@acme.test", at, max, lockFor)
		must(t, err)
		return l
	}
	if l := add(t0); l.Failures != 1 || l.Locked(t0) {
		t.Fatalf("after 1 failure: %+v", l)
	}
	must(t, s.ClearLoginFailures(ctx, "s1", "ana@acme.test", t0))
	add(t0)
	add(t0)
	l := add(t0.Add(time.Second))
	if !l.Locked(t0.Add(time.Minute)) || !l.LockedUntil.Equal(t0.Add(time.Second+lockFor)) {
		t.Fatalf("after %d failures: %+v; want locked for %v", max, l, lockFor)
	}
	got, err := s.GetLockout(ctx, "s1", "ana@acme.test")
	must(t, err)
	if !got.Locked(t0.Add(time.Minute)) {
		t.Fatalf("GetLockout = %+v; want locked", got)
	}
	if other, _ := s.GetLockout(ctx, "s1", "bo@acme.test"); other.Locked(t0) {
		t.Fatal("another user is locked")
	}
	must(t, s.ClearLoginFailures(ctx, "s1", "ana@acme.test", t0.Add(time.Minute)))
	if got, _ := s.GetLockout(ctx, "s1", "ana@acme.test"); !got.Locked(t0.Add(time.Minute)) {
		t.Fatal("a successful-login clear lifted a lockout in force")
	}
	if l := add(t0.Add(time.Hour)); l.Locked(t0.Add(time.Hour)) || l.Failures != 1 {
		t.Fatalf("a failure after the lockout ended: %+v; want a new count of 1", l)
	}
	// Concurrent failures are all counted.
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			if _, err := s.AddLoginFailure(ctx, "s1", "race@acme.test", t0, 100, lockFor); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if l, _ := s.GetLockout(ctx, "s1", "race@acme.test"); l.Failures != 10 {
		t.Fatalf("10 concurrent failures counted %d", l.Failures)
	}
}

// testPrune runs for stores that prune themselves (store.Pruner).
func testPrune(t *testing.T, s store.Store) {
	p, ok := s.(store.Pruner)
	if !ok {
		return // DynamoDB deletes by TTL; its items' ttl attributes are checked in its own tests
	}
	ctx := context.Background()
	keep := store.Retention{ShareIdle: 24 * time.Hour, Grant: 48 * time.Hour}
	idle := store.Scenario{ID: "share-idle", OrgID: "org-idle", Mode: store.ModeSalesforce, Document: []byte(`{}`), CreatedAt: t0}
	used := store.Scenario{ID: "share-used", OrgID: "s1", Mode: store.ModeSalesforce, Document: []byte(`{}`), CreatedAt: t0}
	must(t, s.PutScenario(ctx, idle))
	must(t, s.PutScenario(ctx, used))
	must(t, s.TouchScenario(ctx, used, t0.Add(47*time.Hour)))
	orphan := newGrant("of-idle-org", t0)
	orphan.ScenarioID = "org-idle"
	must(t, s.PutGrant(ctx, orphan))
	must(t, s.PutGrant(ctx, newGrant("fresh", t0.Add(40*time.Hour))))
	must(t, s.PutGrant(ctx, newGrant("old", t0)))
	must(t, s.PutToken(ctx, newToken("rt-old", store.KindRefresh, "old")))
	must(t, s.PutToken(ctx, newToken("rt-fresh", store.KindRefresh, "fresh")))
	at := newToken("at-expired", store.KindAccess, "fresh")
	at.ExpiresAt = t0.Add(time.Hour)
	must(t, s.PutToken(ctx, at))
	must(t, s.PutCode(ctx, newCode("code-expired")))
	if _, err := s.AddLoginFailure(ctx, "s1", "ana@acme.test", t0, 10, time.Hour); err != nil {
		t.Fatal(err)
	}
	must(t, s.AddLoginHistory(ctx, loginEvent("org-idle", "of-idle-org", t0)))
	now := t0.Add(50 * time.Hour)
	n, err := p.Prune(ctx, now, keep)
	must(t, err)
	gone := []struct {
		what string
		err  error
	}{
		{"idle share", errOf(s.GetScenario(ctx, "share-idle"))},
		{"idle live org", errOf(s.GetLiveOrg(ctx, "org-idle"))},
		{"grant of the idle org", errOf(s.GetGrant(ctx, "of-idle-org"))},
		{"grant past retention", errOf(s.GetGrant(ctx, "old"))},
		{"its refresh token", errOf(s.GetToken(ctx, "rt-old", now))},
		{"expired access token", errOf(s.GetToken(ctx, "at-expired", now))},
		{"expired code", errOf(s.GetCode(ctx, "code-expired", now))},
		{"stale login counter", errOf(s.GetLockout(ctx, "s1", "ana@acme.test"))},
	}
	for _, g := range gone {
		if !errors.Is(g.err, store.ErrNotFound) {
			t.Errorf("after Prune, %s reads %v; want ErrNotFound", g.what, g.err)
		}
	}
	for what, err := range map[string]error{
		"used share":          errOf(s.GetScenario(ctx, "share-used")),
		"fresh grant":         errOf(s.GetGrant(ctx, "fresh")),
		"fresh refresh token": errOf(s.GetToken(ctx, "rt-fresh", now)),
	} {
		if err != nil {
			t.Errorf("after Prune, %s reads %v; want kept", what, err)
		}
	}
	if n < len(gone)-1 { // the idle share and its live org are one record
		t.Errorf("Prune reported %d deletions; want at least %d", n, len(gone)-1)
	}
	pruneAudit(t, s, p)
}

func errOf[T any](_ T, err error) error { return err }
