package d1store

import (
	"context"

	"github.com/caplab/caplab/lambda/store"
)

// The columns of each record that change after it is written, laid over
// its JSON doc when read.
const (
	codeCols  = "doc, used_at"
	tokenCols = "doc, used_at, last_used, revoked"
	grantCols = "doc, status, revoked_why, revoked_at"
	markCols  = "key, org_id, revoked, last_used, expires"
)

func codeOf(row Row) (*store.Code, error) {
	c, err := decode[store.Code](row)
	if err == nil {
		c.UsedAt = colTime(row.str("used_at"))
	}
	return c, err
}

func tokenOf(row Row) (*store.Token, error) {
	t, err := decode[store.Token](row)
	if err == nil {
		t.UsedAt, t.LastUsedAt, t.Revoked = colTime(row.str("used_at")), colTime(row.str("last_used")), row.int("revoked") != 0
	}
	return t, err
}

func grantOf(row Row) (*store.Grant, error) {
	g, err := decode[store.Grant](row)
	if err == nil {
		g.Status, g.RevokedWhy, g.RevokedAt = row.str("status"), row.str("revoked_why"), colTime(row.str("revoked_at"))
	}
	return g, err
}

func markOf(row Row) *store.Mark {
	return &store.Mark{Key: row.str("key"), OrgID: row.str("org_id"), Revoked: row.int("revoked") != 0,
		LastUsedAt: colTime(row.str("last_used")), ExpiresAt: colTime(row.str("expires"))}
}

// Lookup reads every record k names in one batch: one round trip, one
// consistent view.
func (s *Store) Lookup(ctx context.Context, k store.Keys) (store.Records, error) {
	var (
		stmts []Stmt
		reads []func(Row) error
		r     store.Records
	)
	add := func(st Stmt, read func(Row) error) {
		stmts = append(stmts, st)
		reads = append(reads, read)
	}
	if k.Code != "" {
		add(stmt("SELECT "+codeCols+" FROM codes WHERE hash = ?", k.Code), func(row Row) (err error) { r.Code, err = codeOf(row); return })
	}
	if k.Token != "" {
		add(stmt("SELECT "+tokenCols+" FROM tokens WHERE hash = ?", k.Token), func(row Row) (err error) { r.Token, err = tokenOf(row); return })
	}
	if k.Grant != "" {
		add(stmt("SELECT "+grantCols+" FROM grants WHERE id = ? AND org_id = ?", k.Grant, k.OrgID), func(row Row) (err error) { r.Grant, err = grantOf(row); return })
	}
	if k.Mark != "" {
		add(stmt("SELECT "+markCols+" FROM marks WHERE key = ?", k.Mark), func(row Row) error { r.Mark = markOf(row); return nil })
	}
	if len(stmts) == 0 {
		return r, nil
	}
	rs, err := s.db.Batch(ctx, stmts...)
	if err != nil {
		return r, failure(err)
	}
	for i, res := range rs {
		if len(res.Rows) > 0 {
			if err := reads[i](res.Rows[0]); err != nil {
				return store.Records{}, err
			}
		}
	}
	return r, nil
}
