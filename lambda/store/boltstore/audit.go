package boltstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
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

// loginRecord is a login attempt in its ring slot, with its sequence
// number (the order of arrival, for ties in time).
type loginRecord struct {
	Seq   int              `json:"seq"`
	Event store.LoginEvent `json:"event"`
}

func loginKey(orgID string, slot int) string { return fmt.Sprintf("%s\x00%05d", orgID, slot) }

// AddLoginHistory writes the attempt into the next slot of the org's ring,
// overwriting the oldest once the ring is full.
func (s *Store) AddLoginHistory(_ context.Context, e store.LoginEvent) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		o, err := get[orgRecord](tx, bOrgs, e.OrgID)
		if err != nil {
			return err
		}
		seq := o.Logins
		o.Logins++
		if err := put(tx, bOrgs, e.OrgID, o); err != nil {
			return err
		}
		return put(tx, bLogins, loginKey(e.OrgID, seq%store.MaxLoginHistoryPerOrg), loginRecord{Seq: seq, Event: e})
	})
}

func (s *Store) ListLoginHistory(_ context.Context, orgID string) ([]store.LoginEvent, error) {
	var recs []loginRecord
	prefix := []byte(orgID + "\x00")
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bLogins).Cursor()
		for k, _ := c.Seek(prefix); k != nil && strings.HasPrefix(string(k), string(prefix)); k, _ = c.Next() {
			r, err := get[loginRecord](tx, bLogins, string(k))
			if err != nil {
				return err
			}
			recs = append(recs, r)
		}
		return nil
	})
	return newestFirst(recs), err
}

// newestFirst orders attempts by time, newest first, ties by arrival.
func newestFirst(recs []loginRecord) []store.LoginEvent {
	slices.SortFunc(recs, func(a, b loginRecord) int {
		if c := b.Event.At.Compare(a.Event.At); c != 0 {
			return c
		}
		return b.Seq - a.Seq
	})
	out := make([]store.LoginEvent, len(recs))
	for i, r := range recs {
		out[i] = r.Event
	}
	return out
}
