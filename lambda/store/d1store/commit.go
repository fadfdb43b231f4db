package d1store

import (
	"context"
	"encoding/json"

	"github.com/caplab/caplab/lambda/store"
)

// Commit applies w as one D1 batch: first a guard per condition (in the
// order memstore checks them, so the same failure wins), then the writes.
// A failing guard aborts the batch, so nothing of w is applied.
func (s *Store) Commit(ctx context.Context, w store.Write) error {
	if w.Empty() {
		return nil
	}
	if w.Grant != nil && w.Grant.ScenarioID != w.OrgID {
		return store.ErrNotFound
	}
	guards, writes, err := commitStatements(w)
	if err != nil {
		return err
	}
	_, err = s.db.Batch(ctx, append(guards, writes...)...)
	return failure(err)
}

// commitStatements are w's guards and writes.
func commitStatements(w store.Write) (guards, writes []Stmt, err error) {
	now := timeCol(w.Now)
	if h := w.ClaimCode; h != "" {
		guards = append(guards, guard(`CASE WHEN c.hash IS NULL THEN 1 WHEN c.used_at <> '' THEN 2 WHEN c.expires <= ?2 THEN 3 ELSE 0 END`,
			"LEFT JOIN codes c ON c.hash = ?1", h, now))
		writes = append(writes, stmt("UPDATE codes SET used_at = ?2 WHERE hash = ?1", h, now))
	}
	if h := w.ClaimRefresh; h != "" {
		guards = append(guards, guard(`CASE WHEN t.hash IS NULL THEN 1 WHEN t.used_at <> '' THEN 2 WHEN t.revoked <> 0 THEN 4
			WHEN t.expires <> '' AND t.expires <= ?2 THEN 3 ELSE 0 END`, "LEFT JOIN tokens t ON t.hash = ?1", h, now))
		writes = append(writes, stmt("UPDATE tokens SET used_at = ?2, last_used = ?2 WHERE hash = ?1", h, now))
	}
	if h := w.TouchRefresh; h != "" {
		guards = append(guards, guard("CASE WHEN t.hash IS NULL THEN 1 ELSE 0 END", "LEFT JOIN tokens t ON t.hash = ?1", h))
		writes = append(writes, stmt("UPDATE tokens SET last_used = ?2 WHERE hash = ?1", h, now))
	}
	if g := w.Grant; g != nil {
		guards = append(guards, guard(`CASE WHEN s.org_id IS NULL THEN 1 WHEN EXISTS (SELECT 1 FROM grants WHERE id = ?2) THEN 5
			WHEN s.grant_count >= s.grant_quota THEN 6 ELSE 0 END`, "LEFT JOIN scenarios s ON s.org_id = ?1", w.OrgID, g.ID))
		doc, err := json.Marshal(g)
		if err != nil {
			return nil, nil, err
		}
		uses, lastUse := 0, ""
		if w.UseGrant == g.ID {
			uses, lastUse = 1, now
		}
		writes = append(writes,
			stmt(`INSERT INTO grants (id, org_id, user, interactive, status, created, revoked_why, revoked_at, uses, last_use, doc)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, g.ID, g.ScenarioID, g.User, boolCol(g.Interactive), g.Status,
				timeCol(g.CreatedAt), g.RevokedWhy, timeCol(g.RevokedAt), uses, lastUse, string(doc)),
			stmt("UPDATE scenarios SET grant_count = grant_count + 1 WHERE org_id = ?", w.OrgID))
	}
	for _, c := range w.Codes {
		guards = append(guards, guard("CASE WHEN EXISTS (SELECT 1 FROM codes WHERE hash = ?1 AND expires > ?2) THEN 5 ELSE 0 END", "", c.Hash, now))
		doc, err := json.Marshal(c)
		if err != nil {
			return nil, nil, err
		}
		writes = append(writes, stmt("INSERT OR REPLACE INTO codes (hash, org_id, expires, used_at, doc) VALUES (?, ?, ?, ?, ?)",
			c.Hash, c.ScenarioID, timeCol(c.ExpiresAt), timeCol(c.UsedAt), string(doc)))
	}
	if id := w.UseGrant; id != "" && (w.Grant == nil || w.Grant.ID != id) {
		guards = append(guards, guard("CASE WHEN g.id IS NULL THEN 1 WHEN g.status = 'revoked' THEN 4 ELSE 0 END",
			"LEFT JOIN grants g ON g.id = ?1 AND g.org_id = ?2", id, w.OrgID))
		writes = append(writes, stmt("UPDATE grants SET uses = uses + 1, last_use = ?2 WHERE id = ?1", id, now))
	}
	for _, rv := range w.Revoke {
		guards = append(guards, guard("CASE WHEN EXISTS (SELECT 1 FROM grants WHERE id = ?1 AND org_id = ?2 AND user = ?3) THEN 0 ELSE 1 END", "",
			rv.GrantID, w.OrgID, rv.User))
		writes = append(writes, stmt("UPDATE grants SET status = ?2, revoked_why = ?3, revoked_at = ?4 WHERE id = ?1 AND status <> ?2",
			rv.GrantID, store.GrantRevoked, rv.Why, now))
	}
	for _, t := range w.Tokens {
		doc, err := json.Marshal(t)
		if err != nil {
			return nil, nil, err
		}
		writes = append(writes, stmt(`INSERT OR REPLACE INTO tokens (hash, org_id, grant_id, expires, used_at, last_used, revoked, doc)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, t.Hash, t.ScenarioID, t.GrantID, timeCol(t.ExpiresAt), timeCol(t.UsedAt),
			timeCol(t.LastUsedAt), boolCol(t.Revoked), string(doc)))
	}
	for _, m := range w.Marks {
		// store.MergeMark in SQL: revocation sticks, times only move on.
		writes = append(writes, stmt(`INSERT INTO marks (key, org_id, revoked, last_used, expires) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (key) DO UPDATE SET revoked = max(revoked, excluded.revoked),
				last_used = max(last_used, excluded.last_used), expires = max(expires, excluded.expires)`,
			m.Key, m.OrgID, boolCol(m.Revoked), timeCol(m.LastUsedAt), timeCol(m.ExpiresAt)))
	}
	for _, e := range w.Logins {
		doc, err := json.Marshal(e)
		if err != nil {
			return nil, nil, err
		}
		writes = append(writes, stmt("INSERT OR REPLACE INTO logins (org_id, sort_key, at, doc) VALUES (?, ?, ?, ?)",
			w.OrgID, store.LoginSortKey(e), timeCol(e.At), string(doc)))
	}
	return guards, writes, nil
}
