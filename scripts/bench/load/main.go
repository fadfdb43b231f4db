// Command load is the bounded load generator for the live-endpoint
// benchmark: a fixed number of requests (-n) from a fixed number of workers
// (-c) over keep-alive connections to one token-endpoint operation of one
// target, then a JSON summary (requests/s, p50, p99, errors).
//
//	load -target target.json -op client_credentials -n 2000 -c 8 -o out.json
//
// The target file says where the endpoints are and which client to use
// (scripts/bench-oidc-provider.mjs and scripts/bench/caplabsetup write it):
//
//	{"name": "oidc-provider", "token_endpoint": "http://127.0.0.1:P/token",
//	 "introspection_endpoint": "http://127.0.0.1:P/token/introspection",
//	 "client_id": "…", "client_secret": "…", "refresh_token": "…"}
//
// Operations: client_credentials (grant_type=client_credentials),
// refresh_token (grant_type=refresh_token with the target's refresh token)
// and introspection (a token obtained once by client credentials,
// introspected n times; a response must say "active":true). The client
// authenticates with HTTP Basic (id and secret form-encoded, RFC 6749
// §2.3.1) on every request. A request counts as ok only with status 200 and
// the expected field in its body.
//
// Bounds: only loopback URLs are accepted; the run stops after n requests
// or after -max-time, whichever comes first; each request has -timeout.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/caplab/caplab/scripts/bench/internal/benchtarget"
)

// Target is the target file (package benchtarget).
type Target = benchtarget.Target

// Result is the JSON summary of one run.
type Result struct {
	Target      string  `json:"target"`
	Label       string  `json:"label,omitempty"` // e.g. the store: "embedded", "dynamodb-local"
	Op          string  `json:"op"`
	N           int     `json:"n"`           // requests asked for
	Concurrency int     `json:"concurrency"` // workers
	Warmup      int     `json:"warmup"`      // untimed requests before the run
	Sent        int     `json:"sent"`        // requests sent in the timed run
	OK          int     `json:"ok"`
	Errors      int     `json:"errors"`
	FirstError  string  `json:"first_error,omitempty"`
	ElapsedS    float64 `json:"elapsed_s"`
	RPS         float64 `json:"rps"` // ok responses per second of the timed run
	P50Ms       float64 `json:"p50_ms"`
	P99Ms       float64 `json:"p99_ms"`
	MaxMs       float64 `json:"max_ms"`
	Stopped     string  `json:"stopped"` // "count" or "max-time"
}

func main() {
	targetFile := flag.String("target", "", "target JSON file (required)")
	op := flag.String("op", "", "client_credentials, refresh_token or introspection (required)")
	n := flag.Int("n", 2000, "requests in the timed run")
	c := flag.Int("c", 8, "concurrent workers (keep-alive connections)")
	warmup := flag.Int("warmup", 200, "untimed requests before the timed run")
	timeout := flag.Duration("timeout", 10*time.Second, "timeout of one request")
	maxTime := flag.Duration("max-time", 60*time.Second, "wall-clock cap of the timed run")
	label := flag.String("label", "", "free-form label copied into the result (e.g. the store)")
	out := flag.String("o", "", "write the JSON result here (default stdout)")
	flag.Parse()
	if *targetFile == "" || *op == "" || *n <= 0 || *c <= 0 || *warmup < 0 {
		flag.Usage()
		os.Exit(2)
	}
	res, err := run(*targetFile, *op, *label, *n, *c, *warmup, *timeout, *maxTime)
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
	b, _ := json.MarshalIndent(res, "", "  ")
	b = append(b, '\n')
	if *out == "" {
		os.Stdout.Write(b)
	} else if err := os.WriteFile(*out, b, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "load: %-14s %-18s %6d ok %4d errors  %8.0f req/s  p50 %.2f ms  p99 %.2f ms\n",
		res.Target+":", res.Op, res.OK, res.Errors, res.RPS, res.P50Ms, res.P99Ms)
	if res.OK == 0 {
		fmt.Fprintln(os.Stderr, "load: no request succeeded; first error:", res.FirstError)
		os.Exit(1)
	}
}

// request is one prepared request of the operation.
type request struct {
	url    string
	body   string
	expect string // a substring the 200 body must contain
}

func run(targetFile, op, label string, n, c, warmup int, timeout, maxTime time.Duration) (Result, error) {
	var t Target
	data, err := os.ReadFile(targetFile)
	if err != nil {
		return Result{}, err
	}
	if err := json.Unmarshal(data, &t); err != nil {
		return Result{}, fmt.Errorf("%s: %w", targetFile, err)
	}
	for _, u := range []string{t.TokenEndpoint, t.IntrospectionEndpoint} {
		if u != "" {
			if err := benchtarget.CheckLoopback(u); err != nil {
				return Result{}, err
			}
		}
	}
	client := &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			Proxy:               nil, // never a proxy: loopback only
			MaxIdleConns:        c * 2,
			MaxIdleConnsPerHost: c * 2,
			MaxConnsPerHost:     c,
			IdleConnTimeout:     30 * time.Second,
			DisableCompression:  true,
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	defer client.CloseIdleConnections()

	var req request
	switch op {
	case "client_credentials":
		req = request{url: t.TokenEndpoint, body: "grant_type=client_credentials", expect: `"access_token"`}
	case "refresh_token":
		if t.RefreshToken == "" {
			return Result{}, errors.New("the target has no refresh_token")
		}
		req = request{url: t.TokenEndpoint, body: url.Values{"grant_type": {"refresh_token"}, "refresh_token": {t.RefreshToken}}.Encode(), expect: `"access_token"`}
	case "introspection":
		if t.IntrospectionEndpoint == "" {
			return Result{}, errors.New("the target has no introspection_endpoint")
		}
		// One access token by client credentials, introspected n times.
		body, err := do(client, t, request{url: t.TokenEndpoint, body: "grant_type=client_credentials", expect: `"access_token"`})
		if err != nil {
			return Result{}, fmt.Errorf("getting an access token to introspect: %w", err)
		}
		var tok struct {
			AccessToken string `json:"access_token"`
		}
		if json.Unmarshal(body, &tok) != nil || tok.AccessToken == "" {
			return Result{}, fmt.Errorf("getting an access token to introspect: no access_token in %.200s", body)
		}
		req = request{url: t.IntrospectionEndpoint, body: url.Values{"token": {tok.AccessToken}}.Encode(), expect: `"active":true`}
	default:
		return Result{}, fmt.Errorf("unknown op %q", op)
	}
	if req.url == "" {
		return Result{}, errors.New("the target has no token_endpoint")
	}

	// Warm-up (connections, JITs, caches): untimed, bounded by the same cap.
	if warmup > 0 {
		if _, err := do(client, t, req); err != nil {
			return Result{}, fmt.Errorf("first request failed: %w", err)
		}
		blast(client, t, req, warmup-1, c, maxTime)
	}
	r := blast(client, t, req, n, c, maxTime)
	r.Target, r.Label, r.Op, r.N, r.Concurrency, r.Warmup = t.Name, label, op, n, c, warmup
	return r, nil
}

// blast sends n requests from c workers and measures each; it stops
// issuing requests at the wall-clock cap.
func blast(client *http.Client, t Target, req request, n, c int, maxTime time.Duration) Result {
	if n <= 0 {
		return Result{}
	}
	ctx, cancel := context.WithTimeout(context.Background(), maxTime)
	defer cancel()
	var next atomic.Int64
	lat := make([]time.Duration, n)
	okFlags := make([]bool, n)
	var mu sync.Mutex
	firstErr := ""
	var wg sync.WaitGroup
	start := time.Now()
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n || ctx.Err() != nil {
					return
				}
				t0 := time.Now()
				_, err := do(client, t, req)
				lat[i] = time.Since(t0)
				if err == nil {
					okFlags[i] = true
				} else {
					mu.Lock()
					if firstErr == "" {
						firstErr = err.Error()
					}
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	sent := min(int(next.Load()), n)
	var r Result
	r.Sent, r.ElapsedS, r.FirstError = sent, elapsed.Seconds(), firstErr
	r.Stopped = "count"
	if sent < n {
		r.Stopped = "max-time"
	}
	var okLat []time.Duration
	for i := range sent {
		if okFlags[i] {
			okLat = append(okLat, lat[i])
		}
	}
	r.OK, r.Errors = len(okLat), sent-len(okLat)
	if r.OK > 0 {
		slices.Sort(okLat)
		r.RPS = float64(r.OK) / elapsed.Seconds()
		r.P50Ms = ms(percentile(okLat, 50))
		r.P99Ms = ms(percentile(okLat, 99))
		r.MaxMs = ms(okLat[len(okLat)-1])
	}
	return r
}

// do sends one request and checks the answer.
func do(client *http.Client, t Target, req request) ([]byte, error) {
	hr, err := http.NewRequest(http.MethodPost, req.url, strings.NewReader(req.body))
	if err != nil {
		return nil, err
	}
	hr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	hr.Header.Set("Accept", "application/json")
	hr.SetBasicAuth(url.QueryEscape(t.ClientID), url.QueryEscape(t.ClientSecret))
	resp, err := client.Do(hr)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return body, fmt.Errorf("HTTP %d: %.200s", resp.StatusCode, body)
	}
	if !bytes.Contains(compactJSON(body), []byte(req.expect)) {
		return body, fmt.Errorf("no %s in %.200s", req.expect, body)
	}
	return body, nil
}

// compactJSON removes insignificant whitespace so that `"active": true`
// matches `"active":true`.
func compactJSON(b []byte) []byte {
	var buf bytes.Buffer
	if json.Compact(&buf, b) != nil {
		return b
	}
	return buf.Bytes()
}

// percentile is the nearest-rank percentile of sorted durations.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(p/100*float64(len(sorted)) + 0.999999)
	rank = max(1, min(rank, len(sorted)))
	return sorted[rank-1]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
