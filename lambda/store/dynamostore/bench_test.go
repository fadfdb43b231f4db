package dynamostore_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/caplab/caplab/lambda/relay/relaytest"
	"github.com/caplab/caplab/lambda/store"
	"github.com/caplab/caplab/lambda/store/dynamostore"
)

// BenchmarkDynamoDBLocalOps times single store operations against Amazon
// DynamoDB Local (started by the benchmark itself, in memory, on
// 127.0.0.1), sequentially, b.N of each, and reports the median and p99
// latency per operation (µs):
//
//	go test -run '^$' -bench DynamoDBLocalOps -benchtime 200x ./lambda/store/dynamostore/
//
// put = PutCode (PutItem), get = GetCode (consistent GetItem),
// claim = ClaimCode (conditional UpdateItem), token = GetToken (token and
// grant: two consistent GetItems), refresh = ClaimRefresh (two reads and a
// conditional UpdateItem).
func BenchmarkDynamoDBLocalOps(b *testing.B) {
	d := startLocal(b)
	client := newClient(d.Endpoint, nil)
	s := dynamostore.New(client, newTable(b, client))
	ctx := context.Background()
	now := time.Now().UTC()
	n := b.N
	code := func(i int) store.Code {
		return store.Code{Hash: fmt.Sprintf("bench-code-%d", i), ScenarioID: "bench", ClientID: "client",
			RedirectURI: "https://app.test/cb", Scope: "api", Authorize: store.Step{At: now, Event: []byte(`{"do":"authorize"}`)},
			GrantID: "g", IssuedAt: now, ExpiresAt: now.Add(10 * time.Minute)}
	}
	if err := s.PutGrant(ctx, store.Grant{ID: "g", ScenarioID: "bench", ClientID: "client", Status: store.GrantActive, CreatedAt: now}); err != nil {
		b.Fatal(err)
	}
	// Warm-up: the JVM's JIT makes the first hundreds of requests slow.
	for i := range 200 {
		s.PutCode(ctx, code(-1-i))
		s.GetCode(ctx, code(-1-i).Hash, now)
	}
	timeOps := func(name string, op func(i int) error) []time.Duration {
		lat := make([]time.Duration, n)
		for i := range n {
			t := time.Now()
			if err := op(i); err != nil {
				b.Fatalf("%s %d: %v", name, i, err)
			}
			lat[i] = time.Since(t)
		}
		slices.Sort(lat)
		return lat
	}
	b.ResetTimer()
	results := map[string][]time.Duration{}
	results["put"] = timeOps("PutCode", func(i int) error { return s.PutCode(ctx, code(i)) })
	results["get"] = timeOps("GetCode", func(i int) error { _, err := s.GetCode(ctx, code(i).Hash, now); return err })
	results["claim"] = timeOps("ClaimCode", func(i int) error { _, err := s.ClaimCode(ctx, code(i).Hash, now); return err })
	for i := range n {
		if err := s.PutToken(ctx, store.Token{Hash: fmt.Sprintf("bench-rt-%d", i), Kind: store.KindRefresh, ScenarioID: "bench",
			GrantID: "g", ClientID: "client", IssuedAt: now}); err != nil {
			b.Fatal(err)
		}
	}
	results["token"] = timeOps("GetToken", func(i int) error { _, err := s.GetToken(ctx, fmt.Sprintf("bench-rt-%d", i), now); return err })
	results["refresh"] = timeOps("ClaimRefresh", func(i int) error {
		_, err := s.ClaimRefresh(ctx, fmt.Sprintf("bench-rt-%d", i), now)
		return err
	})
	b.StopTimer()
	for _, name := range []string{"put", "get", "claim", "token", "refresh"} {
		lat := results[name]
		b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds())/1e3, name+"-p50-µs")
		b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds())/1e3, name+"-p99-µs")
	}
}

// BenchmarkCallbackLoopback is the relay's callback latency benchmark
// (relaytest.CallbackLatency) over the DynamoDB relay store and DynamoDB
// Local: each callback is a conditional claim and a tenant read.
//
//	go test -run '^$' -bench CallbackLoopback -benchtime 300x ./lambda/store/dynamostore/
func BenchmarkCallbackLoopback(b *testing.B) {
	d := startLocal(b)
	client := newClient(d.Endpoint, nil)
	rs := dynamostore.NewRelay(client, newTable(b, client))
	lat, err := relaytest.CallbackLatency(context.Background(), rs, b.N)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(lat.P50.Nanoseconds())/1e3, "p50-µs")
	b.ReportMetric(float64(lat.P99.Nanoseconds())/1e3, "p99-µs")
}
