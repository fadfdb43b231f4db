package d1store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/caplab/caplab/lambda/relay"
)

// Relay is relay.Store over the same database (tables relay_tenants and
// relay_flows).
type Relay struct {
	db DB
}

// NewRelay returns the relay's store over db.
func NewRelay(db DB) *Relay { return &Relay{db: db} }

var _ relay.Store = (*Relay)(nil)

func (s *Relay) PutTenant(ctx context.Context, t relay.Tenant) error {
	doc, err := json.Marshal(t)
	if err != nil {
		return err
	}
	_, err = one(ctx, s.db, "INSERT OR REPLACE INTO relay_tenants (id, doc) VALUES (?, ?)", t.ID, string(doc))
	return relayFailure(err)
}

func (s *Relay) GetTenant(ctx context.Context, id string) (relay.Tenant, error) {
	r, err := one(ctx, s.db, "SELECT doc FROM relay_tenants WHERE id = ?", id)
	if err != nil {
		return relay.Tenant{}, relayFailure(err)
	}
	if len(r.Rows) == 0 {
		return relay.Tenant{}, relay.ErrNotFound
	}
	t, err := decode[relay.Tenant](r.Rows[0])
	if err != nil {
		return relay.Tenant{}, err
	}
	return *t, nil
}

func (s *Relay) DeleteTenant(ctx context.Context, id string) error {
	r, err := one(ctx, s.db, "DELETE FROM relay_tenants WHERE id = ?", id)
	if err != nil {
		return relayFailure(err)
	}
	if r.Changes == 0 {
		return relay.ErrNotFound
	}
	return nil
}

// CreateFlow inserts the flow unless its id is taken (relay.ErrExists).
func (s *Relay) CreateFlow(ctx context.Context, f relay.Flow) error {
	doc, err := json.Marshal(f)
	if err != nil {
		return err
	}
	r, err := one(ctx, s.db, "INSERT INTO relay_flows (id, expires, used_at, doc) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
		f.ID, timeCol(f.ExpiresAt), timeCol(f.UsedAt), string(doc))
	if err != nil {
		return relayFailure(err)
	}
	if r.Changes == 0 {
		return relay.ErrExists
	}
	return nil
}

// ClaimFlow is one conditional UPDATE … RETURNING (one round trip when
// the claim succeeds); only a refused claim reads the row to say why.
func (s *Relay) ClaimFlow(ctx context.Context, id string, now time.Time) (relay.Flow, error) {
	r, err := one(ctx, s.db, "UPDATE relay_flows SET used_at = ?2 WHERE id = ?1 AND used_at = '' AND expires > ?2 RETURNING doc, used_at",
		id, timeCol(now))
	if err != nil {
		return relay.Flow{}, relayFailure(err)
	}
	if len(r.Rows) == 1 {
		return flowOf(r.Rows[0])
	}
	r, err = one(ctx, s.db, "SELECT doc, used_at FROM relay_flows WHERE id = ?", id)
	if err != nil {
		return relay.Flow{}, relayFailure(err)
	}
	if len(r.Rows) == 0 {
		return relay.Flow{}, relay.ErrNotFound
	}
	f, err := flowOf(r.Rows[0])
	if err != nil {
		return f, err
	}
	if err := relay.CheckFlow(f, now); err != nil {
		return f, err
	}
	// Unused and unexpired, yet the UPDATE did not match: the flow was
	// created after it ran, so at the claim it did not exist.
	return relay.Flow{}, relay.ErrNotFound
}

func flowOf(row Row) (relay.Flow, error) {
	f, err := decode[relay.Flow](row)
	if err != nil {
		return relay.Flow{}, err
	}
	f.UsedAt = colTime(row.str("used_at"))
	return *f, nil
}
