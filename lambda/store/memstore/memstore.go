// Package memstore is the in-memory store.Store: the reference twin of the
// embedded and DynamoDB stores, for tests and throw-away servers.
package memstore

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/caplab/caplab/lambda/store"
)

// Store keeps everything in maps behind one mutex.
type Store struct {
	mu          sync.Mutex
	scenarios   map[string]store.Scenario // by share id
	orgs        map[string]string         // live org id → share id
	grantCounts map[string]int            // live org id → grants ever put
	codes       map[string]store.Code
	grants      map[string]store.Grant
	approvals   map[userKey][]string // a user's active interactive grant ids
	tokens      map[string]store.Token
	lockouts    map[userKey]store.Lockout
	uses        map[string]grantUse           // grant id → use
	logins      map[string][]store.LoginEvent // live org id → attempts, oldest first
}

// grantUse counts the access tokens issued from a grant.
type grantUse struct {
	n    int
	last time.Time
}

// userKey is one user of one live org.
type userKey struct{ org, user string }

// New returns an empty store.
func New() *Store {
	return &Store{
		scenarios:   map[string]store.Scenario{},
		orgs:        map[string]string{},
		grantCounts: map[string]int{},
		codes:       map[string]store.Code{},
		grants:      map[string]store.Grant{},
		approvals:   map[userKey][]string{},
		tokens:      map[string]store.Token{},
		lockouts:    map[userKey]store.Lockout{},
		uses:        map[string]grantUse{},
		logins:      map[string][]store.LoginEvent{},
	}
}

var (
	_ store.Store  = (*Store)(nil)
	_ store.Pruner = (*Store)(nil)
)

// lookup reads m[key]: store.ErrNotFound (and the zero value) when absent.
func lookup[V any](m map[string]V, key string) (V, error) {
	v, ok := m[key]
	if !ok {
		return v, store.ErrNotFound
	}
	return v, nil
}

func (s *Store) PutScenario(_ context.Context, sc store.Scenario) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, idTaken := s.scenarios[sc.ID]
	_, orgTaken := s.orgs[sc.OrgID]
	if idTaken || orgTaken {
		return store.ErrExists
	}
	sc.Document = slices.Clone(sc.Document)
	s.scenarios[sc.ID] = sc
	s.orgs[sc.OrgID] = sc.ID
	return nil
}

func (s *Store) GetScenario(_ context.Context, id string) (store.Scenario, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sc, err := lookup(s.scenarios, id)
	sc.Document = slices.Clone(sc.Document)
	return sc, err
}

func (s *Store) GetLiveOrg(ctx context.Context, orgID string) (store.Scenario, error) {
	s.mu.Lock()
	id, ok := s.orgs[orgID]
	s.mu.Unlock()
	if !ok {
		return store.Scenario{}, store.ErrNotFound
	}
	return s.GetScenario(ctx, id)
}

func (s *Store) TouchScenario(_ context.Context, share store.Scenario, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	sc, err := lookup(s.scenarios, share.ID)
	if err != nil {
		return err
	}
	sc.LastUsedAt = now
	s.scenarios[share.ID] = sc
	return nil
}

func (s *Store) PutCode(_ context.Context, c store.Code) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.codes[c.Hash] = c
	return nil
}

func (s *Store) GetCode(_ context.Context, hash string, now time.Time) (store.Code, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := lookup(s.codes, hash)
	if err != nil {
		return c, err
	}
	return c, store.CheckCode(c, now)
}

func (s *Store) ClaimCode(_ context.Context, hash string, now time.Time) (store.Code, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := lookup(s.codes, hash)
	switch {
	case err != nil:
		return c, err
	case !c.UsedAt.IsZero():
		return c, store.ErrAlreadyUsed
	}
	if err := store.CheckCode(c, now); err != nil {
		return c, err
	}
	c.UsedAt = now
	s.codes[hash] = c
	return c, nil
}

func (s *Store) PutGrant(_ context.Context, g store.Grant) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, exists := s.grants[g.ID]
	if share, ok := s.orgs[g.ScenarioID]; ok && !exists {
		if s.grantCounts[g.ScenarioID] >= s.scenarios[share].GrantQuota() {
			return store.ErrQuota
		}
		s.grantCounts[g.ScenarioID]++
	}
	if exists && old.Status == store.GrantRevoked {
		// A revocation is sticky: a stale rewrite must not undo it.
		g.Status, g.RevokedWhy, g.RevokedAt = old.Status, old.RevokedWhy, old.RevokedAt
	}
	s.grants[g.ID] = g
	s.unindex(old)
	if g.Interactive && g.Status != store.GrantRevoked {
		k := userKey{g.ScenarioID, g.User}
		s.approvals[k] = append(s.approvals[k], g.ID)
	}
	return nil
}

// unindex drops a grant from its user's approvals; the caller holds the lock.
func (s *Store) unindex(g store.Grant) {
	k := userKey{g.ScenarioID, g.User}
	ids := slices.DeleteFunc(s.approvals[k], func(id string) bool { return id == g.ID })
	if len(ids) == 0 {
		delete(s.approvals, k)
	} else {
		s.approvals[k] = ids
	}
}

func (s *Store) GetGrant(_ context.Context, id string) (store.Grant, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return lookup(s.grants, id)
}

func (s *Store) ListApprovals(_ context.Context, orgID, user string) ([]store.Grant, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := s.approvals[userKey{orgID, user}]
	out := make([]store.Grant, 0, len(ids))
	for _, id := range ids {
		out = append(out, s.grants[id])
	}
	slices.SortStableFunc(out, func(a, b store.Grant) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out, nil
}

func (s *Store) RevokeGrant(_ context.Context, id, why string, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, err := lookup(s.grants, id)
	if err != nil {
		return err
	}
	if g.Status != store.GrantRevoked {
		g.Status, g.RevokedWhy, g.RevokedAt = store.GrantRevoked, why, now
		s.grants[id] = g
		s.unindex(g)
	}
	return nil
}

func (s *Store) PutToken(_ context.Context, t store.Token) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[t.Hash] = t
	if t.Kind == store.KindAccess {
		u := s.uses[t.GrantID]
		u.n++
		u.last = t.IssuedAt
		s.uses[t.GrantID] = u
	}
	return nil
}

// getToken reads a token with the read rules; the caller holds the lock.
func (s *Store) getToken(hash string, now time.Time) (store.Token, error) {
	t, err := lookup(s.tokens, hash)
	if err != nil {
		return t, err
	}
	var gp *store.Grant
	if g, ok := s.grants[t.GrantID]; ok {
		gp = &g
	}
	return t, store.CheckToken(t, gp, now)
}

func (s *Store) GetToken(_ context.Context, hash string, now time.Time) (store.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.getToken(hash, now)
}

func (s *Store) ClaimRefresh(_ context.Context, hash string, now time.Time) (store.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.getToken(hash, now)
	if err != nil {
		return t, err
	}
	if !t.UsedAt.IsZero() {
		return t, store.ErrAlreadyUsed
	}
	t.UsedAt, t.LastUsedAt = now, now
	s.tokens[hash] = t
	return t, nil
}

func (s *Store) TouchToken(_ context.Context, hash string, now, expiresAt time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := lookup(s.tokens, hash)
	if err != nil {
		return err
	}
	t.LastUsedAt = now
	if !expiresAt.IsZero() {
		t.ExpiresAt = expiresAt
	}
	s.tokens[hash] = t
	return nil
}

func (s *Store) RevokeToken(_ context.Context, hash string, _ time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := lookup(s.tokens, hash)
	if err != nil {
		return err
	}
	t.Revoked = true
	s.tokens[hash] = t
	return nil
}

func (s *Store) GetLockout(_ context.Context, orgID, user string) (store.Lockout, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.lockouts[userKey{orgID, user}]
	if !ok {
		return l, store.ErrNotFound
	}
	return l, nil
}

func (s *Store) AddLoginFailure(_ context.Context, orgID, user string, now time.Time, max int, lockFor time.Duration) (store.Lockout, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := userKey{orgID, user}
	l := s.lockouts[k]
	l.OrgID, l.User = orgID, user
	l = store.NextLockout(l, now, max, lockFor)
	s.lockouts[k] = l
	return l, nil
}

func (s *Store) ClearLoginFailures(_ context.Context, orgID, user string, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := userKey{orgID, user}
	if l, ok := s.lockouts[k]; ok {
		l.Failures, l.UpdatedAt = 0, now
		s.lockouts[k] = l
	}
	return nil
}

// Prune deletes what retention no longer keeps: idle shares with their
// live orgs, grants past retention with their tokens, codes and tokens
// expired longer than store.UsedRowGrace, stale login counters and login
// attempts past store.LoginHistoryKeep.
func (s *Store) Prune(_ context.Context, now time.Time, r store.Retention) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for id, sc := range s.scenarios {
		if r.ShareExpired(sc, now) {
			delete(s.scenarios, id)
			delete(s.orgs, sc.OrgID)
			delete(s.grantCounts, sc.OrgID)
			n++
		}
	}
	for id, g := range s.grants {
		if _, live := s.orgs[g.ScenarioID]; !live || r.GrantExpired(g, now) {
			delete(s.grants, id)
			s.unindex(g)
			n++
		}
	}
	for h, t := range s.tokens {
		if _, ok := s.grants[t.GrantID]; !ok || store.CodeExpired(t.ExpiresAt, now) {
			delete(s.tokens, h)
			n++
		}
	}
	for h, c := range s.codes {
		if store.CodeExpired(c.ExpiresAt, now) {
			delete(s.codes, h)
			n++
		}
	}
	for id := range s.uses {
		if _, ok := s.grants[id]; !ok {
			delete(s.uses, id)
		}
	}
	for org, es := range s.logins {
		_, live := s.orgs[org]
		kept := slices.DeleteFunc(es, func(e store.LoginEvent) bool { return !live || store.LoginEventExpired(e, now) })
		n += len(es) - len(kept)
		if len(kept) == 0 {
			delete(s.logins, org)
		} else {
			s.logins[org] = kept
		}
	}
	for k, l := range s.lockouts {
		if _, live := s.orgs[k.org]; !live || (!l.Locked(now) && now.Sub(l.UpdatedAt) > store.LockoutMemory) {
			delete(s.lockouts, k)
			n++
		}
	}
	return n, nil
}

func (s *Store) ListGrants(_ context.Context, orgID string) ([]store.GrantUse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []store.GrantUse
	for _, g := range s.grants {
		if g.ScenarioID == orgID && g.Status != store.GrantRevoked {
			u := s.uses[g.ID]
			out = append(out, store.GrantUse{Grant: g, Uses: u.n, LastUsedAt: u.last})
		}
	}
	slices.SortFunc(out, func(a, b store.GrantUse) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

func (s *Store) AddLoginHistory(_ context.Context, e store.LoginEvent) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.orgs[e.OrgID]; !ok {
		return store.ErrNotFound
	}
	es := append(s.logins[e.OrgID], e)
	if over := len(es) - store.MaxLoginHistoryPerOrg; over > 0 {
		es = slices.Delete(es, 0, over)
	}
	s.logins[e.OrgID] = es
	return nil
}

func (s *Store) ListLoginHistory(_ context.Context, orgID string) ([]store.LoginEvent, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Clone(s.logins[orgID])
	slices.Reverse(out)
	slices.SortStableFunc(out, func(a, b store.LoginEvent) int { return b.At.Compare(a.At) })
	return out, nil
}

func (s *Store) Close() error { return nil }
