package ratelimit

import (
	"net/http"
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	l := New(60, 3) // one a second after a burst of three
	for i := range 3 {
		if ok, _ := l.Allow("a", t0); !ok {
			t.Fatalf("request %d of the burst refused", i+1)
		}
	}
	ok, retry := l.Allow("a", t0)
	if ok || retry != time.Second {
		t.Fatalf("fourth request: allowed %v, retry %v; want refused, 1s", ok, retry)
	}
	if ok, _ := l.Allow("b", t0); !ok {
		t.Fatal("another key was refused")
	}
	if ok, _ := l.Allow("a", t0.Add(time.Second)); !ok {
		t.Fatal("a refill after 1s was refused")
	}
	var none *Limiter
	if ok, _ := none.Allow("x", t0); !ok {
		t.Fatal("a nil limiter refused")
	}
}

func TestLimiterMemoryIsBounded(t *testing.T) {
	l := New(1, 1)
	t0 := time.Now()
	for i := range MaxKeys + 100 {
		l.Allow(string(rune(i)), t0)
	}
	if n := len(l.buckets); n > MaxKeys {
		t.Fatalf("%d buckets; want at most %d", n, MaxKeys)
	}
}

func TestClientIP(t *testing.T) {
	for _, c := range []struct{ remote, xff, want string }{
		{"203.0.113.9:5555", "", "203.0.113.9"},
		{"[2001:db8::1]:443", "", "2001:db8::1"},
		{"203.0.113.9:5555", "198.51.100.1", "203.0.113.9"}, // X-Forwarded-For is never trusted
		{"198.51.100.7", "", "198.51.100.7"},
	} {
		r := &http.Request{RemoteAddr: c.remote, Header: http.Header{}}
		if c.xff != "" {
			r.Header.Set("X-Forwarded-For", c.xff)
		}
		if got := ClientIP(r); got != c.want {
			t.Errorf("ClientIP(%q, XFF %q) = %q; want %q", c.remote, c.xff, got, c.want)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	for d, want := range map[time.Duration]string{0: "1", 300 * time.Millisecond: "1", 1500 * time.Millisecond: "2", time.Minute: "60"} {
		if got := RetryAfter(d); got != want {
			t.Errorf("RetryAfter(%v) = %q; want %q", d, got, want)
		}
	}
}
