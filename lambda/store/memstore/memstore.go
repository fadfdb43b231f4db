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
	mu        sync.Mutex
	scenarios map[string]store.Scenario
	codes     map[string]store.Code
	grants    map[string]store.Grant
	byScen    map[string][]string // scenario id → interactive grant ids
	tokens    map[string]store.Token
}

// New returns an empty store.
func New() *Store {
	return &Store{
		scenarios: map[string]store.Scenario{},
		codes:     map[string]store.Code{},
		grants:    map[string]store.Grant{},
		byScen:    map[string][]string{},
		tokens:    map[string]store.Token{},
	}
}

var _ store.Store = (*Store)(nil)

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
	if _, ok := s.scenarios[sc.ID]; !ok {
		sc.Document = slices.Clone(sc.Document)
		s.scenarios[sc.ID] = sc
	}
	return nil
}

func (s *Store) GetScenario(_ context.Context, id string) (store.Scenario, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sc, err := lookup(s.scenarios, id)
	sc.Document = slices.Clone(sc.Document)
	return sc, err
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
	if _, ok := s.grants[g.ID]; !ok && g.Interactive {
		s.byScen[g.ScenarioID] = append(s.byScen[g.ScenarioID], g.ID)
	}
	s.grants[g.ID] = g
	return nil
}

func (s *Store) GetGrant(_ context.Context, id string) (store.Grant, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return lookup(s.grants, id)
}

func (s *Store) ListApprovals(_ context.Context, scenarioID string) ([]store.Grant, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]store.Grant, 0, len(s.byScen[scenarioID]))
	for _, id := range s.byScen[scenarioID] {
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
	}
	return nil
}

func (s *Store) PutToken(_ context.Context, t store.Token) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[t.Hash] = t
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

func (s *Store) Close() error { return nil }
