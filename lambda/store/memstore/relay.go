package memstore

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/caplab/caplab/lambda/relay"
)

// Relay is the in-memory relay.Store: the twin the relay's tests use, and
// enough for a single process.
type Relay struct {
	mu      sync.Mutex
	tenants map[string]relay.Tenant
	flows   map[string]relay.Flow
	swept   time.Time
}

var _ relay.Store = (*Relay)(nil)

// NewRelay returns an empty Relay.
func NewRelay() *Relay {
	return &Relay{tenants: map[string]relay.Tenant{}, flows: map[string]relay.Flow{}}
}

// flowRetention is how long a flow is kept past its expiry, so a late
// replay still reads as used or expired rather than unknown.
const flowRetention = 30 * time.Minute

func cloneTenant(t relay.Tenant) relay.Tenant {
	t.Destinations = slices.Clone(t.Destinations)
	return t
}

func (s *Relay) PutTenant(_ context.Context, t relay.Tenant) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tenants[t.ID] = cloneTenant(t)
	return nil
}

func (s *Relay) GetTenant(_ context.Context, id string) (relay.Tenant, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tenants[id]
	if !ok {
		return relay.Tenant{}, relay.ErrNotFound
	}
	return cloneTenant(t), nil
}

func (s *Relay) DeleteTenant(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.tenants[id]; !ok {
		return relay.ErrNotFound
	}
	delete(s.tenants, id)
	return nil
}

func (s *Relay) CreateFlow(_ context.Context, f relay.Flow) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.flows[f.ID]; ok {
		return relay.ErrExists
	}
	s.sweep(f.CreatedAt)
	s.flows[f.ID] = f
	return nil
}

func (s *Relay) ClaimFlow(_ context.Context, id string, now time.Time) (relay.Flow, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.flows[id]
	if !ok {
		return relay.Flow{}, relay.ErrNotFound
	}
	if err := relay.CheckFlow(f, now); err != nil {
		return f, err
	}
	f.UsedAt = now
	s.flows[id] = f
	return f, nil
}

// sweep drops flows past their retention, at most once a minute, so a
// long-running process keeps a bounded map. Called with s.mu held.
func (s *Relay) sweep(now time.Time) {
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
