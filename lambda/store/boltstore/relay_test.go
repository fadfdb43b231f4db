package boltstore_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/caplab/caplab/lambda/relay"
	"github.com/caplab/caplab/lambda/relay/relaytest"
	"github.com/caplab/caplab/lambda/store/boltstore"
)

func openRelay(t testing.TB) *boltstore.Store {
	s, err := boltstore.Open(filepath.Join(t.TempDir(), "caplab.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestRelayContract(t *testing.T) {
	relaytest.Run(t, func(t *testing.T) relay.Store { return openRelay(t) })
}

// BenchmarkRelayCallbackLoopback: the relay's callback latency on loopback
// with the embedded store (each callback is one bbolt write transaction).
//
//	go test -run '^$' -bench RelayCallbackLoopback -benchtime 2000x ./lambda/store/boltstore/
func BenchmarkRelayCallbackLoopback(b *testing.B) {
	lat, err := relaytest.CallbackLatency(context.Background(), openRelay(b), b.N)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(lat.P50.Nanoseconds())/1e3, "p50-µs")
	b.ReportMetric(float64(lat.P99.Nanoseconds())/1e3, "p99-µs")
}
