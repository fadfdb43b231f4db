package dynamostore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// UnavailableError is a DynamoDB failure that is worth retrying later:
// throttling that outlasted the SDK's retries, a dropped or timed-out
// connection, a 5xx, a transaction conflict. The HTTP handlers answer it
// with 503 and Retry-After. The operation either happened in full or not at
// all (see the write-order invariant in the package doc), so the client may
// repeat its request.
//
// store has no retryable sentinel yet; UnavailableError offers the common
// shapes handlers can test without importing this package:
//
//	var t interface{ Temporary() bool }
//	if errors.As(err, &t) && t.Temporary() { 503 }
type UnavailableError struct {
	Op  string // the store operation, e.g. "ClaimCode"
	Err error  // the SDK error
}

func (e *UnavailableError) Error() string {
	return fmt.Sprintf("dynamostore: %s: temporarily unavailable: %v", e.Op, e.Err)
}
func (e *UnavailableError) Unwrap() error   { return e.Err }
func (e *UnavailableError) Temporary() bool { return true }
func (e *UnavailableError) Retryable() bool { return true }

// Is lets errors.Is(err, ErrUnavailable) match.
func (e *UnavailableError) Is(target error) bool { return target == ErrUnavailable }

// ErrUnavailable matches every UnavailableError with errors.Is.
var ErrUnavailable = errors.New("dynamostore: temporarily unavailable")

// IsUnavailable reports whether err (from any store) is a retryable
// backend failure.
func IsUnavailable(err error) bool {
	var t interface{ Temporary() bool }
	return errors.As(err, &t) && t.Temporary()
}

// mapErr turns an SDK error into a store error: retryable failures become
// *UnavailableError; the rest are wrapped with the operation name.
// Conditional-check failures are handled by each operation before this.
func mapErr(op string, err error) error {
	if err == nil {
		return nil
	}
	if retryableBackendErr(err) {
		return &UnavailableError{Op: op, Err: err}
	}
	return fmt.Errorf("dynamostore: %s: %w", op, err)
}

var retryableCodes = map[string]bool{
	"ProvisionedThroughputExceededException": true,
	"ThrottlingException":                    true,
	"RequestLimitExceeded":                   true,
	"LimitExceededException":                 true,
	"TransactionInProgressException":         true,
	"TransactionConflictException":           true,
	"InternalServerError":                    true,
	"InternalFailure":                        true,
	"ServiceUnavailable":                     true,
	"RequestTimeout":                         true,
	"RequestTimeoutException":                true,
	"ReplicatedWriteConflictException":       true,
}

func retryableBackendErr(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var maxAttempts *retry.MaxAttemptsError
	if errors.As(err, &maxAttempts) {
		return true // the SDK retried a retryable error until it gave up
	}
	var quota ratelimit.QuotaExceededError
	if errors.As(err, &quota) {
		return true
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		if retryableCodes[ae.ErrorCode()] || ae.ErrorFault() == smithy.FaultServer {
			return true
		}
		var tce *types.TransactionCanceledException
		if errors.As(err, &tce) {
			return transactionConflictOnly(tce)
		}
		return false
	}
	var resp *smithyhttp.ResponseError
	if errors.As(err, &resp) && resp.HTTPStatusCode() >= 500 {
		return true
	}
	var send *smithyhttp.RequestSendError
	if errors.As(err, &send) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EPIPE)
}

// transactionConflictOnly: cancelled only because another transaction or
// a throttle got in the way (no condition failed).
func transactionConflictOnly(tce *types.TransactionCanceledException) bool {
	conflict := false
	for _, r := range tce.CancellationReasons {
		switch code := deref(r.Code); code {
		case "", "None":
		case "TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded", "RequestLimitExceeded":
			conflict = true
		default:
			return false
		}
	}
	return conflict
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}
