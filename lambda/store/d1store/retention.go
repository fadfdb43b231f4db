package d1store

import (
	"context"
	"time"

	"github.com/caplab/caplab/lambda/store"
)

// Prune deletes what retention no longer keeps, in one batch (one
// transaction): idle shares, grants past retention or of a deleted live
// org with their refresh tokens, codes, tokens, marks and relay flows
// expired longer than store.UsedRowGrace, stale failed-login counters,
// and login attempts past store.LoginHistoryKeep or beyond their org's
// newest store.MaxLoginHistoryPerOrg. The Worker runs it from its daily
// cron trigger; every statement is an indexed range or a scan of one
// table, and D1 has no TTL of its own.
func (s *Store) Prune(ctx context.Context, now time.Time, r store.Retention) (int, error) {
	grace := timeCol(now.Add(-store.UsedRowGrace))
	var stmts []Stmt
	if r.ShareIdle > 0 {
		stmts = append(stmts, stmt("DELETE FROM scenarios WHERE last_use < ?", timeCol(now.Add(-r.ShareIdle))))
	}
	if r.Grant > 0 {
		stmts = append(stmts, stmt("DELETE FROM grants WHERE created < ?", timeCol(now.Add(-r.Grant))))
	}
	const orgGone = "org_id NOT IN (SELECT org_id FROM scenarios)"
	stmts = append(stmts,
		stmt("DELETE FROM grants WHERE "+orgGone),
		stmt("DELETE FROM tokens WHERE grant_id NOT IN (SELECT id FROM grants) OR (expires <> '' AND expires < ?)", grace),
		stmt("DELETE FROM codes WHERE expires < ?", grace),
		stmt("DELETE FROM marks WHERE "+orgGone+" OR expires < ?", grace),
		stmt("DELETE FROM logins WHERE "+orgGone+" OR at < ?", timeCol(now.Add(-store.LoginHistoryKeep))),
		stmt(`DELETE FROM logins WHERE rowid IN (SELECT rowid FROM (SELECT rowid,
			row_number() OVER (PARTITION BY org_id ORDER BY sort_key DESC) AS n FROM logins) WHERE n > ?)`, store.MaxLoginHistoryPerOrg),
		stmt("DELETE FROM lockouts WHERE "+orgGone+" OR (locked_until <= ?1 AND updated < ?2)", timeCol(now), timeCol(now.Add(-store.LockoutMemory))),
		stmt("DELETE FROM relay_flows WHERE expires < ?", grace),
	)
	rs, err := s.db.Batch(ctx, stmts...)
	if err != nil {
		return 0, failure(err)
	}
	n := 0
	for _, res := range rs {
		n += int(res.Changes)
	}
	return n, nil
}
