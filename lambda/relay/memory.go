package relay

import (
	"context"
	"slices"
	"sync"
	"time"
)

// MemoryStore is the in-memory Store: the twin the tests use, and enough
// for a single process.
type MemoryStore struct {
	mu      sync.Mutex
	tenants map[string]Tenant
	flows   map[string]Flow
	swept   time.Time
}

var _ Store = (*MemoryStore)(nil)

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{tenants: map[string]Tenant{}, flows: map[string]Flow{}}
}

// flowRetention is how long a flow is kept past its expiry, so a late
// replay still reads as used or expired rather than unknown.
const flowRetention = 30 * time.Minute

func cloneTenant(t Tenant) Tenant {
	t.Destinations = slices.Clone(t.Destinations)
	return t
}

func (s *MemoryStore) PutTenant(_ context.Context, t Tenant) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tenants[t.ID] = cloneTenant(t)
	return nil
}

func (s *MemoryStore) GetTenant(_ context.Context, id string) (Tenant, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tenants[id]
	if !ok {
		return Tenant{}, ErrNotFound
	}
	return cloneTenant(t), nil
}

func (s *MemoryStore) DeleteTenant(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.tenants[id]; !ok {
		return ErrNotFound
	}
	delete(s.tenants, id)
	return nil
}

func (s *MemoryStore) CreateFlow(_ context.Context, f Flow) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.flows[f.ID]; ok {
		return ErrExists
	}
	s.sweep(f.CreatedAt)
	s.flows[f.ID] = f
	return nil
}

func (s *MemoryStore) ClaimFlow(_ context.Context, id string, now time.Time) (Flow, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.flows[id]
	if !ok {
		return Flow{}, ErrNotFound
	}
	if err := CheckFlow(f, now); err != nil {
		return f, err
	}
	f.UsedAt = now
	s.flows[id] = f
	return f, nil
}

// sweep drops flows past their retention, at most once a minute, so a
// long-running process keeps a bounded map. Called with s.mu held.
func (s *MemoryStore) sweep(now time.Time) {
	if now.Sub(s.swept) < time.Minute {
		return
	}
	s.swept = now
	for id, f := range s.flows {
		if now.After(f.ExpiresAt.Add(flowRetention)) {
			delete(s.flows, id)
		}
	}
}
