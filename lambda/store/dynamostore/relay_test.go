package dynamostore_test

import (
	"context"
	"testing"

	"github.com/caplab/caplab/lambda/relay"
	"github.com/caplab/caplab/lambda/relay/relaytest"
	"github.com/caplab/caplab/lambda/store/dynamostore"
)

// TestRelayContract runs the relay store contract (conditional create,
// single-use claim, the 50-way claim race, expiry in code) against Amazon
// DynamoDB Local, one fresh table per subtest.
func TestRelayContract(t *testing.T) {
	d := startLocal(t)
	client := newClient(d.Endpoint, nil)
	relaytest.Run(t, func(t *testing.T) relay.Store {
		return dynamostore.New(client, newTable(t, client))
	})
}

// BenchmarkRelayCallbackLoopback: the relay's callback latency on loopback
// against DynamoDB Local (each callback: one conditional UpdateItem and one
// consistent GetItem).
//
//	go test -run '^$' -bench RelayCallbackLoopback -benchtime 2000x ./lambda/store/dynamostore/
func BenchmarkRelayCallbackLoopback(b *testing.B) {
	d := startLocal(b)
	client := newClient(d.Endpoint, nil)
	lat, err := relaytest.CallbackLatency(context.Background(), dynamostore.New(client, newTable(b, client)), b.N)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(lat.P50.Nanoseconds())/1e3, "p50-µs")
	b.ReportMetric(float64(lat.P99.Nanoseconds())/1e3, "p99-µs")
}
