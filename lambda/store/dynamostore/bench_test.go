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

// BenchmarkDynamoDBLocalOps times the store's requests against Amazon
// DynamoDB Local (started by the benchmark itself, in memory, on
// 127.0.0.1), sequentially, b.N of each, and reports the median and p99
// latency per operation (µs):
//
//	go test -run '^$' -bench DynamoDBLocalOps -benchtime 200x ./lambda/store/dynamostore/
//
// lookup = a code and its grant (one BatchGetItem), claim = a claim alone
// (one conditional UpdateItem), exchange = a code exchange's write (claim,
// refresh token, use count, login row: one TransactWriteItems), cc = a
// client-credentials write (grant, quota, login row: one
// TransactWriteItems).
func BenchmarkDynamoDBLocalOps(b *testing.B) {
	d := startLocal(b)
	client := newClient(d.Endpoint, nil)
	s := dynamostore.New(client, newTable(b, client))
	ctx := context.Background()
	now := time.Now().UTC()
	n := b.N
	if err := s.PutScenario(ctx, store.Scenario{ID: "bench-share", OrgID: "bench", Document: []byte("{}"), CreatedAt: now, MaxGrants: 1 << 30}); err != nil {
		b.Fatal(err)
	}
	code := func(i int) store.Code {
		return store.Code{Hash: fmt.Sprintf("bench-code-%d", i), ScenarioID: "bench", ClientID: "client",
			RedirectURI: "https://app.test/cb", Scope: "api", Authorize: store.Step{At: now, Event: []byte(`{"do":"authorize"}`)},
			GrantID: "g", IssuedAt: now, ExpiresAt: now.Add(10 * time.Minute)}
	}
	write := func(w store.Write) error {
		w.OrgID, w.Now = "bench", now
		return s.Commit(ctx, w)
	}
	login := func(id string) []store.LoginEvent {
		return []store.LoginEvent{{OrgID: "bench", ID: id, At: now, Org: "Acme", User: "ana@acme.test", Status: "Success"}}
	}
	g := store.Grant{ID: "g", ScenarioID: "bench", ClientID: "client", Status: store.GrantActive, CreatedAt: now}
	if err := write(store.Write{Grant: &g}); err != nil {
		b.Fatal(err)
	}
	// Warm-up: the JVM's JIT makes the first hundreds of requests slow.
	for i := range 200 {
		write(store.Write{Codes: []store.Code{code(-1 - i)}})
		s.Lookup(ctx, store.Keys{OrgID: "bench", Code: code(-1 - i).Hash, Grant: "g"})
	}
	for i := range 2 * n {
		if err := write(store.Write{Codes: []store.Code{code(i)}}); err != nil {
			b.Fatal(err)
		}
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
	results["lookup"] = timeOps("Lookup", func(i int) error {
		_, err := s.Lookup(ctx, store.Keys{OrgID: "bench", Code: code(i).Hash, Grant: "g"})
		return err
	})
	results["claim"] = timeOps("ClaimCode", func(i int) error { return write(store.Write{ClaimCode: code(i).Hash}) })
	results["exchange"] = timeOps("exchange", func(i int) error {
		return write(store.Write{ClaimCode: code(n + i).Hash, UseGrant: "g", Logins: login(fmt.Sprint("x", i)),
			Tokens: []store.Token{{Hash: fmt.Sprint("rt-", i), Kind: store.KindRefresh, ScenarioID: "bench", GrantID: "g", IssuedAt: now}}})
	})
	results["cc"] = timeOps("client credentials", func(i int) error {
		g := store.Grant{ID: fmt.Sprint("cc-", i), ScenarioID: "bench", ClientID: "client", Status: store.GrantActive, CreatedAt: now}
		return write(store.Write{Grant: &g, UseGrant: g.ID, Logins: login(fmt.Sprint("c", i))})
	})
	b.StopTimer()
	for _, name := range []string{"lookup", "claim", "exchange", "cc"} {
		lat := results[name]
		b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds())/1e3, name+"-p50-µs")
		b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds())/1e3, name+"-p99-µs")
	}
}

// BenchmarkCallbackLoopback is the relay's callback latency benchmark
// (relaytest.CallbackLatency) over the DynamoDB relay store and DynamoDB
// Local: each callback is one conditional claim (UpdateItem).
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
