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
		{"LookupRoundTrip", testLookup},
		{"CodeClaimOnce", testCodeClaim},
		{"CodeRace", testCodeRace},
		{"CodeExpiry", testCodeExpiry},
		{"CodePutIsConditional", testCodePut},
		{"WriteIsAllOrNothing", testAllOrNothing},
		{"WriteBehind", testWriteBehind},
		{"GrantRevocation", testGrantRevocation},
		{"RefreshRace", testRefreshRace},
		{"RefreshClaimAndTouch", testRefreshClaim},
		{"Marks", testMarks},
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

// The live org "s1" (stored by putOrg) is the org of every record below.
const org = "s1"

// putOrg stores the live org s1 with a grant quota (0: the default).
func putOrg(t *testing.T, s store.Store, quota int) {
	t.Helper()
	must(t, s.PutScenario(context.Background(), store.Scenario{ID: "share-" + org, OrgID: org, Mode: store.ModeSalesforce,
		Document: []byte(`{}`), CreatedAt: t0, MaxGrants: quota}))
}

func newCode(hash string) store.Code {
	return store.Code{Hash: hash, ScenarioID: org, ClientID: "client", RedirectURI: "https://app.test/cb",
		Org: "Acme", User: "ana@acme.test", Scope: "api", Authorize: store.Step{At: t0, Event: []byte(`{"do":"authorize"}`)},
		GrantID: "g1", IssuedAt: t0, ExpiresAt: t0.Add(10 * time.Minute)}
}

func newGrant(id string, created time.Time) store.Grant {
	return store.Grant{ID: id, ScenarioID: org, ClientID: "client", Org: "Acme", User: "ana@acme.test", App: "Acme Sync",
		Scope: "api refresh_token", Interactive: true, Status: store.GrantActive, CreatedAt: created,
		Origin: store.Step{At: created, Event: []byte(`{"do":"authorize"}`)}}
}

func newRefresh(hash, grant string) store.Token {
	return store.Token{Hash: hash, Kind: store.KindRefresh, ScenarioID: org, GrantID: grant, ClientID: "client", Scope: "api",
		IssuedAt: t0, Chain: []store.Step{{At: t0, Event: []byte(`{"do":"token"}`)}}}
}

// commit applies w (of the live org s1, at t0 unless it says otherwise).
func commit(s store.Store, w store.Write) error {
	w.OrgID = org
	if w.Now.IsZero() {
		w.Now = t0
	}
	return s.Commit(context.Background(), w)
}

// grant stores a new grant of s1.
func grant(t *testing.T, s store.Store, g store.Grant) {
	t.Helper()
	must(t, commit(s, store.Write{Grant: &g}))
}

func lookup(t *testing.T, s store.Store, k store.Keys) store.Records {
	t.Helper()
	if k.OrgID == "" {
		k.OrgID = org
	}
	r, err := s.Lookup(context.Background(), k)
	must(t, err)
	return r
}

// testLookup: one Lookup reads a code, a refresh token, a grant and a mark
// together, as stored; absent ones and a grant of another org are nil.
func testLookup(t *testing.T, s store.Store) {
	putOrg(t, s, 0)
	if r := lookup(t, s, store.Keys{Code: "c", Token: "rt", Grant: "g1", Mark: "m"}); r.Code != nil || r.Token != nil || r.Grant != nil || r.Mark != nil {
		t.Fatalf("Lookup of nothing stored = %+v; want all nil", r)
	}
	g := newGrant("g1", t0)
	m := store.Mark{Key: "m", OrgID: org, LastUsedAt: t0.Add(time.Minute), ExpiresAt: t0.Add(time.Hour)}
	must(t, commit(s, store.Write{Grant: &g, Codes: []store.Code{newCode("c")}, Tokens: []store.Token{newRefresh("rt", "g1")},
		Marks: []store.Mark{m}}))
	r := lookup(t, s, store.Keys{Code: "c", Token: "rt", Grant: "g1", Mark: "m"})
	if r.Code == nil || r.Code.GrantID != "g1" || r.Code.RedirectURI != "https://app.test/cb" || string(r.Code.Authorize.Event) != `{"do":"authorize"}` ||
		!r.Code.ExpiresAt.Equal(t0.Add(10*time.Minute)) || !r.Code.UsedAt.IsZero() {
		t.Fatalf("code = %+v", r.Code)
	}
	if r.Token == nil || r.Token.GrantID != "g1" || r.Token.Kind != store.KindRefresh || len(r.Token.Chain) != 1 || !r.Token.IssuedAt.Equal(t0) {
		t.Fatalf("token = %+v", r.Token)
	}
	if r.Grant == nil || r.Grant.User != g.User || r.Grant.App != g.App || !r.Grant.Interactive || r.Grant.Status != store.GrantActive ||
		string(r.Grant.Origin.Event) != `{"do":"authorize"}` || !r.Grant.CreatedAt.Equal(t0) {
		t.Fatalf("grant = %+v", r.Grant)
	}
	if r.Mark == nil || r.Mark.Revoked || !r.Mark.LastUsedAt.Equal(m.LastUsedAt) || !r.Mark.ExpiresAt.Equal(m.ExpiresAt) {
		t.Fatalf("mark = %+v; want %+v", r.Mark, m)
	}
	if r := lookup(t, s, store.Keys{OrgID: "s2", Grant: "g1"}); r.Grant != nil {
		t.Fatalf("Lookup of s1's grant within s2 = %+v; want nil", r.Grant)
	}
}

func testCodeClaim(t *testing.T, s store.Store) {
	putOrg(t, s, 0)
	if err := commit(s, store.Write{ClaimCode: "missing"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("ClaimCode(missing) = %v, want ErrNotFound", err)
	}
	must(t, commit(s, store.Write{Codes: []store.Code{newCode("h1")}}))
	must(t, commit(s, store.Write{ClaimCode: "h1", Now: t0.Add(time.Minute)}))
	if c := lookup(t, s, store.Keys{Code: "h1"}).Code; c == nil || !c.UsedAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("claimed code = %+v; want UsedAt %v", c, t0.Add(time.Minute))
	}
	if err := commit(s, store.Write{ClaimCode: "h1", Now: t0.Add(2 * time.Minute)}); !errors.Is(err, store.ErrAlreadyUsed) {
		t.Fatalf("second ClaimCode = %v; want ErrAlreadyUsed", err)
	}
	// A replay after expiry is still a replay (so the grant gets revoked).
	if err := commit(s, store.Write{ClaimCode: "h1", Now: t0.Add(time.Hour)}); !errors.Is(err, store.ErrAlreadyUsed) {
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

// testCodeRace: of 50 commits claiming one code, each also issuing a
// refresh token and a login row, exactly one wins and only its writes
// are stored.
func testCodeRace(t *testing.T, s store.Store) {
	putOrg(t, s, 0)
	grant(t, s, newGrant("g1", t0))
	must(t, commit(s, store.Write{Codes: []store.Code{newCode("race")}}))
	var n atomic.Int32
	Race(t, racers, "ClaimCode", func() error {
		i := n.Add(1)
		return commit(s, store.Write{ClaimCode: "race", Now: t0.Add(time.Second), UseGrant: "g1",
			Tokens: []store.Token{newRefresh(fmt.Sprint("rt-", i), "g1")}, Logins: []store.LoginEvent{loginEvent(org, fmt.Sprint("e-", i), t0)}})
	})
	stored := 0
	for i := range racers {
		if lookup(t, s, store.Keys{Token: fmt.Sprint("rt-", i+1)}).Token != nil {
			stored++
		}
	}
	es, err := s.ListLoginHistory(context.Background(), org)
	must(t, err)
	gs, err := s.ListGrants(context.Background(), org)
	must(t, err)
	if stored != 1 || len(es) != 1 || len(gs) != 1 || gs[0].Uses != 1 {
		t.Fatalf("after the race: %d refresh tokens, %d login rows, uses %v; want 1, 1, 1 (only the winner's writes)", stored, len(es), gs)
	}
}

func testCodeExpiry(t *testing.T, s store.Store) {
	putOrg(t, s, 0)
	must(t, commit(s, store.Write{Codes: []store.Code{newCode("old")}}))
	if err := commit(s, store.Write{ClaimCode: "old", Now: t0.Add(10 * time.Minute)}); !errors.Is(err, store.ErrExpired) {
		t.Fatalf("ClaimCode(expired) = %v, want ErrExpired", err)
	}
	// An expired claim attempt must not mark the code used.
	if c := lookup(t, s, store.Keys{Code: "old"}).Code; c == nil || !c.UsedAt.IsZero() {
		t.Fatalf("after an expired claim: %+v; want the code, unused", c)
	}
}

// testCodePut: putting a code whose value is still recorded fails (single
// use of a value, such as a JWT assertion's jti); once it expired, the
// value may be recorded again.
func testCodePut(t *testing.T, s store.Store) {
	putOrg(t, s, 0)
	c := newCode("jti")
	c.UsedAt = t0
	must(t, commit(s, store.Write{Codes: []store.Code{c}}))
	if err := commit(s, store.Write{Codes: []store.Code{c}, Now: t0.Add(time.Minute)}); !errors.Is(err, store.ErrExists) {
		t.Fatalf("second put of a live code = %v; want ErrExists", err)
	}
	Race(t, racers, "put of one code value", func() error {
		err := commit(s, store.Write{Codes: []store.Code{newCode("once")}})
		if errors.Is(err, store.ErrExists) {
			return store.ErrAlreadyUsed // Race counts the losers by this sentinel
		}
		return err
	})
	must(t, commit(s, store.Write{Codes: []store.Code{c}, Now: c.ExpiresAt}))
}

// testAllOrNothing: a write that fails one condition changes nothing.
func testAllOrNothing(t *testing.T, s store.Store) {
	putOrg(t, s, 1)
	grant(t, s, newGrant("g1", t0))
	must(t, commit(s, store.Write{Codes: []store.Code{newCode("c")}, Tokens: []store.Token{newRefresh("rt", "g1")}}))
	g2 := newGrant("g2", t0)
	w := store.Write{ClaimCode: "c", TouchRefresh: "rt", Now: t0.Add(time.Minute), Grant: &g2, // over the quota of 1
		Tokens: []store.Token{newRefresh("rt2", "g1")}, Marks: []store.Mark{{Key: "m", OrgID: org, Revoked: true, ExpiresAt: t0.Add(time.Hour)}},
		Logins: []store.LoginEvent{loginEvent(org, "e", t0)},
		Revoke: []store.Revocation{{GrantID: "g1", User: "ana@acme.test", Why: "x"}}}
	if err := commit(s, w); !errors.Is(err, store.ErrQuota) {
		t.Fatalf("write over the quota = %v; want ErrQuota", err)
	}
	r := lookup(t, s, store.Keys{Code: "c", Token: "rt", Grant: "g1", Mark: "m"})
	switch {
	case !r.Code.UsedAt.IsZero():
		t.Error("the failed write claimed the code")
	case !r.Token.LastUsedAt.IsZero():
		t.Error("the failed write touched the refresh token")
	case r.Grant.Status != store.GrantActive:
		t.Error("the failed write revoked a grant")
	case r.Mark != nil:
		t.Error("the failed write stored a mark")
	case lookup(t, s, store.Keys{Token: "rt2"}).Token != nil || lookup(t, s, store.Keys{Grant: "g2"}).Grant != nil:
		t.Error("the failed write stored a token or the grant")
	}
	if es, _ := s.ListLoginHistory(context.Background(), org); len(es) != 0 {
		t.Errorf("the failed write stored %d login rows", len(es))
	}
	// The same write without the refused grant applies in full.
	w.Grant = nil
	must(t, commit(s, w))
	r = lookup(t, s, store.Keys{Code: "c", Token: "rt", Grant: "g1", Mark: "m"})
	if r.Code.UsedAt.IsZero() || r.Token.LastUsedAt.IsZero() || r.Grant.Status != store.GrantRevoked || r.Mark == nil || !r.Mark.Revoked {
		t.Fatalf("after the write: %+v %+v %+v %+v", r.Code, r.Token, r.Grant, r.Mark)
	}
}

// testWriteBehind: a write no answer waits on (Behind) lands: its rows are
// listed right after; a write with anything else is done when Commit
// returns, Behind or not.
func testWriteBehind(t *testing.T, s store.Store) {
	putOrg(t, s, 0)
	for i := range 20 {
		must(t, commit(s, store.Write{Behind: true, Logins: []store.LoginEvent{loginEvent(org, fmt.Sprintf("b%02d", i), t0.Add(time.Duration(i)*time.Second))},
			Marks: []store.Mark{{Key: "m", OrgID: org, LastUsedAt: t0.Add(time.Duration(i) * time.Second), ExpiresAt: t0.Add(time.Hour)}}}))
	}
	es, err := s.ListLoginHistory(context.Background(), org)
	must(t, err)
	if len(es) != 20 || es[0].ID != "b19" {
		t.Fatalf("rows written behind: listed %v; want all 20, newest first", eventIDs(es))
	}
	must(t, commit(s, store.Write{Codes: []store.Code{newCode("c")}}))
	must(t, commit(s, store.Write{Behind: true, ClaimCode: "c", Marks: []store.Mark{{Key: "r", OrgID: org, Revoked: true, ExpiresAt: t0.Add(time.Hour)}}}))
	r := lookup(t, s, store.Keys{Code: "c", Mark: "r"})
	if r.Code == nil || r.Code.UsedAt.IsZero() || r.Mark == nil || !r.Mark.Revoked {
		t.Fatalf("a claim and a revocation marked Behind: code %+v, mark %+v; want both done when Commit returned", r.Code, r.Mark)
	}
}

func testGrantRevocation(t *testing.T, s store.Store) {
	putOrg(t, s, 0)
	grant(t, s, newGrant("g1", t0))
	grant(t, s, newGrant("g2", t0))
	if err := commit(s, store.Write{Revoke: []store.Revocation{{GrantID: "missing", User: "ana@acme.test", Why: "x"}}}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("revoking a missing grant = %v; want ErrNotFound", err)
	}
	if err := commit(s, store.Write{Revoke: []store.Revocation{{GrantID: "g1", User: "bo@acme.test", Why: "x"}}}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("revoking a grant under another user = %v; want ErrNotFound", err)
	}
	must(t, commit(s, store.Write{Now: t0.Add(time.Minute), Revoke: []store.Revocation{{GrantID: "g1", User: "ana@acme.test", Why: "code replayed"}}}))
	must(t, commit(s, store.Write{Now: t0.Add(2 * time.Minute), Revoke: []store.Revocation{{GrantID: "g1", User: "ana@acme.test", Why: "second reason"}}}))
	g := lookup(t, s, store.Keys{Grant: "g1"}).Grant
	if g == nil || g.Status != store.GrantRevoked || g.RevokedWhy != "code replayed" || !g.RevokedAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("grant after revocation: %+v; want revoked for the first reason", g)
	}
	// Issuing from a revoked grant fails: a revocation racing a
	// redemption leaves no live token behind it.
	if err := commit(s, store.Write{UseGrant: "g1", Tokens: []store.Token{newRefresh("late", "g1")}}); !errors.Is(err, store.ErrRevoked) {
		t.Fatalf("issuing from a revoked grant = %v; want ErrRevoked", err)
	}
	if lookup(t, s, store.Keys{Token: "late"}).Token != nil {
		t.Fatal("a token of a revoked grant was stored")
	}
	if err := commit(s, store.Write{UseGrant: "missing"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("issuing from a missing grant = %v; want ErrNotFound", err)
	}
	if g := lookup(t, s, store.Keys{Grant: "g2"}).Grant; g == nil || g.Status != store.GrantActive {
		t.Fatalf("another grant was revoked: %+v", g)
	}
}

// testRefreshRace: of 50 rotations of one refresh token, exactly one wins
// and only its new refresh token is stored.
func testRefreshRace(t *testing.T, s store.Store) {
	putOrg(t, s, 0)
	grant(t, s, newGrant("g", t0))
	must(t, commit(s, store.Write{Tokens: []store.Token{newRefresh("rt", "g")}}))
	var n atomic.Int32
	Race(t, racers, "ClaimRefresh", func() error {
		i := n.Add(1)
		return commit(s, store.Write{ClaimRefresh: "rt", Now: t0.Add(time.Second), UseGrant: "g", Tokens: []store.Token{newRefresh(fmt.Sprint("next-", i), "g")}})
	})
	stored := 0
	for i := range racers {
		if lookup(t, s, store.Keys{Token: fmt.Sprint("next-", i+1)}).Token != nil {
			stored++
		}
	}
	if stored != 1 {
		t.Fatalf("%d rotated refresh tokens stored; want 1 (the winner's)", stored)
	}
	if tok := lookup(t, s, store.Keys{Token: "rt"}).Token; tok == nil || !tok.UsedAt.Equal(t0.Add(time.Second)) {
		t.Fatalf("claimed refresh token = %+v; want UsedAt set", tok)
	}
}

// testRefreshClaim: claiming checks expiry and a token's own revocation;
// touching records the last use.
func testRefreshClaim(t *testing.T, s store.Store) {
	putOrg(t, s, 0)
	grant(t, s, newGrant("g", t0))
	exp := newRefresh("exp", "g")
	exp.ExpiresAt = t0.Add(time.Hour)
	rev := newRefresh("rev", "g")
	rev.Revoked = true
	must(t, commit(s, store.Write{Tokens: []store.Token{exp, rev, newRefresh("rt", "g")}}))
	for _, c := range []struct {
		hash string
		now  time.Time
		want error
	}{
		{"missing", t0, store.ErrNotFound},
		{"exp", t0.Add(time.Hour), store.ErrExpired},
		{"rev", t0, store.ErrRevoked},
	} {
		if err := commit(s, store.Write{ClaimRefresh: c.hash, Now: c.now}); !errors.Is(err, c.want) {
			t.Errorf("ClaimRefresh(%s) = %v; want %v", c.hash, err, c.want)
		}
	}
	if err := commit(s, store.Write{TouchRefresh: "missing"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("TouchRefresh(missing) = %v; want ErrNotFound", err)
	}
	must(t, commit(s, store.Write{TouchRefresh: "rt", Now: t0.Add(40 * time.Minute)}))
	if tok := lookup(t, s, store.Keys{Token: "rt"}).Token; !tok.LastUsedAt.Equal(t0.Add(40*time.Minute)) || !tok.UsedAt.IsZero() {
		t.Fatalf("touched token = %+v; want LastUsedAt %v and unused", tok, t0.Add(40*time.Minute))
	}
}

// testMarks: a token's mark merges: revocation sticks, activity and
// expiry only move forward.
func testMarks(t *testing.T, s store.Store) {
	putOrg(t, s, 0)
	mark := func(m store.Mark) {
		t.Helper()
		m.Key, m.OrgID = "m", org
		must(t, commit(s, store.Write{Marks: []store.Mark{m}}))
	}
	mark(store.Mark{LastUsedAt: t0.Add(time.Hour), ExpiresAt: t0.Add(3 * time.Hour)})
	mark(store.Mark{Revoked: true, ExpiresAt: t0.Add(2 * time.Hour)})
	mark(store.Mark{LastUsedAt: t0.Add(30 * time.Minute), ExpiresAt: t0.Add(time.Hour)})
	m := lookup(t, s, store.Keys{Mark: "m"}).Mark
	if m == nil || !m.Revoked || !m.LastUsedAt.Equal(t0.Add(time.Hour)) || !m.ExpiresAt.Equal(t0.Add(3*time.Hour)) {
		t.Fatalf("merged mark = %+v; want revoked, last use %v, expiry %v", m, t0.Add(time.Hour), t0.Add(3*time.Hour))
	}
}

func testListApprovals(t *testing.T, s store.Store) {
	ctx := context.Background()
	putOrg(t, s, 0)
	grant(t, s, newGrant("late", t0.Add(time.Hour)))
	grant(t, s, newGrant("early", t0))
	grant(t, s, newGrant("revoked", t0))
	otherUser := newGrant("other-user", t0)
	otherUser.User = "bo@acme.test"
	grant(t, s, otherUser)
	direct := newGrant("direct", t0)
	direct.Interactive = false
	grant(t, s, direct)
	must(t, commit(s, store.Write{Revoke: []store.Revocation{{GrantID: "revoked", User: "ana@acme.test", Why: "revoked approvals are not listed"}}}))
	gs, err := s.ListApprovals(ctx, org, "ana@acme.test")
	must(t, err)
	var ids []string
	for _, g := range gs {
		ids = append(ids, g.ID)
	}
	if fmt.Sprint(ids) != "[early late]" {
		t.Fatalf("ListApprovals = %v; want [early late] (this user's active interactive grants, oldest first)", ids)
	}
	if g := gs[0]; string(g.Origin.Event) != `{"do":"authorize"}` || g.App != "Acme Sync" || g.Org != "Acme" || g.Status != store.GrantActive {
		t.Fatalf("approval did not round-trip: %+v", g)
	}
	if none, err := s.ListApprovals(ctx, org, "nobody"); err != nil || len(none) != 0 {
		t.Fatalf("ListApprovals(no grants) = %v, %v", none, err)
	}
	if gs, _ := s.ListApprovals(ctx, org, "bo@acme.test"); len(gs) != 1 || gs[0].ID != "other-user" {
		t.Fatalf("ListApprovals(bo) = %+v", gs)
	}
	if gs, _ := s.ListApprovals(ctx, "s2", "ana@acme.test"); len(gs) != 0 {
		t.Fatalf("ListApprovals in another org = %+v", gs)
	}
}

func testGrantQuota(t *testing.T, s store.Store) {
	g := newGrant("g0", t0)
	if err := commit(s, store.Write{Grant: &g}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a grant of a live org not stored = %v; want ErrNotFound", err)
	}
	putOrg(t, s, 3)
	for i := range 3 {
		grant(t, s, newGrant(fmt.Sprint("g", i), t0))
	}
	if err := commit(s, store.Write{Grant: &g}); !errors.Is(err, store.ErrExists) {
		t.Fatalf("a grant id taken = %v; want ErrExists", err)
	}
	g3 := newGrant("g3", t0)
	if err := commit(s, store.Write{Grant: &g3}); !errors.Is(err, store.ErrQuota) {
		t.Fatalf("fourth grant with quota 3: %v; want ErrQuota", err)
	}
	if lookup(t, s, store.Keys{Grant: "g3"}).Grant != nil {
		t.Fatal("a refused grant was stored")
	}
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
	must(t, s.PutScenario(ctx, idle))
	putOrg(t, s, 0)
	must(t, s.TouchScenario(ctx, store.Scenario{ID: "share-" + org, OrgID: org}, t0.Add(47*time.Hour)))
	orphan := newGrant("of-idle-org", t0)
	orphan.ScenarioID = "org-idle"
	must(t, s.Commit(ctx, store.Write{OrgID: "org-idle", Now: t0, Grant: &orphan,
		Marks:  []store.Mark{{Key: "mark-of-idle-org", OrgID: "org-idle", Revoked: true, ExpiresAt: t0.Add(100 * time.Hour)}},
		Logins: []store.LoginEvent{loginEvent("org-idle", "of-idle-org", t0)}}))
	grant(t, s, newGrant("fresh", t0.Add(40*time.Hour)))
	grant(t, s, newGrant("old", t0))
	must(t, commit(s, store.Write{Tokens: []store.Token{newRefresh("rt-old", "old"), newRefresh("rt-fresh", "fresh")},
		Codes: []store.Code{newCode("code-expired")},
		Marks: []store.Mark{{Key: "mark-expired", OrgID: org, Revoked: true, ExpiresAt: t0.Add(time.Hour)},
			{Key: "mark-live", OrgID: org, LastUsedAt: t0.Add(49 * time.Hour), ExpiresAt: t0.Add(51 * time.Hour)}}}))
	if _, err := s.AddLoginFailure(ctx, org, "ana@acme.test", t0, 10, time.Hour); err != nil {
		t.Fatal(err)
	}
	now := t0.Add(50 * time.Hour)
	n, err := p.Prune(ctx, now, keep)
	must(t, err)
	r := lookup(t, s, store.Keys{Grant: "old", Token: "rt-old", Code: "code-expired", Mark: "mark-expired"})
	gone := []struct {
		what string
		gone bool
	}{
		{"idle share", errors.Is(errOf(s.GetScenario(ctx, "share-idle")), store.ErrNotFound)},
		{"idle live org", errors.Is(errOf(s.GetLiveOrg(ctx, "org-idle")), store.ErrNotFound)},
		{"grant of the idle org", lookup(t, s, store.Keys{OrgID: "org-idle", Grant: "of-idle-org"}).Grant == nil},
		{"mark of the idle org", lookup(t, s, store.Keys{Mark: "mark-of-idle-org"}).Mark == nil},
		{"grant past retention", r.Grant == nil},
		{"its refresh token", r.Token == nil},
		{"expired code", r.Code == nil},
		{"expired mark", r.Mark == nil},
		{"stale login counter", errors.Is(errOf(s.GetLockout(ctx, org, "ana@acme.test")), store.ErrNotFound)},
	}
	for _, g := range gone {
		if !g.gone {
			t.Errorf("after Prune, the %s is still there", g.what)
		}
	}
	kept := lookup(t, s, store.Keys{Grant: "fresh", Token: "rt-fresh", Mark: "mark-live"})
	if _, err := s.GetScenario(ctx, "share-"+org); err != nil || kept.Grant == nil || kept.Token == nil || kept.Mark == nil {
		t.Errorf("after Prune: share %v, fresh grant %v, its refresh token %v, live mark %v; want all kept", err, kept.Grant, kept.Token, kept.Mark)
	}
	if n < len(gone)-1 { // the idle share and its live org are one record
		t.Errorf("Prune reported %d deletions; want at least %d", n, len(gone)-1)
	}
	pruneAudit(t, s, p)
}

func errOf[T any](_ T, err error) error { return err }
