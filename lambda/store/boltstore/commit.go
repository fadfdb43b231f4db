package boltstore

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/caplab/caplab/lambda/store"
)

// A request's reads (Lookup: one read-only transaction) and writes
// (Commit: one call of the group committer).

// Lookup reads the records k names in one read-only transaction.
func (s *Store) Lookup(_ context.Context, k store.Keys) (r store.Records, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		r, err = lookup(tx, k)
		return err
	})
	return r, err
}

// find reads one record: nil when the key is empty or absent.
func find[T any](tx *bolt.Tx, bucket []byte, key string) (*T, error) {
	if key == "" {
		return nil, nil
	}
	v, err := get[T](tx, bucket, key)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, nil
	case err != nil:
		return nil, err
	}
	return &v, nil
}

func lookup(tx *bolt.Tx, k store.Keys) (r store.Records, err error) {
	if r.Code, err = find[store.Code](tx, bCodes, k.Code); err != nil {
		return r, err
	}
	if r.Token, err = find[store.Token](tx, bTokens, k.Token); err != nil {
		return r, err
	}
	if r.Grant, err = find[store.Grant](tx, bGrants, k.Grant); err != nil {
		return r, err
	}
	if r.Grant != nil && r.Grant.ScenarioID != k.OrgID {
		r.Grant = nil
	}
	r.Mark, err = find[store.Mark](tx, bMarks, k.Mark)
	return r, err
}

// Commit checks the write's conditions, then applies it, in one call of
// the group committer. New records are encoded before, so the shared
// transaction (which every concurrent write waits on) does little more
// than check and put. A write that may wait (store.Write.Behind: Login
// History rows, an access token's activity) is queued and not waited for.
func (s *Store) Commit(_ context.Context, w store.Write) error {
	enc, err := encode(w)
	if err != nil {
		return err
	}
	fn := func(tx *bolt.Tx) (error, error) {
		if outcome, err := check(tx, w); outcome != nil || err != nil {
			return outcome, err
		}
		return nil, apply(tx, w, enc)
	}
	if w.MayWait() {
		s.w.later(fn)
		return nil
	}
	return s.w.do(fn)
}

// encoded are a write's new records as stored.
type encoded struct {
	grant               []byte
	codes, tokens, rows [][]byte
}

func encode(w store.Write) (e encoded, err error) {
	if w.Grant != nil {
		if e.grant, err = json.Marshal(w.Grant); err != nil {
			return e, err
		}
	}
	for _, c := range w.Codes {
		b, err := json.Marshal(c)
		if err != nil {
			return e, err
		}
		e.codes = append(e.codes, b)
	}
	for _, t := range w.Tokens {
		b, err := json.Marshal(t)
		if err != nil {
			return e, err
		}
		e.tokens = append(e.tokens, b)
	}
	for _, l := range w.Logins {
		b, err := json.Marshal(l)
		if err != nil {
			return e, err
		}
		e.rows = append(e.rows, b)
	}
	return e, nil
}

// loginFill is how full the login rows' pages are filled: their keys only
// grow (time order), so a split leaves the old page full, not half empty,
// and a write touches fewer, shallower pages.
const loginFill = 0.95

// check applies Write's conditions, writing nothing.
func check(tx *bolt.Tx, w store.Write) (outcome, err error) {
	r, err := lookup(tx, store.Keys{OrgID: w.OrgID, Code: w.ClaimCode, Token: w.ClaimRefresh})
	if err != nil {
		return nil, err
	}
	if w.ClaimCode != "" {
		if err := store.CheckClaimCode(r.Code, w.Now); err != nil {
			return err, nil
		}
	}
	if w.ClaimRefresh != "" {
		if err := store.CheckClaimRefresh(r.Token, w.Now); err != nil {
			return err, nil
		}
	}
	if w.TouchRefresh != "" && tx.Bucket(bTokens).Get([]byte(w.TouchRefresh)) == nil {
		return store.ErrNotFound, nil
	}
	if g := w.Grant; g != nil {
		o, err := find[orgRecord](tx, bOrgs, w.OrgID)
		switch {
		case err != nil:
			return nil, err
		case o == nil || g.ScenarioID != w.OrgID:
			return store.ErrNotFound, nil
		case tx.Bucket(bGrants).Get([]byte(g.ID)) != nil:
			return store.ErrExists, nil
		case o.Grants >= o.Quota:
			return store.ErrQuota, nil
		}
	}
	for _, c := range w.Codes {
		old, err := find[store.Code](tx, bCodes, c.Hash)
		if err != nil {
			return nil, err
		}
		if old != nil && w.Now.Before(old.ExpiresAt) {
			return store.ErrExists, nil
		}
	}
	if w.UseGrant != "" && (w.Grant == nil || w.Grant.ID != w.UseGrant) {
		g, err := lookup(tx, store.Keys{OrgID: w.OrgID, Grant: w.UseGrant})
		if err != nil {
			return nil, err
		}
		if err := store.CheckUseGrant(g.Grant); err != nil {
			return err, nil
		}
	}
	for _, rv := range w.Revoke {
		g, err := lookup(tx, store.Keys{OrgID: w.OrgID, Grant: rv.GrantID})
		if err != nil {
			return nil, err
		}
		if g.Grant == nil || g.Grant.User != rv.User {
			return store.ErrNotFound, nil
		}
	}
	return nil, nil
}

// apply writes a checked write.
func apply(tx *bolt.Tx, w store.Write, enc encoded) error {
	if h := w.ClaimCode; h != "" {
		if err := update(tx, bCodes, h, func(c *store.Code) { c.UsedAt = w.Now }); err != nil {
			return err
		}
	}
	if h := w.ClaimRefresh; h != "" {
		if err := update(tx, bTokens, h, func(t *store.Token) { t.UsedAt, t.LastUsedAt = w.Now, w.Now }); err != nil {
			return err
		}
	}
	if h := w.TouchRefresh; h != "" {
		if err := update(tx, bTokens, h, func(t *store.Token) { t.LastUsedAt = w.Now }); err != nil {
			return err
		}
	}
	if g := w.Grant; g != nil {
		if err := update(tx, bOrgs, w.OrgID, func(o *orgRecord) { o.Grants++ }); err != nil {
			return err
		}
		if err := putGrant(tx, *g, enc.grant); err != nil {
			return err
		}
	}
	for i, c := range w.Codes {
		if err := tx.Bucket(bCodes).Put([]byte(c.Hash), enc.codes[i]); err != nil {
			return err
		}
	}
	for i, t := range w.Tokens {
		if err := tx.Bucket(bTokens).Put([]byte(t.Hash), enc.tokens[i]); err != nil {
			return err
		}
	}
	for _, m := range w.Marks {
		old, err := find[store.Mark](tx, bMarks, m.Key)
		if err != nil {
			return err
		}
		if err := put(tx, bMarks, m.Key, store.MergeMark(old, m)); err != nil {
			return err
		}
	}
	rows := tx.Bucket(bLogins)
	rows.FillPercent = loginFill
	for i, e := range w.Logins {
		if err := rows.Put([]byte(loginKey(e)), enc.rows[i]); err != nil {
			return err
		}
	}
	if w.UseGrant != "" {
		if err := countUse(tx, w.UseGrant, w.Now); err != nil {
			return err
		}
	}
	for _, rv := range w.Revoke {
		if err := revoke(tx, rv, w.Now); err != nil {
			return err
		}
	}
	return nil
}

// update rewrites one record in place.
func update[T any](tx *bolt.Tx, bucket []byte, key string, change func(*T)) error {
	v, err := get[T](tx, bucket, key)
	if err != nil {
		return err
	}
	change(&v)
	return put(tx, bucket, key, v)
}

// putGrant writes a new grant (rec, encoded) with its index entries (an
// approval for an active interactive grant, the org's list for an active
// one).
func putGrant(tx *bolt.Tx, g store.Grant, rec []byte) error {
	if g.Status != store.GrantRevoked {
		if g.Interactive {
			if err := tx.Bucket(bApprovals).Put(approvalKey(g), []byte(g.ID)); err != nil {
				return err
			}
		}
		if err := tx.Bucket(bOrgGrants).Put(orgGrantKey(g), []byte(g.ID)); err != nil {
			return err
		}
	}
	return tx.Bucket(bGrants).Put([]byte(g.ID), rec)
}

// revoke revokes a grant (keeping an earlier revocation) and drops its
// index entries.
func revoke(tx *bolt.Tx, rv store.Revocation, now time.Time) error {
	g, err := get[store.Grant](tx, bGrants, rv.GrantID)
	if err != nil {
		return err
	}
	if g.Status == store.GrantRevoked {
		return nil
	}
	if err := tx.Bucket(bApprovals).Delete(approvalKey(g)); err != nil {
		return err
	}
	if err := tx.Bucket(bOrgGrants).Delete(orgGrantKey(g)); err != nil {
		return err
	}
	return put(tx, bGrants, g.ID, store.Revoked(g, rv.Why, now))
}
