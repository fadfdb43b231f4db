package d1store

import (
	"context"
	"errors"
	"time"

	"github.com/caplab/caplab/lambda/store"
)

// maxLockoutAttempts bounds AddLoginFailure's optimistic retries: each
// retry means another failed login of the same user changed the record in
// between, and a burst of more than this many at once is a script that
// the login rate limit already slows.
const maxLockoutAttempts = 20

// errLockoutContended: AddLoginFailure lost every retry.
var errLockoutContended = errors.New("d1store: lockout record contended; try again")

func lockoutOf(row Row, orgID, user string) store.Lockout {
	return store.Lockout{OrgID: orgID, User: user, Failures: int(row.int("failures")),
		LockedUntil: colTime(row.str("locked_until")), UpdatedAt: colTime(row.str("updated"))}
}

func (s *Store) GetLockout(ctx context.Context, orgID, user string) (store.Lockout, error) {
	l, _, err := s.lockout(ctx, orgID, user)
	return l, err
}

// lockout reads a lockout and its version.
func (s *Store) lockout(ctx context.Context, orgID, user string) (store.Lockout, int64, error) {
	r, err := one(ctx, s.db, "SELECT failures, locked_until, updated, version FROM lockouts WHERE org_id = ? AND user = ?", orgID, user)
	if err != nil {
		return store.Lockout{}, 0, failure(err)
	}
	if len(r.Rows) == 0 {
		return store.Lockout{}, 0, store.ErrNotFound
	}
	return lockoutOf(r.Rows[0], orgID, user), r.Rows[0].int("version"), nil
}

// AddLoginFailure applies store.NextLockout with an optimistic write: the
// update holds only if the record's version is still the one read (or,
// for a first failure, if no record appeared meanwhile); else it reads
// again. The rule itself stays in Go, shared with the other stores.
func (s *Store) AddLoginFailure(ctx context.Context, orgID, user string, now time.Time, max int, lockFor time.Duration) (store.Lockout, error) {
	for range maxLockoutAttempts {
		l, version, err := s.lockout(ctx, orgID, user)
		found := err == nil
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return l, err
		}
		l.OrgID, l.User = orgID, user
		l = store.NextLockout(l, now, max, lockFor)
		var r Result
		if found {
			r, err = one(ctx, s.db, `UPDATE lockouts SET failures = ?, locked_until = ?, updated = ?, version = version + 1
				WHERE org_id = ? AND user = ? AND version = ?`, l.Failures, timeCol(l.LockedUntil), timeCol(l.UpdatedAt), orgID, user, version)
		} else {
			r, err = one(ctx, s.db, `INSERT INTO lockouts (org_id, user, failures, locked_until, updated) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (org_id, user) DO NOTHING`, orgID, user, l.Failures, timeCol(l.LockedUntil), timeCol(l.UpdatedAt))
		}
		if err != nil {
			return l, failure(err)
		}
		if r.Changes == 1 {
			return l, nil
		}
	}
	return store.Lockout{}, errLockoutContended
}

func (s *Store) ClearLoginFailures(ctx context.Context, orgID, user string, now time.Time) error {
	_, err := one(ctx, s.db, "UPDATE lockouts SET failures = 0, updated = ?, version = version + 1 WHERE org_id = ? AND user = ?",
		timeCol(now), orgID, user)
	return failure(err)
}
