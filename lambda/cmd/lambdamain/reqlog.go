package lambdamain

import (
	"context"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/awslabs/aws-lambda-go-api-proxy/core"
)

// Request ids in every log line: the Lambda invocation's (requestId, the
// one in Lambda's own START/END/REPORT lines) and API Gateway's
// (apiRequestId, the one in its access logs and x-amzn-requestid). A
// record logged with a request's context takes them from the context;
// one logged without (httpapi logs that way) takes the invocation in
// progress: a Lambda execution environment runs one invocation at a time.

type requestIDs struct{ lambda, api string }

var current atomic.Pointer[requestIDs]

func idsFrom(ctx context.Context) *requestIDs {
	var ids requestIDs
	if ctx != nil {
		if lc, ok := lambdacontext.FromContext(ctx); ok {
			ids.lambda = lc.AwsRequestID
		}
		if ac, ok := core.GetAPIGatewayV2ContextFromContext(ctx); ok {
			ids.api = ac.RequestID
		}
	}
	if ids == (requestIDs{}) {
		return current.Load()
	}
	return &ids
}

// requestIDHandler adds the request ids to each record.
type requestIDHandler struct{ slog.Handler }

func (h requestIDHandler) Handle(ctx context.Context, rec slog.Record) error {
	if ids := idsFrom(ctx); ids != nil {
		if ids.lambda != "" {
			rec.AddAttrs(slog.String("requestId", ids.lambda))
		}
		if ids.api != "" {
			rec.AddAttrs(slog.String("apiRequestId", ids.api))
		}
	}
	return h.Handler.Handle(ctx, rec)
}

func (h requestIDHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(as)}
}

func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
}

// WithRequestIDs wraps a logger's handler so its records carry the ids.
func WithRequestIDs(l *slog.Logger) *slog.Logger { return slog.New(requestIDHandler{l.Handler()}) }

// LogRequests writes one line per request: method, path (never the query,
// which carries codes and states), status, duration and the request ids.
func LogRequests(logger *slog.Logger, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusRecorder{ResponseWriter: w}
		h.ServeHTTP(sw, r)
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		logger.LogAttrs(r.Context(), slog.LevelInfo, "request", slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", sw.status), slog.Duration("duration", time.Since(start)))
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}
