package dynamostore_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/caplab/caplab/lambda/store"
	"github.com/caplab/caplab/lambda/store/dynamostore"
	"github.com/caplab/caplab/lambda/store/storetest"
)

// TestContract runs the store contract (50-way code and refresh races,
// grant revocation, expiry…) against Amazon DynamoDB Local, one fresh table
// per subtest.
func TestContract(t *testing.T) {
	d := startLocal(t)
	client := newClient(d.Endpoint, nil)
	storetest.Run(t, func(t *testing.T) store.Store {
		s := dynamostore.New(client, newTable(t, client))
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// TestTableHasTTL checks CreateTable turns TTL on for the ttl attribute and
// that items carry it.
func TestTableHasTTL(t *testing.T) {
	d := startLocal(t)
	client := newClient(d.Endpoint, nil)
	table := newTable(t, client)
	ctx := context.Background()
	out, err := client.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(table)})
	if err != nil {
		t.Fatal(err)
	}
	if d := out.TimeToLiveDescription; d == nil || aws.ToString(d.AttributeName) != dynamostore.AttrTTL {
		t.Fatalf("TTL description = %+v", out.TimeToLiveDescription)
	}
	s := dynamostore.New(client, table)
	ttlOfItem := func(pk, sk string) int64 {
		t.Helper()
		item, err := client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true),
			Key: map[string]typesAV{"PK": &typesS{Value: pk}, "SK": &typesS{Value: sk}}})
		if err != nil {
			t.Fatal(err)
		}
		n, ok := item.Item["ttl"].(*typesN)
		if !ok {
			t.Fatalf("item has no numeric ttl: %#v", item.Item)
		}
		var v int64
		fmt.Sscan(n.Value, &v)
		return v
	}
	ttlOf := func(hash string) int64 { return ttlOfItem("CODE#"+hash, "META") }
	put := func(w store.Write) {
		t.Helper()
		if w.OrgID == "" {
			w.OrgID = "lo"
		}
		if w.Now.IsZero() {
			w.Now = time.Now()
		}
		if err := s.Commit(ctx, w); err != nil {
			t.Fatal(err)
		}
	}
	// A live code: ttl is its expiry plus the grace, in epoch seconds.
	exp := time.Now().Add(10 * time.Minute).Truncate(time.Second)
	put(store.Write{Codes: []store.Code{{Hash: "live", ExpiresAt: exp}}})
	if got, want := ttlOf("live"), exp.Add(dynamostore.UsedRowGrace).Unix(); got != want {
		t.Fatalf("ttl = %d, want %d", got, want)
	}
	// A code written already expired stays at least the grace after the write.
	before := time.Now()
	put(store.Write{Codes: []store.Code{{Hash: "old", ExpiresAt: time.Date(2026, 3, 1, 9, 10, 0, 0, time.UTC)}}})
	if got := ttlOf("old"); got < before.Add(dynamostore.UsedRowGrace).Unix() {
		t.Fatalf("ttl of an expired write = %d, want ≥ now + grace", got)
	}

	// Shares, live orgs, grants, approval entries, refresh tokens, marks,
	// login rows and login counters expire too (retention), so nothing is
	// kept forever.
	keep := store.Retention{ShareIdle: 40 * 24 * time.Hour, Grant: 50 * 24 * time.Hour}
	s.WithRetention(keep)
	now := time.Now().Truncate(time.Second)
	if err := s.PutScenario(ctx, store.Scenario{ID: "sh", OrgID: "lo", Document: []byte("{}"), CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	g := store.Grant{ID: "g", ScenarioID: "lo", User: "ana", Interactive: true, Status: store.GrantActive, CreatedAt: now}
	login := store.LoginEvent{OrgID: "lo", ID: "e", At: now, User: "ana", Status: "Success"}
	markEnd := now.Add(2 * time.Hour)
	put(store.Write{Now: now, Grant: &g, Tokens: []store.Token{{Hash: "rt", Kind: store.KindRefresh, ScenarioID: "lo", GrantID: "g", IssuedAt: now}},
		Marks: []store.Mark{{Key: "m", OrgID: "lo", LastUsedAt: now, ExpiresAt: markEnd}}, Logins: []store.LoginEvent{login}})
	if _, err := s.AddLoginFailure(ctx, "lo", "ana", now, 10, time.Hour); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		what, pk, sk string
		want         time.Time
	}{
		{"share", "SHARE#sh", "META", now.Add(keep.ShareIdle)},
		{"live org", "LIVEORG#lo", "META", now.Add(keep.ShareIdle)},
		{"grant", "ORGGRANTS#lo", "GRANT#g", now.Add(keep.Grant)},
		{"refresh token", "TOKEN#rt", "META", now.Add(keep.Grant)},
		{"mark", "MARK#m", "META", markEnd.Add(dynamostore.UsedRowGrace)},
		{"login attempt", "LOGINS#lo", "AT#" + store.LoginSortKey(login), now.Add(store.LoginHistoryKeep)},
	} {
		if got := ttlOfItem(c.pk, c.sk); got != c.want.Unix() {
			t.Errorf("ttl of the %s = %d; want %d", c.what, got, c.want.Unix())
		}
	}
	// Every item written above, approval entries and login counters
	// included, carries a ttl.
	scan, err := client.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]bool{}
	for _, it := range scan.Items {
		pk := it["PK"].(*typesS).Value
		types[strings.SplitN(pk, "#", 2)[0]] = true
		if _, ok := it["ttl"].(*typesN); !ok {
			t.Errorf("item %s has no ttl", pk)
		}
	}
	for _, want := range []string{"SHARE", "LIVEORG", "APPROVALS", "TOKEN", "CODE", "LOCKOUT", "ORGGRANTS", "MARK", "LOGINS"} {
		if !types[want] {
			t.Errorf("no %s item was written; the ttl check did not cover it", want)
		}
	}
}
