package dynamostore_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/caplab/caplab/lambda/lambdatest"
	"github.com/caplab/caplab/lambda/store/dynamostore"
)

// newClient returns a DynamoDB client for DynamoDB Local with static
// credentials, a region and the store's tuned retryer. rt, when set, sits
// in front of the network (fault injection).
func newClient(endpoint string, rt http.RoundTripper) *dynamodb.Client {
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

// newTable creates a fresh table (name ≥ 3 characters) in DynamoDB Local.
func newTable(t testing.TB, client *dynamodb.Client) string {
	t.Helper()
	name := fmt.Sprintf("caplab-test-%d-%d", time.Now().UnixNano()%1e6, tableSeq.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := dynamostore.CreateTable(ctx, client, name); err != nil {
		t.Fatal(err)
	}
	return name
}

// The package's tests share one DynamoDB Local (lambdatest), started by
// the first test that needs it and killed by TestMain; each test uses its
// own tables.
func startLocal(t testing.TB) *lambdatest.DynamoDBLocal {
	t.Helper()
	return lambdatest.SharedDynamoDBLocal(t)
}

func TestMain(m *testing.M) {
	for _, kv := range lambdatest.LocalAWSEnv() {
		k, v, _ := strings.Cut(kv, "=")
		os.Setenv(k, v)
	}
	code := m.Run()
	lambdatest.StopSharedDynamoDBLocal()
	os.Exit(code)
}
