// Command load is the bounded load generator for the live-endpoint
// benchmark: a fixed number of workers (-c) over keep-alive connections
// send one token-endpoint operation of one target for a fixed time
// (-duration), after a warm-up of a fixed time (-warmup: a JIT such as
// Node's needs seconds, not a few hundred requests), then a JSON summary
// (requests/s, p50, p99, errors, and the server's CPU per request when
// -server-pid names it).
//
//	load -target target.json -op client_credentials -c 8 -warmup 3s -duration 5s -server-pid 1234 -o out.json
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
// Bounds: only loopback URLs are accepted; no request starts after the
// run's time (or -n requests, when set); each request has -timeout. Only
// requests that were sent count: one that failed is an error, with the
// first error's text.
package main

import (
	"bytes"
	"encoding/base64"
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
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/caplab/caplab/scripts/bench/internal/benchtarget"
)

// accessToken is what a token answer must contain.
var accessToken = []string{`"access_token"`}

// Target is the target file (package benchtarget).
type Target = benchtarget.Target

// Result is the JSON summary of one run.
type Result struct {
	Target      string  `json:"target"`
	Label       string  `json:"label,omitempty"` // e.g. the store: "embedded", "dynamodb-local"
	Round       int     `json:"round,omitempty"` // which of the interleaved rounds
	Op          string  `json:"op"`
	N           int     `json:"n,omitempty"` // request cap (0: the run's time alone)
	Concurrency int     `json:"concurrency"` // workers
	WarmupS     float64 `json:"warmup_s"`    // untimed warm-up
	WarmupSent  int     `json:"warmup_sent"` // requests of the warm-up
	DurationS   float64 `json:"duration_s"`  // the timed run's length asked for
	Sent        int     `json:"sent"`        // requests sent in the timed run
	OK          int     `json:"ok"`
	Errors      int     `json:"errors"` // sent requests that failed
	FirstError  string  `json:"first_error,omitempty"`
	ElapsedS    float64 `json:"elapsed_s"`
	RPS         float64 `json:"rps"` // ok responses per second of the timed run
	P50Ms       float64 `json:"p50_ms"`
	P99Ms       float64 `json:"p99_ms"`
	MaxMs       float64 `json:"max_ms"`
	// ServerCPUUs is the server process's CPU time (user + system) per ok
	// request of the timed run, in µs (0: no -server-pid).
	ServerCPUUs float64 `json:"server_cpu_us,omitempty"`
	// LoadCPUUs is this load generator's CPU per ok request, in µs: it
	// shares the cores with the server.
	LoadCPUUs float64 `json:"load_cpu_us,omitempty"`
}

func main() {
	targetFile := flag.String("target", "", "target JSON file (required)")
	op := flag.String("op", "", "client_credentials, refresh_token or introspection (required)")
	n := flag.Int("n", 0, "at most this many requests in the timed run (0: as many as the run's time allows)")
	c := flag.Int("c", 8, "concurrent workers (keep-alive connections)")
	warmup := flag.Duration("warmup", 3*time.Second, "untimed warm-up before the timed run")
	duration := flag.Duration("duration", 5*time.Second, "length of the timed run")
	timeout := flag.Duration("timeout", 10*time.Second, "timeout of one request")
	serverPID := flag.Int("server-pid", 0, "the server's process id, for its CPU time per request (Linux /proc)")
	label := flag.String("label", "", "free-form label copied into the result (e.g. the store)")
	round := flag.Int("round", 0, "round number copied into the result")
	out := flag.String("o", "", "write the JSON result here (default stdout)")
	flag.Parse()
	if *targetFile == "" || *op == "" || *n < 0 || *c <= 0 || *warmup < 0 || *duration <= 0 || *duration > maxDuration || *warmup > maxDuration {
		flag.Usage()
		os.Exit(2)
	}
	res, err := run(*targetFile, *op, *label, *n, *c, *warmup, *duration, *timeout, *serverPID)
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
	res.Round = *round
	b, _ := json.MarshalIndent(res, "", "  ")
	b = append(b, '\n')
	if *out == "" {
		os.Stdout.Write(b)
	} else if err := os.WriteFile(*out, b, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "load: %-14s %-14s %-18s %7d ok %4d errors  %8.0f req/s  p50 %.2f ms  p99 %.2f ms  server %.0f µs CPU/req\n",
		res.Target+":", res.Label, res.Op, res.OK, res.Errors, res.RPS, res.P50Ms, res.P99Ms, res.ServerCPUUs)
	if res.OK == 0 {
		fmt.Fprintln(os.Stderr, "load: no request succeeded; first error:", res.FirstError)
		os.Exit(1)
	}
}

// request is one prepared request of the operation.
type request struct {
	url    string
	body   string
	auth   string   // the Authorization header
	expect []string // the 200 body must contain one of these
}

// maxDuration bounds -warmup and -duration: the benchmark's runs are
// seconds long, and a typo must not hold a server for hours.
const maxDuration = 10 * time.Minute

func run(targetFile, op, label string, n, c int, warmup, duration, timeout time.Duration, serverPID int) (Result, error) {
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
		req = request{url: t.TokenEndpoint, body: "grant_type=client_credentials", expect: accessToken}
	case "refresh_token":
		if t.RefreshToken == "" {
			return Result{}, errors.New("the target has no refresh_token")
		}
		req = request{url: t.TokenEndpoint, body: url.Values{"grant_type": {"refresh_token"}, "refresh_token": {t.RefreshToken}}.Encode(), expect: accessToken}
	case "introspection":
		if t.IntrospectionEndpoint == "" {
			return Result{}, errors.New("the target has no introspection_endpoint")
		}
		// One access token by client credentials, introspected n times.
		body, err := do(client, t, request{url: t.TokenEndpoint, body: "grant_type=client_credentials", auth: basicAuth(t), expect: accessToken})
		if err != nil {
			return Result{}, fmt.Errorf("getting an access token to introspect: %w", err)
		}
		var tok struct {
			AccessToken string `json:"access_token"`
		}
		if json.Unmarshal(body, &tok) != nil || tok.AccessToken == "" {
			return Result{}, fmt.Errorf("getting an access token to introspect: no access_token in %.200s", body)
		}
		req = request{url: t.IntrospectionEndpoint, body: url.Values{"token": {tok.AccessToken}}.Encode(), expect: []string{`"active":true`, `"active": true`}}
	default:
		return Result{}, fmt.Errorf("unknown op %q", op)
	}
	if req.url == "" {
		return Result{}, errors.New("the target has no token_endpoint")
	}
	req.auth = basicAuth(t)

	// Warm-up (connections, JITs, caches): untimed, for a fixed time.
	if _, err := do(client, t, req); err != nil {
		return Result{}, fmt.Errorf("first request failed: %w", err)
	}
	warm := blast(client, t, req, 0, c, warmup)
	cpu0, err := cpuTime(serverPID)
	if err != nil {
		return Result{}, err
	}
	self0, _ := cpuTime(os.Getpid())
	r := blast(client, t, req, n, c, duration)
	cpu1, err := cpuTime(serverPID)
	if err != nil {
		return Result{}, err
	}
	self1, _ := cpuTime(os.Getpid())
	if r.OK > 0 {
		if serverPID > 0 {
			r.ServerCPUUs = float64((cpu1 - cpu0).Microseconds()) / float64(r.OK)
		}
		r.LoadCPUUs = float64((self1 - self0).Microseconds()) / float64(r.OK)
	}
	r.Target, r.Label, r.Op, r.N, r.Concurrency = t.Name, label, op, n, c
	r.WarmupS, r.WarmupSent, r.DurationS = warmup.Seconds(), warm.Sent, duration.Seconds()
	return r, nil
}

// blast sends requests from c workers for d (at most n when n > 0) and
// measures each. No request starts after d; the ones under way finish and
// count. Only requests actually sent are counted.
func blast(client *http.Client, t Target, req request, n, c int, d time.Duration) Result {
	var r Result
	if d <= 0 {
		return r
	}
	deadline := time.Now().Add(d)
	var claimed atomic.Int64
	type outcome struct {
		lat time.Duration
		err error
	}
	results := make([][]outcome, c)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range c {
		wg.Go(func() {
			for time.Now().Before(deadline) && (n == 0 || claimed.Add(1) <= int64(n)) {
				t0 := time.Now()
				_, err := do(client, t, req)
				results[w] = append(results[w], outcome{time.Since(t0), err})
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	var okLat []time.Duration
	for _, rs := range results {
		for _, o := range rs {
			r.Sent++
			switch {
			case o.err == nil:
				okLat = append(okLat, o.lat)
			case r.FirstError == "":
				r.FirstError = o.err.Error()
			}
		}
	}
	r.OK, r.Errors, r.ElapsedS = len(okLat), r.Sent-len(okLat), elapsed.Seconds()
	if r.OK > 0 {
		slices.Sort(okLat)
		r.RPS = float64(r.OK) / elapsed.Seconds()
		r.P50Ms = ms(percentile(okLat, 50))
		r.P99Ms = ms(percentile(okLat, 99))
		r.MaxMs = ms(okLat[len(okLat)-1])
	}
	return r
}

// cpuTime is a process's CPU time so far (user + system, Linux /proc;
// 0 for pid 0).
func cpuTime(pid int) (time.Duration, error) {
	if pid <= 0 {
		return 0, nil
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("server CPU time: %w", err)
	}
	// Fields after the command (which may hold spaces) start after ")".
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("server CPU time: short /proc/%d/stat", pid)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("server CPU time: /proc/%d/stat: %q %q", pid, f[11], f[12])
	}
	return time.Duration(utime+stime) * time.Second / clockTicks, nil
}

// clockTicks is USER_HZ, the unit of /proc's CPU times: 100 on every
// Linux the benchmark runs on.
const clockTicks = 100

// do sends one request and checks the answer.
// do sends one request and checks the answer. The load generator shares
// the cores with the server it measures, so a request costs it as little
// as it can: the Authorization header is made once, and the answer is
// checked without decoding it.
func do(client *http.Client, t Target, req request) ([]byte, error) {
	hr, err := http.NewRequest(http.MethodPost, req.url, strings.NewReader(req.body))
	if err != nil {
		return nil, err
	}
	hr.Header = http.Header{"Content-Type": formType, "Accept": jsonType, "Authorization": {req.auth}}
	resp, err := client.Do(hr)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return body, fmt.Errorf("HTTP %d: %.200s", resp.StatusCode, body)
	}
	for _, want := range req.expect {
		if bytes.Contains(body, []byte(want)) {
			return body, nil
		}
	}
	return body, fmt.Errorf("no %s in %.200s", req.expect[0], body)
}

var (
	formType = []string{"application/x-www-form-urlencoded"}
	jsonType = []string{"application/json"}
)

// maxAnswerBytes bounds an answer read: token answers are a few KB.
const maxAnswerBytes = 1 << 20

// basicAuth is the Authorization header of the target's client (RFC 6749
// §2.3.1: id and secret form-encoded, then HTTP Basic).
func basicAuth(t Target) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(t.ClientID)+":"+url.QueryEscape(t.ClientSecret)))
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
