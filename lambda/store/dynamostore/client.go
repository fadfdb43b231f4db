package dynamostore

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// Retry tuning. DynamoDB throttles in short bursts and a Lambda invocation
// has seconds, not minutes: up to 6 attempts with full-jitter exponential
// backoff from 25 ms capped at 800 ms (about 1.5 s worst case), no
// client-side retry quota (one invocation at a time per process; the quota
// would turn a burst of conflicts into failures), and a per-attempt
// timeout so a hung connection is retried rather than waited on.
const (
	RetryMaxAttempts   = 6
	RetryBaseDelay     = 25 * time.Millisecond
	RetryMaxBackoff    = 800 * time.Millisecond
	AttemptTimeout     = 3 * time.Second
	RetryableCodeExtra = "TransactionConflictException"
)

// NewRetryer is the SDK standard retryer with the tuning above.
func NewRetryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = RetryMaxAttempts
		o.MaxBackoff = RetryMaxBackoff
		o.Backoff = fullJitter{base: RetryBaseDelay, max: RetryMaxBackoff}
		o.RateLimiter = ratelimit.None
		o.Retryables = append(o.Retryables, retry.RetryableErrorCode{Codes: map[string]struct{}{
			RetryableCodeExtra: {}, "InternalServerError": {},
		}})
	})
}

// fullJitter: sleep a random time in [0, min(max, base·2^attempt)).
type fullJitter struct{ base, max time.Duration }

func (j fullJitter) BackoffDelay(attempt int, _ error) (time.Duration, error) {
	ceil := j.max
	if attempt < 20 {
		if d := j.base << attempt; d < ceil {
			ceil = d
		}
	}
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return ceil / 2, nil
	}
	return time.Duration(binary.LittleEndian.Uint64(b[:]) % uint64(ceil)), nil
}

// ClientOptions applies the retry tuning and the HTTP client (with its
// per-attempt timeout) to a dynamodb.Options. Pass it to dynamodb.New or
// dynamodb.NewFromConfig; endpoint is empty for AWS, or DynamoDB Local's
// http://127.0.0.1:PORT.
func ClientOptions(endpoint string, hc *http.Client) func(*dynamodb.Options) {
	return func(o *dynamodb.Options) {
		o.Retryer = NewRetryer()
		if hc != nil {
			o.HTTPClient = hc
		} else {
			o.HTTPClient = awshttp.NewBuildableClient().WithTimeout(AttemptTimeout)
		}
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	}
}

// NewClient loads the default AWS configuration (the Lambda environment's
// role credentials and region) and returns a tuned DynamoDB client.
// endpoint overrides the service endpoint (DynamoDB Local); "" for AWS.
func NewClient(ctx context.Context, endpoint string) (*dynamodb.Client, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, err
	}
	return dynamodb.NewFromConfig(cfg, ClientOptions(endpoint, nil)), nil
}
