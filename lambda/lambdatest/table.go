package lambdatest

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/caplab/caplab/lambda/store/dynamostore"
)

// DynamoClient is a DynamoDB Local client with static credentials, a
// region and the store's tuned retryer; rt, when set, sits between the SDK
// and the network (fault injection).
func DynamoClient(endpoint string, rt http.RoundTripper) *dynamodb.Client {
	var hc *http.Client
	if rt != nil {
		hc = &http.Client{Transport: rt, Timeout: dynamostore.AttemptTimeout}
	}
	return dynamodb.New(dynamodb.Options{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
	}, dynamostore.ClientOptions(endpoint, hc))
}

var tableSeq atomic.Int64

// NewTable creates a fresh caplab table in DynamoDB Local (table names need
// at least 3 characters; prefix keeps packages' tables apart in logs).
func NewTable(t testing.TB, client *dynamodb.Client, prefix string) string {
	t.Helper()
	name := fmt.Sprintf("%s-%d-%d", prefix, time.Now().UnixNano()%1e6, tableSeq.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := dynamostore.CreateTable(ctx, client, name); err != nil {
		t.Fatal(err)
	}
	return name
}
