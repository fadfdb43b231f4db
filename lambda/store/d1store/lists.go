package d1store

import (
	"context"

	"github.com/caplab/caplab/lambda/store"
)

// ListApprovals reads one user's active interactive grants by the
// grants_approvals index, oldest first (ties in write order).
func (s *Store) ListApprovals(ctx context.Context, orgID, user string) ([]store.Grant, error) {
	r, err := one(ctx, s.db, "SELECT "+grantCols+` FROM grants
		WHERE org_id = ? AND user = ? AND status = ? AND interactive = 1 ORDER BY created, rowid`, orgID, user, store.GrantActive)
	if err != nil {
		return nil, failure(err)
	}
	out := make([]store.Grant, 0, len(r.Rows))
	for _, row := range r.Rows {
		g, err := grantOf(row)
		if err != nil {
			return nil, err
		}
		out = append(out, *g)
	}
	return out, nil
}

// ListGrants reads a live org's active grants with their use, oldest
// first; there are at most its quota.
func (s *Store) ListGrants(ctx context.Context, orgID string) ([]store.GrantUse, error) {
	r, err := one(ctx, s.db, "SELECT "+grantCols+`, uses, last_use FROM grants
		WHERE org_id = ? AND status <> ? ORDER BY created, id LIMIT ?`, orgID, store.GrantRevoked, store.MaxGrantsPerOrg)
	if err != nil {
		return nil, failure(err)
	}
	var out []store.GrantUse
	for _, row := range r.Rows {
		g, err := grantOf(row)
		if err != nil {
			return nil, err
		}
		out = append(out, store.GrantUse{Grant: *g, Uses: int(row.int("uses")), LastUsedAt: colTime(row.str("last_use"))})
	}
	return out, nil
}

// ListLoginHistory reads a live org's newest attempts by primary key
// order (store.LoginSortKey: time, then id).
func (s *Store) ListLoginHistory(ctx context.Context, orgID string) ([]store.LoginEvent, error) {
	r, err := one(ctx, s.db, "SELECT doc FROM logins WHERE org_id = ? ORDER BY sort_key DESC LIMIT ?", orgID, store.MaxLoginHistoryPerOrg)
	if err != nil {
		return nil, failure(err)
	}
	out := make([]store.LoginEvent, 0, len(r.Rows))
	for _, row := range r.Rows {
		e, err := decode[store.LoginEvent](row)
		if err != nil {
			return nil, err
		}
		out = append(out, *e)
	}
	return out, nil
}
