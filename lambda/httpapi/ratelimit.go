package httpapi

import (
	"net/http"
	"time"

	"github.com/caplab/caplab/lambda/ratelimit"
)

// limiter is a per-client-IP limit (lambda/ratelimit); nil allows all.
type limiter = ratelimit.Limiter

func newLimiter(perMinute, burst int) *limiter { return ratelimit.New(perMinute, burst) }

func clientIP(r *http.Request) string { return ratelimit.ClientIP(r) }

// tooManyRequests answers 429 with Retry-After.
func tooManyRequests(w http.ResponseWriter, retry time.Duration, what string) {
	secs := ratelimit.RetryAfter(retry)
	noStore(w)
	w.Header().Set("Retry-After", secs)
	writeJSON(w, http.StatusTooManyRequests, map[string]string{"error": "rate_limited",
		"error_description": "too many " + what + " from this address; retry after " + secs + " s"})
}
