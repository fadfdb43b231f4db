package lambdamain_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/caplab/caplab/lambda/cmd/lambdamain"
)

// TestRequestIDsInLogs: through the Lambda handler, the per-request line
// and a record logged without a context (as httpapi logs) both carry the
// Lambda request id and API Gateway's.
func TestRequestIDsInLogs(t *testing.T) {
	var buf bytes.Buffer
	logger := lambdamain.WithRequestIDs(slog.New(slog.NewJSONHandler(&buf, nil)))
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		logger.Warn("no context here")
		w.WriteHeader(http.StatusTeapot)
	})
	h := lambdamain.LambdaHandler(lambdamain.LogRequests(logger, inner))
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "lambda-req-7"})
	ev := events.APIGatewayV2HTTPRequest{RawPath: "/api/scenarios/x", RawQueryString: "code=secret-code",
		RequestContext: events.APIGatewayV2HTTPRequestContext{RequestID: "apigw-req-9", DomainName: "a.example.test",
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "GET", Path: "/api/scenarios/x", SourceIP: "198.51.100.1"}}}
	resp, err := h(ctx, ev)
	if err != nil || resp.StatusCode != http.StatusTeapot {
		t.Fatalf("%d %v", resp.StatusCode, err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d log lines; want 2:\n%s", len(lines), buf.String())
	}
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatal(err)
		}
		if m["requestId"] != "lambda-req-7" || m["apiRequestId"] != "apigw-req-9" {
			t.Errorf("line %s; want requestId lambda-req-7 and apiRequestId apigw-req-9", l)
		}
	}
	if !strings.Contains(lines[1], `"status":418`) || !strings.Contains(lines[1], `"path":"/api/scenarios/x"`) {
		t.Errorf("request line %s; want the path and status", lines[1])
	}
	if strings.Contains(buf.String(), "secret-code") {
		t.Error("the query string (codes, states) reached the log")
	}
	// After the invocation, a record without context has no ids.
	buf.Reset()
	logger.Info("between invocations")
	if strings.Contains(buf.String(), "requestId") {
		t.Errorf("ids outlived the invocation: %s", buf.String())
	}
}
