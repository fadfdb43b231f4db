package boltstore_test

import (
	"context"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caplab/caplab/lambda/store"
	"github.com/caplab/caplab/lambda/store/boltstore"
)

// Concurrent token writes, as a token endpoint under load makes them.
func BenchmarkPutTokenParallel(b *testing.B) {
	st, err := boltstore.Open(filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	var n atomic.Int64
	now := time.Now()
	b.SetParallelism(4) // 8 writers on 2 cores, like the load generator
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			t := store.Token{Hash: "h" + strconv.FormatInt(i, 10), Kind: store.KindAccess, GrantID: "g", IssuedAt: now}
			if err := st.PutToken(context.Background(), t); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// A lone writer: the batch delay must not dominate its latency.
func BenchmarkPutTokenSequential(b *testing.B) {
	st, err := boltstore.Open(filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	now := time.Now()
	for i := 0; b.Loop(); i++ {
		t := store.Token{Hash: "h" + strconv.Itoa(i), Kind: store.KindAccess, GrantID: "g", IssuedAt: now}
		if err := st.PutToken(context.Background(), t); err != nil {
			b.Fatal(err)
		}
	}
}
