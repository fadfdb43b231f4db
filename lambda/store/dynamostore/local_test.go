package dynamostore_test

import (
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/caplab/caplab/lambda/lambdatest"
)

func newClient(endpoint string, rt http.RoundTripper) *dynamodb.Client {
	return lambdatest.DynamoClient(endpoint, rt)
}

func newTable(t testing.TB, client *dynamodb.Client) string {
	return lambdatest.NewTable(t, client, "caplab-test")
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
