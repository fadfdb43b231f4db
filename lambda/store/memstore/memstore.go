// Package memstore is the in-memory store.Store: the reference twin of the
// embedded and DynamoDB stores, for tests and throw-away servers.
package memstore

import (
	"context"
	"slices"
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
	marks       map[string]store.Mark
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
		marks:       map[string]store.Mark{},
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

// Lookup reads under the lock: one consistent view.
func (s *Store) Lookup(_ context.Context, k store.Keys) (store.Records, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lookup(k), nil
}

// lookup is Lookup with the lock held.
func (s *Store) lookup(k store.Keys) store.Records {
	var r store.Records
	if c, ok := s.codes[k.Code]; ok && k.Code != "" {
		r.Code = &c
	}
	if t, ok := s.tokens[k.Token]; ok && k.Token != "" {
		t.Chain = slices.Clone(t.Chain)
		r.Token = &t
	}
	if g, ok := s.grants[k.Grant]; ok && k.Grant != "" && g.ScenarioID == k.OrgID {
		r.Grant = &g
	}
	if m, ok := s.marks[k.Mark]; ok && k.Mark != "" {
		r.Mark = &m
	}
	return r
}

// Commit checks every condition, then applies the write, under the lock.
func (s *Store) Commit(_ context.Context, w store.Write) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(w); err != nil {
		return err
	}
	s.apply(w)
	return nil
}

// check applies Write's conditions; the caller holds the lock.
func (s *Store) check(w store.Write) error {
	if w.ClaimCode != "" {
		if err := store.CheckClaimCode(s.lookup(store.Keys{Code: w.ClaimCode}).Code, w.Now); err != nil {
			return err
		}
	}
	if w.ClaimRefresh != "" {
		if err := store.CheckClaimRefresh(s.lookup(store.Keys{Token: w.ClaimRefresh}).Token, w.Now); err != nil {
			return err
		}
	}
	if _, ok := s.tokens[w.TouchRefresh]; w.TouchRefresh != "" && !ok {
		return store.ErrNotFound
	}
	if g := w.Grant; g != nil {
		share, ok := s.orgs[w.OrgID]
		switch _, taken := s.grants[g.ID]; {
		case !ok || g.ScenarioID != w.OrgID:
			return store.ErrNotFound
		case taken:
			return store.ErrExists
		case s.grantCounts[w.OrgID] >= s.scenarios[share].GrantQuota():
			return store.ErrQuota
		}
	}
	for _, c := range w.Codes {
		if old, ok := s.codes[c.Hash]; ok && w.Now.Before(old.ExpiresAt) {
			return store.ErrExists
		}
	}
	if w.UseGrant != "" && (w.Grant == nil || w.Grant.ID != w.UseGrant) {
		if err := store.CheckUseGrant(s.lookup(store.Keys{OrgID: w.OrgID, Grant: w.UseGrant}).Grant); err != nil {
			return err
		}
	}
	for _, rv := range w.Revoke {
		if g, ok := s.grants[rv.GrantID]; !ok || g.ScenarioID != w.OrgID || g.User != rv.User {
			return store.ErrNotFound
		}
	}
	return nil
}

// apply applies a checked write; the caller holds the lock.
func (s *Store) apply(w store.Write) {
	if h := w.ClaimCode; h != "" {
		c := s.codes[h]
		c.UsedAt = w.Now
		s.codes[h] = c
	}
	if h := w.ClaimRefresh; h != "" {
		t := s.tokens[h]
		t.UsedAt, t.LastUsedAt = w.Now, w.Now
		s.tokens[h] = t
	}
	if h := w.TouchRefresh; h != "" {
		t := s.tokens[h]
		t.LastUsedAt = w.Now
		s.tokens[h] = t
	}
	if g := w.Grant; g != nil {
		s.grantCounts[w.OrgID]++
		s.grants[g.ID] = *g
		if g.Interactive && g.Status != store.GrantRevoked {
			k := userKey{g.ScenarioID, g.User}
			s.approvals[k] = append(s.approvals[k], g.ID)
		}
	}
	for _, c := range w.Codes {
		s.codes[c.Hash] = c
	}
	for _, t := range w.Tokens {
		t.Chain = slices.Clone(t.Chain)
		s.tokens[t.Hash] = t
	}
	for _, m := range w.Marks {
		var old *store.Mark
		if o, ok := s.marks[m.Key]; ok {
			old = &o
		}
		s.marks[m.Key] = store.MergeMark(old, m)
	}
	if id := w.UseGrant; id != "" {
		u := s.uses[id]
		u.n++
		u.last = w.Now
		s.uses[id] = u
	}
	for _, rv := range w.Revoke {
		g := store.Revoked(s.grants[rv.GrantID], rv.Why, w.Now)
		s.grants[rv.GrantID] = g
		s.unindex(g)
	}
	if len(w.Logins) > 0 {
		// Trimmed to the newest when twice the listing's size: the cost of
		// the sort spread over as many writes.
		es := append(s.logins[w.OrgID], w.Logins...)
		if len(es) > 2*store.MaxLoginHistoryPerOrg {
			store.NewestFirst(es)
			es = slices.Clone(es[:store.MaxLoginHistoryPerOrg])
		}
		s.logins[w.OrgID] = es
	}
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

func (s *Store) ListApprovals(_ context.Context, orgID, user string) ([]store.Grant, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := s.approvals[userKey{orgID, user}]
	out := make([]store.Grant, 0, len(ids))
	for _, id := range ids {
		out = append(out, s.grants[id])
	}
	// Ties in time keep the index's order, the order of approval (a fixed
	// test clock makes them common; the sixth approval revokes the first).
	slices.SortStableFunc(out, func(a, b store.Grant) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out, nil
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
// and marks expired longer than store.UsedRowGrace, stale login counters
// and login attempts past store.LoginHistoryKeep.
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
	for k, m := range s.marks {
		if _, live := s.orgs[m.OrgID]; !live || store.CodeExpired(m.ExpiresAt, now) {
			delete(s.marks, k)
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
	slices.SortFunc(out, func(a, b store.GrantUse) int { return store.OldestFirst(a.Grant, b.Grant) })
	return out, nil
}

func (s *Store) ListLoginHistory(_ context.Context, orgID string) ([]store.LoginEvent, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Clone(s.logins[orgID])
	store.NewestFirst(out)
	return out[:min(len(out), store.MaxLoginHistoryPerOrg)], nil
}

func (s *Store) Close() error { return nil }
