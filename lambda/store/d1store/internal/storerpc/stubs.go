package storerpc

import (
	"context"
	"time"

	"github.com/caplab/caplab/lambda/relay"
	"github.com/caplab/caplab/lambda/store"
)

// Store is a store.Store (and store.Pruner) whose every call runs on the
// server's "Store" target.
type Store struct{ C *Client }

var (
	_ store.Store  = Store{}
	_ store.Pruner = Store{}
	_ relay.Store  = Relay{}
)

func (s Store) call(ctx context.Context, method string, args []any, results ...any) error {
	return s.C.call(ctx, "Store", method, args, results...)
}

func (s Store) PutScenario(ctx context.Context, sc store.Scenario) error {
	return s.call(ctx, "PutScenario", []any{sc})
}

func (s Store) GetScenario(ctx context.Context, id string) (sc store.Scenario, err error) {
	err = s.call(ctx, "GetScenario", []any{id}, &sc)
	return
}

func (s Store) GetLiveOrg(ctx context.Context, orgID string) (sc store.Scenario, err error) {
	err = s.call(ctx, "GetLiveOrg", []any{orgID}, &sc)
	return
}

func (s Store) TouchScenario(ctx context.Context, sc store.Scenario, now time.Time) error {
	return s.call(ctx, "TouchScenario", []any{sc, now})
}

func (s Store) Lookup(ctx context.Context, k store.Keys) (r store.Records, err error) {
	err = s.call(ctx, "Lookup", []any{k}, &r)
	return
}

func (s Store) Commit(ctx context.Context, w store.Write) error {
	return s.call(ctx, "Commit", []any{w})
}

func (s Store) ListApprovals(ctx context.Context, orgID, user string) (gs []store.Grant, err error) {
	err = s.call(ctx, "ListApprovals", []any{orgID, user}, &gs)
	return
}

func (s Store) GetLockout(ctx context.Context, orgID, user string) (l store.Lockout, err error) {
	err = s.call(ctx, "GetLockout", []any{orgID, user}, &l)
	return
}

func (s Store) AddLoginFailure(ctx context.Context, orgID, user string, now time.Time, max int, lockFor time.Duration) (l store.Lockout, err error) {
	err = s.call(ctx, "AddLoginFailure", []any{orgID, user, now, max, lockFor}, &l)
	return
}

func (s Store) ClearLoginFailures(ctx context.Context, orgID, user string, now time.Time) error {
	return s.call(ctx, "ClearLoginFailures", []any{orgID, user, now})
}

func (s Store) ListGrants(ctx context.Context, orgID string) (gs []store.GrantUse, err error) {
	err = s.call(ctx, "ListGrants", []any{orgID}, &gs)
	return
}

func (s Store) ListLoginHistory(ctx context.Context, orgID string) (es []store.LoginEvent, err error) {
	err = s.call(ctx, "ListLoginHistory", []any{orgID}, &es)
	return
}

func (s Store) Prune(ctx context.Context, now time.Time, r store.Retention) (n int, err error) {
	err = s.call(ctx, "Prune", []any{now, r}, &n)
	return
}

// Close closes nothing: the store lives in the server.
func (s Store) Close() error { return nil }

// Relay is a relay.Store whose every call runs on the server's "Relay"
// target.
type Relay struct{ C *Client }

func (s Relay) call(ctx context.Context, method string, args []any, results ...any) error {
	return s.C.call(ctx, "Relay", method, args, results...)
}

func (s Relay) PutTenant(ctx context.Context, t relay.Tenant) error {
	return s.call(ctx, "PutTenant", []any{t})
}

func (s Relay) GetTenant(ctx context.Context, id string) (t relay.Tenant, err error) {
	err = s.call(ctx, "GetTenant", []any{id}, &t)
	return
}

func (s Relay) DeleteTenant(ctx context.Context, id string) error {
	return s.call(ctx, "DeleteTenant", []any{id})
}

func (s Relay) CreateFlow(ctx context.Context, f relay.Flow) error {
	return s.call(ctx, "CreateFlow", []any{f})
}

func (s Relay) ClaimFlow(ctx context.Context, id string, now time.Time) (f relay.Flow, err error) {
	err = s.call(ctx, "ClaimFlow", []any{id, now}, &f)
	return
}
