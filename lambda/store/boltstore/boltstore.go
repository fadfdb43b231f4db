// Package boltstore is the embedded store.Store: one bbolt file (under
// .caplab/ for `caplab serve`). Every write is one call of a group
// committer (committer.go) inside a bbolt read-write transaction, which
// bbolt serialises, so single-use claims are atomic; a request's reads are
// one read-only transaction.
package boltstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
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
	bLogins    = []byte("loginRows") // orgID \x00 store.LoginSortKey → store.LoginEvent
	bMarks     = []byte("marks")     // mark key → store.Mark

	bLoginRing = []byte("logins") // earlier versions' ring of login attempts, dropped at Open
)

// orgRecord indexes a live org: its share and how many grants it has had.
type orgRecord struct {
	ShareID string `json:"shareId"`
	Grants  int    `json:"grants"`
	Quota   int    `json:"quota"`
}

// Store is a bbolt-backed store.
type Store struct {
	db *bolt.DB
	w  *committer
}

var (
	_ store.Store  = (*Store)(nil)
	_ store.Pruner = (*Store)(nil)
)

// Open opens (creating) the database file at path, creating its directory.
func Open(path string) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	// The freelist is rebuilt when the file is opened rather than written
	// by every commit: one page less to write and sync per request.
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second, NoFreelistSync: true, FreelistType: bolt.FreelistMapType})
	if err != nil {
		return nil, fmt.Errorf("boltstore: open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bScenarios, bOrgs, bCodes, bGrants, bApprovals, bTokens, bLockouts, bOrgGrants, bUses, bLogins, bMarks, bRelayTenants, bRelayFlows} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		// Earlier versions kept login attempts in a ring of slots.
		if err := tx.DeleteBucket(bLoginRing); err != nil && !errors.Is(err, bolt.ErrBucketNotFound) {
			return err
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, err
	}
	return &Store{db: db, w: newCommitter(db, func(err error) {
		slog.Warn("boltstore: a write made behind its answer failed", "err", err)
	})}, nil
}

// Close commits the writes still queued, then closes the file.
func (s *Store) Close() error {
	s.w.close()
	return s.db.Close()
}

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
	return s.w.do(func(tx *bolt.Tx) (error, error) {
		if tx.Bucket(bScenarios).Get([]byte(sc.ID)) != nil || tx.Bucket(bOrgs).Get([]byte(sc.OrgID)) != nil {
			return store.ErrExists, nil
		}
		if err := put(tx, bOrgs, sc.OrgID, orgRecord{ShareID: sc.ID, Quota: sc.GrantQuota()}); err != nil {
			return nil, err
		}
		return nil, put(tx, bScenarios, sc.ID, sc)
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
	return s.w.do(func(tx *bolt.Tx) (error, error) {
		sc, err := get[store.Scenario](tx, bScenarios, share.ID)
		if err != nil {
			return refusal(err)
		}
		sc.LastUsedAt = now
		return nil, put(tx, bScenarios, share.ID, sc)
	})
}

// refusal sorts a read's error: not found is an outcome, anything else
// (a corrupt record) an error.
func refusal(err error) (outcome, hard error) {
	if errors.Is(err, store.ErrNotFound) {
		return err, nil
	}
	return nil, err
}

func userPrefix(orgID, user string) string { return orgID + "\x00" + user + "\x00" }

func approvalKey(g store.Grant) []byte {
	return []byte(userPrefix(g.ScenarioID, g.User) + g.CreatedAt.UTC().Format("20060102150405.000000000") + "\x00" + g.ID)
}

func orgGrantKey(g store.Grant) []byte {
	return []byte(g.ScenarioID + "\x00" + g.CreatedAt.UTC().Format("20060102150405.000000000") + "\x00" + g.ID)
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
