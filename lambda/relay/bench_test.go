package relay_test

import (
	"context"
	"testing"
	"time"

	"github.com/caplab/caplab/lambda/relay/relaytest"
	"github.com/caplab/caplab/lambda/store/memstore"
)

// BenchmarkCallbackLoopback: callback latency through a real loopback
// server with pre-created flows (memory store). Run with
//
//	go test -run '^$' -bench CallbackLoopback -benchtime 2000x ./lambda/relay/
//
// for 2000 sequential callbacks; p50 and p99 are reported as metrics.
func BenchmarkCallbackLoopback(b *testing.B) {
	lat, err := relaytest.CallbackLatency(context.Background(), memstore.NewRelay(), b.N)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(lat.P50.Nanoseconds())/1e3, "p50-µs")
	b.ReportMetric(float64(lat.P99.Nanoseconds())/1e3, "p99-µs")
}

// TestCallbackLatency prints the numbers for 2000 sequential callbacks.
func TestCallbackLatency(t *testing.T) {
	n := 2000
	if testing.Short() {
		n = 200
	}
	lat, err := relaytest.CallbackLatency(context.Background(), memstore.NewRelay(), n)
	if err != nil {
		t.Fatal(err)
	}
	t.Log(lat)
	if lat.P50 > 50*time.Millisecond {
		t.Errorf("p50 %v: a loopback callback should take well under a millisecond", lat.P50)
	}
}
