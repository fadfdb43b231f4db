package storetest

import (
	"context"
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
// first, each with the access tokens issued from it (Write.UseGrant).
func testGrantUses(t *testing.T, s store.Store) {
	ctx := context.Background()
	putOrg(t, s, 0)
	liveOrg(t, s, "s2")
	if gs, err := s.ListGrants(ctx, org); err != nil || len(gs) != 0 {
		t.Fatalf("ListGrants(no grants) = %v, %v; want none", gs, err)
	}
	approval := newGrant("g-approval", t0.Add(time.Minute))
	password := newGrant("g-password", t0)
	password.Interactive = false
	revoked := newGrant("g-revoked", t0)
	for _, g := range []store.Grant{approval, password, revoked} {
		grant(t, s, g)
	}
	other := newGrant("g-other-org", t0)
	other.ScenarioID = "s2"
	must(t, s.Commit(ctx, store.Write{OrgID: "s2", Now: t0, Grant: &other}))
	for i := range 3 {
		must(t, commit(s, store.Write{UseGrant: approval.ID, Now: t0.Add(time.Duration(i+1) * time.Hour)}))
	}
	must(t, commit(s, store.Write{UseGrant: revoked.ID}))
	must(t, commit(s, store.Write{Revoke: []store.Revocation{{GrantID: revoked.ID, User: revoked.User, Why: "test"}}}))
	gs, err := s.ListGrants(ctx, org)
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
	// A grant written with its first use starts at one.
	first := newGrant("g-first", t0.Add(time.Hour))
	must(t, commit(s, store.Write{Grant: &first, UseGrant: first.ID, Now: t0.Add(time.Hour)}))
	// Concurrent issuances of one grant are all counted.
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if err := commit(s, store.Write{UseGrant: password.ID}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	gs, _ = s.ListGrants(ctx, org)
	if len(gs) != 3 || gs[0].Uses != 8 || gs[2].ID != first.ID || gs[2].Uses != 1 || !gs[2].LastUsedAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("after 8 concurrent uses and a grant with its first: %+v", gs)
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

// logins records login rows of orgID, one write each.
func logins(t *testing.T, s store.Store, orgID string, es ...store.LoginEvent) {
	t.Helper()
	for _, e := range es {
		must(t, s.Commit(context.Background(), store.Write{OrgID: orgID, Now: e.At, Logins: []store.LoginEvent{e}}))
	}
}

// testLoginHistory: a live org's attempts, newest first (ties by id); a
// listing reads the newest store.MaxLoginHistoryPerOrg.
func testLoginHistory(t *testing.T, s store.Store) {
	ctx := context.Background()
	putOrg(t, s, 0)
	liveOrg(t, s, "s2")
	first := loginEvent(org, "e1", t0)
	first.Status, first.APIType, first.APIVersion = "Invalid Password", "SOAP Partner", "64.0"
	logins(t, s, org, first, loginEvent(org, "e3", t0.Add(time.Minute)), loginEvent(org, "e2", t0))
	logins(t, s, "s2", loginEvent("s2", "other", t0))
	es, err := s.ListLoginHistory(ctx, org)
	must(t, err)
	if got := eventIDs(es); fmt.Sprint(got) != "[e3 e2 e1]" {
		t.Fatalf("ListLoginHistory = %v; want [e3 e2 e1]", got)
	}
	if es[2] != first {
		t.Fatalf("round trip: %+v; want %+v", es[2], first)
	}
	// Two rows in one write, then many concurrent writes: all land, and a
	// listing reads the newest.
	two := []store.LoginEvent{loginEvent("s2", "pair-a", t0.Add(-2*time.Second)), loginEvent("s2", "pair-b", t0.Add(-time.Second))}
	must(t, s.Commit(ctx, store.Write{OrgID: "s2", Now: t0, Logins: two}))
	var wg sync.WaitGroup
	next := make(chan int)
	for range 8 {
		wg.Go(func() {
			for i := range next {
				e := loginEvent("s2", fmt.Sprintf("r%04d", i), t0.Add(time.Duration(i)*time.Second))
				if err := s.Commit(ctx, store.Write{OrgID: "s2", Now: e.At, Logins: []store.LoginEvent{e}}); err != nil {
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
		t.Fatalf("a listing read %d attempts; want the newest %d", len(es), store.MaxLoginHistoryPerOrg)
	}
	if es[0].ID != fmt.Sprintf("r%04d", store.MaxLoginHistoryPerOrg+extra-1) || es[len(es)-1].ID != fmt.Sprintf("r%04d", extra) {
		t.Fatalf("listing from %s to %s; want the newest %d, newest first", es[0].ID, es[len(es)-1].ID, store.MaxLoginHistoryPerOrg)
	}
	if es, _ := s.ListLoginHistory(ctx, org); len(es) != 3 {
		t.Fatalf("another org's rows changed s1's: %d attempts", len(es))
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
	logins(t, s, org, loginEvent(org, "old", t0), loginEvent(org, "recent", t0.Add(store.LoginHistoryKeep)))
	now := t0.Add(store.LoginHistoryKeep + time.Hour)
	if _, err := p.Prune(ctx, now, store.Retention{}); err != nil {
		t.Fatal(err)
	}
	es, err := s.ListLoginHistory(ctx, org)
	must(t, err)
	if got := eventIDs(es); fmt.Sprint(got) != "[recent]" {
		t.Errorf("after Prune past LoginHistoryKeep: %v; want [recent]", got)
	}
	if es, _ := s.ListLoginHistory(ctx, "org-idle"); len(es) != 0 {
		t.Errorf("a deleted org kept %d login attempts", len(es))
	}
}
