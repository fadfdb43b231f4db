// Package ratelimit is a per-key token bucket with bounded memory, for the
// per-client-IP limits on caplab's public endpoints. It is per process: on
// AWS the WAF rate-based rule is the limit shared by every instance.
package ratelimit

import (
	"math"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Limiter allows burst requests at once and perMinute a minute after that,
// per key. At most MaxKeys buckets are kept; when full, an arbitrary one
// is dropped, which can only make the limiter more lenient, never grow it.
// A nil *Limiter allows everything.
type Limiter struct {
	mu      sync.Mutex
	rate    float64 // tokens per second
	burst   float64
	buckets map[string]bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

// MaxKeys bounds each limiter's memory (about 100 bytes a key).
const MaxKeys = 50_000

// New returns a Limiter.
func New(perMinute, burst int) *Limiter {
	return &Limiter{rate: float64(perMinute) / 60, burst: float64(burst), buckets: map[string]bucket{}}
}

// Allow takes one token for key. When none is left it says how long until
// one is, for Retry-After.
func (l *Limiter) Allow(key string, now time.Time) (bool, time.Duration) {
	if l == nil {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= MaxKeys {
			for k := range l.buckets {
				delete(l.buckets, k)
				break
			}
		}
		b = bucket{tokens: l.burst, at: now}
	}
	if el := now.Sub(b.at).Seconds(); el > 0 {
		b.tokens = math.Min(l.burst, b.tokens+el*l.rate)
		b.at = now
	}
	if b.tokens < 1 {
		l.buckets[key] = b
		return false, time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
	}
	b.tokens--
	l.buckets[key] = b
	return true, 0
}

// ClientIP is the request's source address without the port. Behind API
// Gateway the adapter sets RemoteAddr to the caller's address; caplab
// never trusts X-Forwarded-For, which a client can forge.
func ClientIP(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}

// RetryAfter is a Retry-After value: whole seconds, at least 1.
func RetryAfter(d time.Duration) string {
	return strconv.Itoa(max(1, int(math.Ceil(d.Seconds()))))
}
