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
	exp := time.Date(2026, 3, 1, 9, 10, 0, 0, time.UTC)
	if err := s.PutCode(ctx, store.Code{Hash: "h", ExpiresAt: exp}); err != nil {
		t.Fatal(err)
	}
	item, err := client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: map[string]typesAV{
		"PK": &typesS{Value: "CODE#h"}, "SK": &typesS{Value: "META"}}})
	if err != nil {
		t.Fatal(err)
	}
	ttl, ok := item.Item["ttl"].(*typesN)
	if want := fmt.Sprint(exp.Add(dynamostore.UsedRowGrace).Unix()); !ok || ttl.Value != want { // epoch seconds
		t.Fatalf("ttl = %#v, want %d", item.Item["ttl"], exp.Add(dynamostore.UsedRowGrace).Unix())
	}
}
