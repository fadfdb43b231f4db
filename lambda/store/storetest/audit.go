package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/caplab/caplab/lambda/store"
)

// liveOrg stores a share whose live org is orgID.
func liveOrg(t *testing.T, s store.Store, orgID string) {
	t.Helper()
	must(t, s.PutScenario(context.Background(), store.Scenario{ID: "share-" + orgID, OrgID: orgID, Mode: store.ModeSalesforce,
		Document: []byte(`{}`), CreatedAt: t0}))
}

// testGrantUses: ListGrants lists a live org's active grants, oldest
// first, each with the access tokens issued from it.
func testGrantUses(t *testing.T, s store.Store) {
	ctx := context.Background()
	liveOrg(t, s, "s1")
	liveOrg(t, s, "s2")
	if gs, err := s.ListGrants(ctx, "s1"); err != nil || len(gs) != 0 {
		t.Fatalf("ListGrants(no grants) = %v, %v; want none", gs, err)
	}
	approval := newGrant("g-approval", t0.Add(time.Minute))
	password := newGrant("g-password", t0)
	password.Interactive = false
	other := newGrant("g-other-org", t0)
	other.ScenarioID = "s2"
	revoked := newGrant("g-revoked", t0)
	for _, g := range []store.Grant{approval, password, other, revoked} {
		must(t, s.PutGrant(ctx, g))
	}
	for i := range 3 {
		at := newToken(fmt.Sprint("at-", i), store.KindAccess, approval.ID)
		at.IssuedAt = t0.Add(time.Duration(i+1) * time.Hour)
		must(t, s.PutToken(ctx, at))
	}
	must(t, s.PutToken(ctx, newToken("rt", store.KindRefresh, approval.ID))) // refresh tokens are not uses
	must(t, s.PutToken(ctx, newToken("at-revoked", store.KindAccess, revoked.ID)))
	must(t, s.RevokeGrant(ctx, revoked.ID, "test", t0))
	must(t, s.PutToken(ctx, newToken("at-after-revocation", store.KindAccess, revoked.ID)))
	must(t, s.PutGrant(ctx, approval)) // a rewrite keeps the count
	gs, err := s.ListGrants(ctx, "s1")
	must(t, err)
	if len(gs) != 2 || gs[0].ID != password.ID || gs[1].ID != approval.ID {
		t.Fatalf("ListGrants(s1) = %v; want g-password then g-approval (active, oldest first)", ids(gs))
	}
	if u := gs[1]; u.Uses != 3 || !u.LastUsedAt.Equal(t0.Add(3*time.Hour)) || u.User != approval.User || u.App != approval.App ||
		!u.Interactive || !u.CreatedAt.Equal(approval.CreatedAt) || u.Status != store.GrantActive {
		t.Fatalf("g-approval = %+v; want 3 uses, last at %v, the grant's fields", u, t0.Add(3*time.Hour))
	}
	if u := gs[0]; u.Uses != 0 || !u.LastUsedAt.IsZero() {
		t.Fatalf("g-password = %d uses, last %v; want none", u.Uses, u.LastUsedAt)
	}
	// Concurrent issuances of one grant are all counted.
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			if err := s.PutToken(ctx, newToken(fmt.Sprint("race-", i), store.KindAccess, password.ID)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if gs, _ := s.ListGrants(ctx, "s1"); len(gs) != 2 || gs[0].Uses != 8 {
		t.Fatalf("after 8 concurrent access tokens: %v", gs)
	}
}

func ids(gs []store.GrantUse) []string {
	var out []string
	for _, g := range gs {
		out = append(out, g.ID)
	}
	return out
}

func loginEvent(org, id string, at time.Time) store.LoginEvent {
	return store.LoginEvent{OrgID: org, ID: id, At: at, Org: "Acme", User: "ana@acme.test", LoginType: "Remote Access 2.0",
		Status: "Success", App: "Acme Sync", SourceIP: "127.0.0.1", Browser: "Unknown", Platform: "Unknown",
		LoginURL: "acme.my.salesforce.com", Method: "POST"}
}

// testLoginHistory: attempts of a stored live org, newest first; the org
// keeps its newest store.MaxLoginHistoryPerOrg.
func testLoginHistory(t *testing.T, s store.Store) {
	ctx := context.Background()
	if err := s.AddLoginHistory(ctx, loginEvent("nope", "x", t0)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("AddLoginHistory(unknown org) = %v; want ErrNotFound", err)
	}
	liveOrg(t, s, "s1")
	liveOrg(t, s, "s2")
	first := loginEvent("s1", "e1", t0)
	first.Status, first.APIType, first.APIVersion = "Invalid Password", "SOAP Partner", "64.0"
	must(t, s.AddLoginHistory(ctx, first))
	must(t, s.AddLoginHistory(ctx, loginEvent("s1", "e3", t0.Add(time.Minute))))
	must(t, s.AddLoginHistory(ctx, loginEvent("s1", "e2", t0)))    // same time as e1, later: listed before it
	must(t, s.AddLoginHistory(ctx, loginEvent("s2", "other", t0))) // another org's
	es, err := s.ListLoginHistory(ctx, "s1")
	must(t, err)
	if got := eventIDs(es); fmt.Sprint(got) != "[e3 e2 e1]" {
		t.Fatalf("ListLoginHistory = %v; want [e3 e2 e1]", got)
	}
	if es[2] != first {
		t.Fatalf("round trip: %+v; want %+v", es[2], first)
	}
	// The ring: concurrent adds all land, and only the newest are kept.
	var wg sync.WaitGroup
	next := make(chan int)
	for range 8 {
		wg.Go(func() {
			for i := range next {
				if err := s.AddLoginHistory(ctx, loginEvent("s2", fmt.Sprint("r", i), t0.Add(time.Duration(i)*time.Second))); err != nil {
					t.Error(err)
				}
			}
		})
	}
	const extra = 5
	for i := range store.MaxLoginHistoryPerOrg + extra {
		next <- i
	}
	close(next)
	wg.Wait()
	es, err = s.ListLoginHistory(ctx, "s2")
	must(t, err)
	if len(es) != store.MaxLoginHistoryPerOrg {
		t.Fatalf("the ring holds %d attempts; want %d", len(es), store.MaxLoginHistoryPerOrg)
	}
	if es[0].ID != fmt.Sprint("r", store.MaxLoginHistoryPerOrg+extra-1) {
		t.Fatalf("newest = %s; want the last added", es[0].ID)
	}
	if es, _ := s.ListLoginHistory(ctx, "s1"); len(es) != 3 {
		t.Fatalf("another org's ring changed s1's: %d attempts", len(es))
	}
}

func eventIDs(es []store.LoginEvent) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.ID)
	}
	return out
}

// pruneAudit checks that Prune drops a deleted org's login attempts and
// attempts past store.LoginHistoryKeep.
func pruneAudit(t *testing.T, s store.Store, p store.Pruner) {
	ctx := context.Background()
	must(t, s.AddLoginHistory(ctx, loginEvent("s1", "old", t0)))
	must(t, s.AddLoginHistory(ctx, loginEvent("s1", "recent", t0.Add(store.LoginHistoryKeep))))
	now := t0.Add(store.LoginHistoryKeep + time.Hour)
	if _, err := p.Prune(ctx, now, store.Retention{}); err != nil {
		t.Fatal(err)
	}
	es, err := s.ListLoginHistory(ctx, "s1")
	must(t, err)
	if got := eventIDs(es); fmt.Sprint(got) != "[recent]" {
		t.Errorf("after Prune past LoginHistoryKeep: %v; want [recent]", got)
	}
	if es, _ := s.ListLoginHistory(ctx, "org-idle"); len(es) != 0 {
		t.Errorf("a deleted org kept %d login attempts", len(es))
	}
}
