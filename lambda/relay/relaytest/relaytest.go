// Package relaytest is the contract every relay.Store implementation
// passes: call Run from the implementation's own test.
package relaytest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/caplab/caplab/lambda/relay"
	"github.com/caplab/caplab/lambda/store/storetest"
)

// Racers is how many goroutines race for one flow in the FlowClaimRace test.
const Racers = 50

// Run checks newStore's stores against the relay.Store contract. Each
// subtest gets a fresh store from newStore (which should register its own
// cleanup).
func Run(t *testing.T, newStore func(t *testing.T) relay.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s relay.Store)
	}{
		{"TenantRoundTrip", testTenant},
		{"FlowCreateIsConditional", testCreateConditional},
		{"FlowClaimOnce", testClaimOnce},
		{"FlowClaimRace", testClaimRace},
		{"FlowExpiry", testExpiry},
		{"FlowNotFound", testNotFound},
		{"FlowsAreIndependent", testIndependent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, newStore(t))
		})
	}
}

// t0 is the contract's "now": the wall clock, not a fixed date, because a
// backend with TTL (DynamoDB, DynamoDB Local) deletes items whose ttl is in
// the past while the test runs.
var t0 = time.Now().UTC().Truncate(time.Second)

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func tenant(id string) relay.Tenant {
	return relay.Tenant{
		ID:        id,
		LoginHost: "https://" + id + ".my.salesforce.com",
		ClientID:  "client-" + id,
		Issuer:    "https://" + id + ".my.salesforce.com",
		Destinations: []relay.Destination{
			{ID: "prod", URL: "https://app." + id + ".test/oauth/callback"},
			{ID: "dev", URL: "http://127.0.0.1:8080/cb?env=dev"},
		},
		UpdatedAt: t0,
	}
}

// Flow returns a flow for tests: handle "handle-"+name, started when the
// test binary started, expiring ten minutes later.
func Flow(name string) relay.Flow {
	return relay.Flow{
		ID:             relay.FlowID("handle-" + name),
		Tenant:         "acme",
		DestinationID:  "prod",
		DestinationURL: "https://app.acme.test/oauth/callback",
		Issuer:         "https://acme.my.salesforce.com",
		ClientID:       "client-acme",
		ConsumerState:  "consumer state " + name + " ✓",
		CreatedAt:      t0,
		ExpiresAt:      t0.Add(10 * time.Minute),
	}
}

func sameTenant(t *testing.T, got, want relay.Tenant) {
	t.Helper()
	if !got.UpdatedAt.Equal(want.UpdatedAt) {
		t.Errorf("UpdatedAt = %v, want %v", got.UpdatedAt, want.UpdatedAt)
	}
	got.UpdatedAt, want.UpdatedAt = time.Time{}, time.Time{}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("tenant = %+v\nwant     %+v", got, want)
	}
}

// sameFlow compares flows, times by instant.
func sameFlow(t *testing.T, got, want relay.Flow) {
	t.Helper()
	for _, c := range []struct {
		name      string
		got, want time.Time
	}{{"CreatedAt", got.CreatedAt, want.CreatedAt}, {"ExpiresAt", got.ExpiresAt, want.ExpiresAt}, {"UsedAt", got.UsedAt, want.UsedAt}} {
		if !c.got.Equal(c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	got.CreatedAt, got.ExpiresAt, got.UsedAt = time.Time{}, time.Time{}, time.Time{}
	want.CreatedAt, want.ExpiresAt, want.UsedAt = time.Time{}, time.Time{}, time.Time{}
	if got != want {
		t.Errorf("flow = %+v\nwant   %+v", got, want)
	}
}

func testTenant(t *testing.T, s relay.Store) {
	ctx := context.Background()
	if _, err := s.GetTenant(ctx, "acme"); !errors.Is(err, relay.ErrNotFound) {
		t.Fatalf("GetTenant(missing) = %v, want ErrNotFound", err)
	}
	if err := s.DeleteTenant(ctx, "acme"); !errors.Is(err, relay.ErrNotFound) {
		t.Fatalf("DeleteTenant(missing) = %v, want ErrNotFound", err)
	}
	a, b := tenant("acme"), tenant("globex")
	must(t, s.PutTenant(ctx, a))
	must(t, s.PutTenant(ctx, b))
	got, err := s.GetTenant(ctx, "acme")
	must(t, err)
	sameTenant(t, got, a)

	// The returned value is a copy: changing it changes nothing stored.
	got.Destinations[0].URL = "https://evil.test/"
	again, err := s.GetTenant(ctx, "acme")
	must(t, err)
	sameTenant(t, again, a)

	// Put replaces the whole tenant, destinations included.
	a2 := a
	a2.ClientID = "client-acme-2"
	a2.Destinations = []relay.Destination{{ID: "only", URL: "https://only.acme.test/cb"}}
	a2.UpdatedAt = t0.Add(time.Hour)
	must(t, s.PutTenant(ctx, a2))
	got, err = s.GetTenant(ctx, "acme")
	must(t, err)
	sameTenant(t, got, a2)

	must(t, s.DeleteTenant(ctx, "acme"))
	if _, err := s.GetTenant(ctx, "acme"); !errors.Is(err, relay.ErrNotFound) {
		t.Fatalf("GetTenant(deleted) = %v, want ErrNotFound", err)
	}
	if err := s.DeleteTenant(ctx, "acme"); !errors.Is(err, relay.ErrNotFound) {
		t.Fatalf("DeleteTenant(deleted) = %v, want ErrNotFound", err)
	}
	got, err = s.GetTenant(ctx, "globex")
	must(t, err)
	sameTenant(t, got, b)

	// A deleted tenant can be registered again.
	must(t, s.PutTenant(ctx, a))
	got, err = s.GetTenant(ctx, "acme")
	must(t, err)
	sameTenant(t, got, a)
}

func testCreateConditional(t *testing.T, s relay.Store) {
	ctx := context.Background()
	f := Flow("a")
	must(t, s.CreateFlow(ctx, f))
	other := f
	other.DestinationID, other.DestinationURL = "evil", "https://evil.test/"
	if err := s.CreateFlow(ctx, other); !errors.Is(err, relay.ErrExists) {
		t.Fatalf("second CreateFlow = %v, want ErrExists", err)
	}
	got, err := s.ClaimFlow(ctx, f.ID, t0.Add(time.Minute))
	must(t, err)
	want := f
	want.UsedAt = t0.Add(time.Minute)
	sameFlow(t, got, want) // the first record, untouched by the failed create
}

func testClaimOnce(t *testing.T, s relay.Store) {
	ctx := context.Background()
	f := Flow("a")
	must(t, s.CreateFlow(ctx, f))
	now := t0.Add(2 * time.Minute)
	got, err := s.ClaimFlow(ctx, f.ID, now)
	must(t, err)
	want := f
	want.UsedAt = now
	sameFlow(t, got, want)

	got, err = s.ClaimFlow(ctx, f.ID, now.Add(time.Second))
	if !errors.Is(err, relay.ErrAlreadyUsed) {
		t.Fatalf("second ClaimFlow = %v, want ErrAlreadyUsed", err)
	}
	sameFlow(t, got, want) // with the record, first use kept
	// Still used after expiry: a late replay is a replay.
	if _, err := s.ClaimFlow(ctx, f.ID, t0.Add(time.Hour)); !errors.Is(err, relay.ErrAlreadyUsed) {
		t.Fatalf("late ClaimFlow = %v, want ErrAlreadyUsed", err)
	}
}

func testClaimRace(t *testing.T, s relay.Store) {
	ctx := context.Background()
	f := Flow("race")
	must(t, s.CreateFlow(ctx, f))
	storetest.Race(t, Racers, "ClaimFlow", func() error {
		_, err := s.ClaimFlow(ctx, f.ID, t0.Add(time.Minute))
		return err
	})
}

func testExpiry(t *testing.T, s relay.Store) {
	ctx := context.Background()
	f := Flow("exp")
	must(t, s.CreateFlow(ctx, f))
	for _, now := range []time.Time{f.ExpiresAt, f.ExpiresAt.Add(time.Nanosecond), f.ExpiresAt.Add(48 * time.Hour)} {
		got, err := s.ClaimFlow(ctx, f.ID, now)
		if !errors.Is(err, relay.ErrExpired) {
			t.Fatalf("ClaimFlow at %v = %v, want ErrExpired", now.Sub(t0), err)
		}
		sameFlow(t, got, f) // with the record, still unused
	}
	// Just before expiry is fine (and an expired claim did not mark it).
	g := Flow("edge")
	must(t, s.CreateFlow(ctx, g))
	if _, err := s.ClaimFlow(ctx, g.ID, g.ExpiresAt.Add(-time.Millisecond)); err != nil {
		t.Fatalf("ClaimFlow just before expiry = %v", err)
	}
}

func testNotFound(t *testing.T, s relay.Store) {
	ctx := context.Background()
	if _, err := s.ClaimFlow(ctx, relay.FlowID("never"), t0); !errors.Is(err, relay.ErrNotFound) {
		t.Fatalf("ClaimFlow(missing) = %v, want ErrNotFound", err)
	}
}

func testIndependent(t *testing.T, s relay.Store) {
	ctx := context.Background()
	const n = 20
	for i := range n {
		must(t, s.CreateFlow(ctx, Flow(fmt.Sprint(i))))
	}
	for i := n - 1; i >= 0; i-- {
		f, err := s.ClaimFlow(ctx, relay.FlowID(fmt.Sprint("handle-", i)), t0.Add(time.Minute))
		must(t, err)
		if want := Flow(fmt.Sprint(i)).ConsumerState; f.ConsumerState != want {
			t.Fatalf("flow %d: state %q, want %q", i, f.ConsumerState, want)
		}
	}
}
