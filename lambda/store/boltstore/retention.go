package boltstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/caplab/caplab/lambda/relay"
	"github.com/caplab/caplab/lambda/store"
)

// Failed-login counters and pruning: what keeps the file from growing
// forever.

func lockoutKey(orgID, user string) string { return orgID + "\x00" + user }

func (s *Store) GetLockout(_ context.Context, orgID, user string) (l store.Lockout, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		l, err = get[store.Lockout](tx, bLockouts, lockoutKey(orgID, user))
		return err
	})
	return l, err
}

func (s *Store) AddLoginFailure(_ context.Context, orgID, user string, now time.Time, max int, lockFor time.Duration) (l store.Lockout, err error) {
	err = s.w.do(func(tx *bolt.Tx) (error, error) {
		l, err = get[store.Lockout](tx, bLockouts, lockoutKey(orgID, user))
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		l.OrgID, l.User = orgID, user
		l = store.NextLockout(l, now, max, lockFor)
		return nil, put(tx, bLockouts, lockoutKey(orgID, user), l)
	})
	return l, err
}

func (s *Store) ClearLoginFailures(_ context.Context, orgID, user string, now time.Time) error {
	return s.w.do(func(tx *bolt.Tx) (error, error) {
		l, err := get[store.Lockout](tx, bLockouts, lockoutKey(orgID, user))
		if errors.Is(err, store.ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		l.Failures, l.UpdatedAt = 0, now
		return nil, put(tx, bLockouts, lockoutKey(orgID, user), l)
	})
}

// Prune deletes, in one transaction, what retention no longer keeps: idle
// shares with their live orgs, grants past retention or of a deleted live
// org with their approval entries and tokens, codes, tokens, marks and
// relay flows expired longer than store.UsedRowGrace, stale login counters,
// and login attempts past store.LoginHistoryKeep or beyond the org's newest
// store.MaxLoginHistoryPerOrg. It
// scans every record, so `caplab serve` runs it hourly, not per request.
func (s *Store) Prune(_ context.Context, now time.Time, r store.Retention) (n int, err error) {
	err = s.db.Update(func(tx *bolt.Tx) error {
		n = 0
		del := func(b []byte, k []byte) error {
			n++
			return tx.Bucket(b).Delete(k)
		}
		liveOrgs := map[string]bool{}
		if err := eachRecord(tx, bScenarios, func(k []byte, sc store.Scenario) error {
			if !r.ShareExpired(sc, now) {
				liveOrgs[sc.OrgID] = true
				return nil
			}
			if err := tx.Bucket(bOrgs).Delete([]byte(sc.OrgID)); err != nil {
				return err
			}
			return del(bScenarios, k)
		}); err != nil {
			return err
		}
		liveGrants := map[string]bool{}
		if err := eachRecord(tx, bGrants, func(k []byte, g store.Grant) error {
			if liveOrgs[g.ScenarioID] && !r.GrantExpired(g, now) {
				liveGrants[g.ID] = true
				return nil
			}
			if err := tx.Bucket(bApprovals).Delete(approvalKey(g)); err != nil {
				return err
			}
			if err := tx.Bucket(bOrgGrants).Delete(orgGrantKey(g)); err != nil {
				return err
			}
			if err := tx.Bucket(bUses).Delete([]byte(g.ID)); err != nil {
				return err
			}
			return del(bGrants, k)
		}); err != nil {
			return err
		}
		if err := eachRecord(tx, bTokens, func(k []byte, t store.Token) error {
			if liveGrants[t.GrantID] && !store.CodeExpired(t.ExpiresAt, now) {
				return nil
			}
			return del(bTokens, k)
		}); err != nil {
			return err
		}
		if err := eachRecord(tx, bCodes, func(k []byte, c store.Code) error {
			if !store.CodeExpired(c.ExpiresAt, now) {
				return nil
			}
			return del(bCodes, k)
		}); err != nil {
			return err
		}
		if err := eachRecord(tx, bRelayFlows, func(k []byte, f relay.Flow) error {
			if !store.CodeExpired(f.ExpiresAt, now) {
				return nil
			}
			return del(bRelayFlows, k)
		}); err != nil {
			return err
		}
		if err := eachRecord(tx, bMarks, func(k []byte, m store.Mark) error {
			if liveOrgs[m.OrgID] && !store.CodeExpired(m.ExpiresAt, now) {
				return nil
			}
			return del(bMarks, k)
		}); err != nil {
			return err
		}
		if err := pruneLogins(tx, liveOrgs, now, del); err != nil {
			return err
		}
		return eachRecord(tx, bLockouts, func(k []byte, l store.Lockout) error {
			if liveOrgs[l.OrgID] && (l.Locked(now) || now.Sub(l.UpdatedAt) <= store.LockoutMemory) {
				return nil
			}
			return del(bLockouts, k)
		})
	})
	return n, err
}

// pruneLogins drops login attempts of deleted orgs, past retention, or
// beyond an org's newest store.MaxLoginHistoryPerOrg (walking from the
// newest: keys sort by org, then time).
func pruneLogins(tx *bolt.Tx, liveOrgs map[string]bool, now time.Time, del func(b, k []byte) error) error {
	kept := map[string]int{}
	var doomed [][]byte
	c := tx.Bucket(bLogins).Cursor()
	for k, v := c.Last(); k != nil; k, v = c.Prev() {
		var e store.LoginEvent
		if err := json.Unmarshal(v, &e); err != nil {
			return fmt.Errorf("boltstore: login %q: %w", k, err)
		}
		if !liveOrgs[e.OrgID] || store.LoginEventExpired(e, now) || kept[e.OrgID] >= store.MaxLoginHistoryPerOrg {
			doomed = append(doomed, append([]byte(nil), k...))
			continue
		}
		kept[e.OrgID]++
	}
	for _, k := range doomed {
		if err := del(bLogins, k); err != nil {
			return err
		}
	}
	return nil
}

// eachRecord decodes every record of a bucket, collecting the keys first
// so fn may delete (bbolt cursors must not see deletes mid-iteration).
func eachRecord[T any](tx *bolt.Tx, bucket []byte, fn func(k []byte, v T) error) error {
	var keys [][]byte
	if err := tx.Bucket(bucket).ForEach(func(k, _ []byte) error {
		keys = append(keys, append([]byte(nil), k...))
		return nil
	}); err != nil {
		return err
	}
	for _, k := range keys {
		v, err := get[T](tx, bucket, string(k))
		if err != nil {
			return err
		}
		if err := fn(k, v); err != nil {
			return err
		}
	}
	return nil
}
