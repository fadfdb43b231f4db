package boltstore_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caplab/caplab/lambda/store"
	"github.com/caplab/caplab/lambda/store/boltstore"
)

// ccWrite is what a client-credentials request writes: a new grant
// (counted against the quota) and its login history row.
func ccWrite(i int64, now time.Time) store.Write {
	g := store.Grant{ID: fmt.Sprint("g", i), ScenarioID: "bench", ClientID: "client", Org: "Acme", User: "runas@acme.test",
		App: "Bench", Scope: "api", Status: store.GrantActive, CreatedAt: now}
	return store.Write{OrgID: "bench", Now: now, Grant: &g, UseGrant: g.ID,
		Logins: []store.LoginEvent{{OrgID: "bench", ID: fmt.Sprint("e", i), At: now, Org: "Acme", User: g.User, Status: "Success"}}}
}

func openBench(b *testing.B) *boltstore.Store {
	st, err := boltstore.Open(filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	err = st.PutScenario(context.Background(), store.Scenario{ID: "share", OrgID: "bench", Document: []byte(`{}`), CreatedAt: time.Now(), MaxGrants: 1 << 30})
	if err != nil {
		b.Fatal(err)
	}
	return st
}

// Concurrent request writes, as a token endpoint under load makes them:
// the group committer shares commits among them.
func BenchmarkCommitParallel(b *testing.B) {
	st := openBench(b)
	var n atomic.Int64
	now := time.Now()
	b.SetParallelism(4) // 8 writers on 2 cores, like the load generator
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := st.Commit(context.Background(), ccWrite(n.Add(1), now)); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// A lone writer: one commit (two fdatasyncs), no batch delay.
func BenchmarkCommitSequential(b *testing.B) {
	st := openBench(b)
	now := time.Now()
	var i int64
	for b.Loop() {
		i++
		if err := st.Commit(context.Background(), ccWrite(i, now)); err != nil {
			b.Fatal(err)
		}
	}
}
