package dynamostore_test

import (
	"context"
	"fmt"
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
	ttlOf := func(hash string) int64 {
		item, err := client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true),
			Key: map[string]typesAV{"PK": &typesS{Value: "CODE#" + hash}, "SK": &typesS{Value: "META"}}})
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
	// A live code: ttl is its expiry plus the grace, in epoch seconds.
	exp := time.Now().Add(10 * time.Minute).Truncate(time.Second)
	if err := s.PutCode(ctx, store.Code{Hash: "live", ExpiresAt: exp}); err != nil {
		t.Fatal(err)
	}
	if got, want := ttlOf("live"), exp.Add(dynamostore.UsedRowGrace).Unix(); got != want {
		t.Fatalf("ttl = %d, want %d", got, want)
	}
	// A code written already expired stays at least the grace after the write.
	before := time.Now()
	if err := s.PutCode(ctx, store.Code{Hash: "old", ExpiresAt: time.Date(2026, 3, 1, 9, 10, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	if got := ttlOf("old"); got < before.Add(dynamostore.UsedRowGrace).Unix() {
		t.Fatalf("ttl of an expired write = %d, want ≥ now + grace", got)
	}
}
