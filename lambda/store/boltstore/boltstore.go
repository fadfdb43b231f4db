// Package boltstore is the embedded store.Store: one bbolt file (under
// .caplab/ for `caplab serve`). Every write is a bbolt read-write
// transaction, which bbolt serialises, so single-use claims are atomic.
package boltstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/caplab/caplab/lambda/store"
)

var (
	bScenarios = []byte("scenarios") // share id → store.Scenario
	bOrgs      = []byte("orgs")      // live org id → orgRecord
	bCodes     = []byte("codes")
	bGrants    = []byte("grants")
	bApprovals = []byte("approvals") // orgID \x00 user \x00 createdAt \x00 grantID → grantID (active interactive grants)
	bTokens    = []byte("tokens")
	bLockouts  = []byte("lockouts")  // orgID \x00 user → store.Lockout
	bOrgGrants = []byte("orgGrants") // orgID \x00 createdAt \x00 grantID → grantID (active grants)
	bUses      = []byte("grantUses") // grantID → grantUse
	bLogins    = []byte("logins")    // orgID \x00 slot → loginRecord (a ring of store.MaxLoginHistoryPerOrg)
)

// orgRecord indexes a live org: its share and how many grants it has had.
type orgRecord struct {
	ShareID string `json:"shareId"`
	Grants  int    `json:"grants"`
	Quota   int    `json:"quota"`
	Logins  int    `json:"logins,omitempty"` // login attempts ever recorded (the ring's next slot)
}

// Store is a bbolt-backed store.
type Store struct{ db *bolt.DB }

var (
	_ store.Store  = (*Store)(nil)
	_ store.Pruner = (*Store)(nil)
)

// Open opens (creating) the database file at path, creating its directory.
func Open(path string) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("boltstore: open %s: %w", path, err)
	}
	// Idempotent writes go through db.Batch, which shares one fsync among
	// concurrent writers; a short delay keeps a lone writer's latency low.
	db.MaxBatchDelay = maxBatchDelay
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bScenarios, bOrgs, bCodes, bGrants, bApprovals, bTokens, bLockouts, bOrgGrants, bUses, bLogins, bRelayTenants, bRelayFlows} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, err
	}
	return &Store{db: db}, nil
}

func (s *Store) Close() error { return s.db.Close() }

func get[T any](tx *bolt.Tx, bucket []byte, key string) (T, error) {
	var v T
	data := tx.Bucket(bucket).Get([]byte(key))
	if data == nil {
		return v, store.ErrNotFound
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return v, fmt.Errorf("boltstore: %s/%s: %w", bucket, key, err)
	}
	return v, nil
}

func put(tx *bolt.Tx, bucket []byte, key string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return tx.Bucket(bucket).Put([]byte(key), data)
}

func (s *Store) PutScenario(_ context.Context, sc store.Scenario) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bScenarios).Get([]byte(sc.ID)) != nil || tx.Bucket(bOrgs).Get([]byte(sc.OrgID)) != nil {
			return store.ErrExists
		}
		if err := put(tx, bOrgs, sc.OrgID, orgRecord{ShareID: sc.ID, Quota: sc.GrantQuota()}); err != nil {
			return err
		}
		return put(tx, bScenarios, sc.ID, sc)
	})
}

func (s *Store) GetScenario(_ context.Context, id string) (sc store.Scenario, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		sc, err = get[store.Scenario](tx, bScenarios, id)
		return err
	})
	return sc, err
}

func (s *Store) GetLiveOrg(_ context.Context, orgID string) (sc store.Scenario, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		o, err := get[orgRecord](tx, bOrgs, orgID)
		if err != nil {
			return err
		}
		sc, err = get[store.Scenario](tx, bScenarios, o.ShareID)
		return err
	})
	return sc, err
}

func (s *Store) TouchScenario(_ context.Context, share store.Scenario, now time.Time) error {
	return s.db.Batch(func(tx *bolt.Tx) error {
		sc, err := get[store.Scenario](tx, bScenarios, share.ID)
		if err != nil {
			return err
		}
		sc.LastUsedAt = now
		return put(tx, bScenarios, share.ID, sc)
	})
}

// maxBatchDelay is how long a write waits for others to share its commit.
const maxBatchDelay = time.Millisecond

func (s *Store) PutCode(_ context.Context, c store.Code) error {
	return s.db.Batch(func(tx *bolt.Tx) error { return put(tx, bCodes, c.Hash, c) })
}

func (s *Store) GetCode(_ context.Context, hash string, now time.Time) (c store.Code, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		c, err = get[store.Code](tx, bCodes, hash)
		if err != nil {
			return err
		}
		return store.CheckCode(c, now)
	})
	return c, err
}

func (s *Store) ClaimCode(_ context.Context, hash string, now time.Time) (c store.Code, err error) {
	// A claim shares a batched commit. The outcome travels in the closure,
	// not as the function's error, so a lost claim does not fail the whole
	// batch; Batch may run the function more than once, so each run starts
	// afresh. Two claims in one batch run in order in one transaction: the
	// second sees the first's mark.
	var outcome error
	err = s.db.Batch(func(tx *bolt.Tx) error {
		c, outcome = get[store.Code](tx, bCodes, hash)
		switch {
		case outcome != nil:
			return nil
		case !c.UsedAt.IsZero():
			outcome = store.ErrAlreadyUsed
			return nil
		}
		if outcome = store.CheckCode(c, now); outcome != nil {
			return nil
		}
		c.UsedAt = now
		return put(tx, bCodes, hash, c)
	})
	if err != nil {
		return c, err
	}
	return c, outcome
}

func userPrefix(orgID, user string) string { return orgID + "\x00" + user + "\x00" }

func approvalKey(g store.Grant) []byte {
	return []byte(userPrefix(g.ScenarioID, g.User) + g.CreatedAt.UTC().Format("20060102150405.000000000") + "\x00" + g.ID)
}

func orgGrantKey(g store.Grant) []byte {
	return []byte(g.ScenarioID + "\x00" + g.CreatedAt.UTC().Format("20060102150405.000000000") + "\x00" + g.ID)
}

// PutGrant writes the grant and its approval index entry (active
// interactive grants only), counting a new grant against its live org's
// quota, in one transaction. The outcome rides in the closure, as in
// ClaimCode, so a refused grant does not fail the others of its batch.
func (s *Store) PutGrant(_ context.Context, g store.Grant) error {
	var outcome error
	err := s.db.Batch(func(tx *bolt.Tx) error {
		outcome = nil
		old, err := get[store.Grant](tx, bGrants, g.ID)
		switch {
		case err == nil:
			if old.Status == store.GrantRevoked {
				// A revocation is sticky: a stale rewrite must not undo it.
				g.Status, g.RevokedWhy, g.RevokedAt = old.Status, old.RevokedWhy, old.RevokedAt
			}
			if err := tx.Bucket(bApprovals).Delete(approvalKey(old)); err != nil {
				return err
			}
			if err := tx.Bucket(bOrgGrants).Delete(orgGrantKey(old)); err != nil {
				return err
			}
		case errors.Is(err, store.ErrNotFound):
			o, err := get[orgRecord](tx, bOrgs, g.ScenarioID)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			if err == nil && o.Grants >= o.Quota {
				outcome = store.ErrQuota
				return nil
			}
			if err == nil {
				o.Grants++
				if err := put(tx, bOrgs, g.ScenarioID, o); err != nil {
					return err
				}
			}
		default:
			return err
		}
		if g.Interactive && g.Status != store.GrantRevoked {
			if err := tx.Bucket(bApprovals).Put(approvalKey(g), []byte(g.ID)); err != nil {
				return err
			}
		}
		if g.Status != store.GrantRevoked {
			if err := tx.Bucket(bOrgGrants).Put(orgGrantKey(g), []byte(g.ID)); err != nil {
				return err
			}
		}
		return put(tx, bGrants, g.ID, g)
	})
	if err != nil {
		return err
	}
	return outcome
}

func (s *Store) GetGrant(_ context.Context, id string) (g store.Grant, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		g, err = get[store.Grant](tx, bGrants, id)
		return err
	})
	return g, err
}

func (s *Store) ListApprovals(_ context.Context, orgID, user string) (out []store.Grant, err error) {
	prefix := []byte(userPrefix(orgID, user))
	err = s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bApprovals).Cursor()
		for k, v := c.Seek(prefix); k != nil && len(k) >= len(prefix) && string(k[:len(prefix)]) == string(prefix); k, v = c.Next() {
			g, err := get[store.Grant](tx, bGrants, string(v))
			if err != nil {
				return err
			}
			out = append(out, g)
		}
		return nil
	})
	return out, err
}

func (s *Store) RevokeGrant(_ context.Context, id, why string, now time.Time) error {
	return s.db.Batch(func(tx *bolt.Tx) error {
		g, err := get[store.Grant](tx, bGrants, id)
		if err != nil {
			return err
		}
		if g.Status == store.GrantRevoked {
			return nil
		}
		g.Status, g.RevokedWhy, g.RevokedAt = store.GrantRevoked, why, now
		if err := tx.Bucket(bApprovals).Delete(approvalKey(g)); err != nil {
			return err
		}
		if err := tx.Bucket(bOrgGrants).Delete(orgGrantKey(g)); err != nil {
			return err
		}
		return put(tx, bGrants, id, g)
	})
}

func (s *Store) PutToken(_ context.Context, t store.Token) error {
	return s.db.Batch(func(tx *bolt.Tx) error {
		if t.Kind == store.KindAccess {
			if err := countUse(tx, t.GrantID, t.IssuedAt); err != nil {
				return err
			}
		}
		return put(tx, bTokens, t.Hash, t)
	})
}

func getToken(tx *bolt.Tx, hash string, now time.Time) (store.Token, error) {
	t, err := get[store.Token](tx, bTokens, hash)
	if err != nil {
		return t, err
	}
	var gp *store.Grant
	g, err := get[store.Grant](tx, bGrants, t.GrantID)
	switch {
	case err == nil:
		gp = &g
	case !errors.Is(err, store.ErrNotFound):
		return t, err
	}
	return t, store.CheckToken(t, gp, now)
}

func (s *Store) GetToken(_ context.Context, hash string, now time.Time) (t store.Token, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		t, err = getToken(tx, hash, now)
		return err
	})
	return t, err
}

func (s *Store) ClaimRefresh(_ context.Context, hash string, now time.Time) (t store.Token, err error) {
	var outcome error // as in ClaimCode: the outcome rides in the closure
	err = s.db.Batch(func(tx *bolt.Tx) error {
		t, outcome = getToken(tx, hash, now)
		if outcome != nil {
			return nil
		}
		if !t.UsedAt.IsZero() {
			outcome = store.ErrAlreadyUsed
			return nil
		}
		t.UsedAt, t.LastUsedAt = now, now
		return put(tx, bTokens, hash, t)
	})
	if err != nil {
		return t, err
	}
	return t, outcome
}

func (s *Store) TouchToken(_ context.Context, hash string, now, expiresAt time.Time) error {
	return s.db.Batch(func(tx *bolt.Tx) error {
		t, err := get[store.Token](tx, bTokens, hash)
		if err != nil {
			return err
		}
		t.LastUsedAt = now
		if !expiresAt.IsZero() {
			t.ExpiresAt = expiresAt
		}
		return put(tx, bTokens, hash, t)
	})
}

func (s *Store) RevokeToken(_ context.Context, hash string, _ time.Time) error {
	return s.db.Batch(func(tx *bolt.Tx) error {
		t, err := get[store.Token](tx, bTokens, hash)
		if err != nil {
			return err
		}
		t.Revoked = true
		return put(tx, bTokens, hash, t)
	})
}
