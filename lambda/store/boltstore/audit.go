package boltstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/caplab/caplab/lambda/store"
)

// The audit trail: grant uses, a live org's grants, its login attempts.

// grantUse counts the access tokens issued from a grant.
type grantUse struct {
	N    int       `json:"n"`
	Last time.Time `json:"last,omitzero"`
}

// countUse counts one use of a grant, in the caller's transaction.
func countUse(tx *bolt.Tx, grantID string, at time.Time) error {
	u, err := get[grantUse](tx, bUses, grantID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	u.N++
	u.Last = at
	return put(tx, bUses, grantID, u)
}

func (s *Store) ListGrants(_ context.Context, orgID string) (out []store.GrantUse, err error) {
	prefix := []byte(orgID + "\x00")
	err = s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bOrgGrants).Cursor()
		for k, v := c.Seek(prefix); k != nil && strings.HasPrefix(string(k), string(prefix)); k, v = c.Next() {
			g, err := get[store.Grant](tx, bGrants, string(v))
			if err != nil {
				return err
			}
			u, err := get[grantUse](tx, bUses, g.ID)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			out = append(out, store.GrantUse{Grant: g, Uses: u.N, LastUsedAt: u.Last})
		}
		return nil
	})
	return out, err
}

// loginKey orders a live org's login attempts by time (then id).
func loginKey(e store.LoginEvent) string { return e.OrgID + "\x00" + store.LoginSortKey(e) }

// ListLoginHistory walks the org's rows from the newest, at most
// store.MaxLoginHistoryPerOrg of them, once the rows written behind their
// answers before it are committed.
func (s *Store) ListLoginHistory(_ context.Context, orgID string) (out []store.LoginEvent, err error) {
	if err := s.w.flush(); err != nil {
		return nil, err
	}
	prefix := []byte(orgID + "\x00")
	end := []byte(orgID + "\x01")
	err = s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bLogins).Cursor()
		k, v := c.Seek(end)
		if k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
		for ; k != nil && strings.HasPrefix(string(k), string(prefix)) && len(out) < store.MaxLoginHistoryPerOrg; k, v = c.Prev() {
			var e store.LoginEvent
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("boltstore: login %q: %w", k, err)
			}
			out = append(out, e)
		}
		return nil
	})
	return out, err
}
