package d1store

import (
	"context"
	"encoding/json"
	"errors"

	"time"

	"github.com/caplab/caplab/lambda/store"
)

// Store is store.Store and relay.Store over one D1 database.
type Store struct {
	db DB
}

// New returns the store over db (whose schema Migrate or `wrangler d1
// migrations apply` created).
func New(db DB) *Store { return &Store{db: db} }

var (
	_ store.Store  = (*Store)(nil)
	_ store.Pruner = (*Store)(nil)
)

// Close does nothing: the binding belongs to the Worker.
func (s *Store) Close() error { return nil }

func (s *Store) PutScenario(ctx context.Context, sc store.Scenario) error {
	doc, err := json.Marshal(sc)
	if err != nil {
		return err
	}
	_, err = one(ctx, s.db, `INSERT INTO scenarios (id, org_id, created, last_used_at, last_use, grant_quota, doc)
		VALUES (?, ?, ?, ?, ?, ?, ?)`,
		sc.ID, sc.OrgID, timeCol(sc.CreatedAt), timeCol(sc.LastUsedAt), timeCol(sc.LastUse()), sc.GrantQuota(), string(doc))
	return failure(err)
}

func (s *Store) GetScenario(ctx context.Context, id string) (store.Scenario, error) {
	return s.scenario(ctx, "id", id)
}

func (s *Store) GetLiveOrg(ctx context.Context, orgID string) (store.Scenario, error) {
	return s.scenario(ctx, "org_id", orgID)
}

// scenario reads the share whose column col is v.
func (s *Store) scenario(ctx context.Context, col, v string) (store.Scenario, error) {
	r, err := one(ctx, s.db, "SELECT doc, last_used_at FROM scenarios WHERE "+col+" = ?", v)
	if err != nil {
		return store.Scenario{}, failure(err)
	}
	if len(r.Rows) == 0 {
		return store.Scenario{}, store.ErrNotFound
	}
	var sc store.Scenario
	if err := json.Unmarshal([]byte(r.Rows[0].str("doc")), &sc); err != nil {
		return store.Scenario{}, err
	}
	sc.LastUsedAt = colTime(r.Rows[0].str("last_used_at"))
	return sc, nil
}

func (s *Store) TouchScenario(ctx context.Context, sc store.Scenario, now time.Time) error {
	r, err := one(ctx, s.db, "UPDATE scenarios SET last_used_at = ?1, last_use = max(created, ?1) WHERE id = ?2", timeCol(now), sc.ID)
	if err != nil {
		return failure(err)
	}
	if r.Changes == 0 {
		return store.ErrNotFound
	}
	return nil
}

// decode reads a record's JSON doc.
func decode[T any](row Row) (*T, error) {
	var v T
	if err := json.Unmarshal([]byte(row.str("doc")), &v); err != nil {
		return nil, errors.Join(errors.New("d1store: a stored record does not decode"), err)
	}
	return &v, nil
}
