package boltstore

import (
	"context"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/caplab/caplab/lambda/relay"
)

// The relay's tenant registry and flows (relay.Store), in two buckets of
// the same file (created by Open). Flows are keyed by the hash of their
// handle (relay.FlowID); CreateFlow and ClaimFlow are calls of the group
// committer, in read-write transactions bbolt serialises, so exactly one of
// concurrent claims wins.
var (
	bRelayTenants = []byte("relayTenants")
	bRelayFlows   = []byte("relayFlows")
)

var _ relay.Store = (*Store)(nil)

func (s *Store) PutTenant(_ context.Context, t relay.Tenant) error {
	return s.db.Update(func(tx *bolt.Tx) error { return put(tx, bRelayTenants, t.ID, t) })
}

func (s *Store) GetTenant(_ context.Context, id string) (t relay.Tenant, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		t, err = get[relay.Tenant](tx, bRelayTenants, id)
		return err
	})
	return t, err
}

func (s *Store) DeleteTenant(_ context.Context, id string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bRelayTenants)
		if b.Get([]byte(id)) == nil {
			return relay.ErrNotFound
		}
		return b.Delete([]byte(id))
	})
}

func (s *Store) CreateFlow(_ context.Context, f relay.Flow) error {
	return s.w.do(func(tx *bolt.Tx) (error, error) {
		if tx.Bucket(bRelayFlows).Get([]byte(f.ID)) != nil {
			return relay.ErrExists, nil
		}
		return nil, put(tx, bRelayFlows, f.ID, f)
	})
}

func (s *Store) ClaimFlow(_ context.Context, id string, now time.Time) (f relay.Flow, err error) {
	err = s.w.do(func(tx *bolt.Tx) (error, error) {
		f, err = get[relay.Flow](tx, bRelayFlows, id)
		if err != nil {
			return refusal(err)
		}
		if err := relay.CheckFlow(f, now); err != nil {
			return err, nil
		}
		f.UsedAt = now
		return nil, put(tx, bRelayFlows, id, f)
	})
	return f, err
}
