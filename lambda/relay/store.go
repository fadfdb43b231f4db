package relay

import (
	"context"
	"errors"
	"time"

	"github.com/caplab/caplab/lambda/store"
)

// Sentinel errors of a relay Store. The first three are the live-org
// store's, so one backend can map its failures once; compare with errors.Is.
var (
	ErrNotFound    = store.ErrNotFound
	ErrAlreadyUsed = store.ErrAlreadyUsed
	ErrExpired     = store.ErrExpired
	// ErrExists: CreateFlow found a flow with that id.
	ErrExists = errors.New("relay: flow already exists")
)

// Store is the relay's persistence: the tenant registry and the flows.
// Implementations are safe for concurrent use and keep these rules (checked
// by relaytest.Run):
//   - CreateFlow is conditional on absence: a second create of one id fails
//     with ErrExists and changes nothing.
//   - ClaimFlow is atomic: of N concurrent claims of one flow exactly one
//     succeeds; the others get ErrAlreadyUsed with the record.
//   - Expiry is enforced in code: a flow at or past ExpiresAt claims as
//     ErrExpired (with the record) even when the backend has not deleted
//     it yet, and stays unused.
//   - Flows are keyed by Flow.ID, the hex SHA-256 of the browser-held
//     handle; the handle itself is never stored.
type Store interface {
	// PutTenant creates or replaces a tenant.
	PutTenant(ctx context.Context, t Tenant) error
	// GetTenant reads a tenant: ErrNotFound when absent.
	GetTenant(ctx context.Context, id string) (Tenant, error)
	// DeleteTenant removes a tenant: ErrNotFound when absent.
	DeleteTenant(ctx context.Context, id string) error

	// CreateFlow stores a new flow: ErrExists when the id is taken.
	CreateFlow(ctx context.Context, f Flow) error
	// ClaimFlow marks the flow used and returns it: ErrNotFound;
	// ErrAlreadyUsed or ErrExpired, each with the record.
	ClaimFlow(ctx context.Context, id string, now time.Time) (Flow, error)
}

// CheckFlow applies the claim rules to a flow as read: the shared logic of
// every implementation's ClaimFlow. nil means the claim may proceed.
func CheckFlow(f Flow, now time.Time) error {
	switch {
	case !f.UsedAt.IsZero():
		return ErrAlreadyUsed
	case !now.Before(f.ExpiresAt):
		return ErrExpired
	}
	return nil
}
