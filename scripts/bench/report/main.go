// Command report turns the raw outputs of scripts/bench.sh into
// bench/results.md (a Markdown report with every number, ratio and
// quality-bar verdict) and a short summary on stdout.
//
//	report -raw build/bench -wasm site/main.wasm -lambda build/lambda -o bench/results.md
//
// It reads, from the raw directory (each file optional: a missing one makes
// its rows "missing" with the reason from status.tsv):
//
//	env.txt              key=value lines about the run (date, versions, counts)
//	status.tsv           part, ok|failed|missing, note (one line per part)
//	engine-native.txt    go test -bench output of package policy, native
//	engine-wasm.txt      the same benchmarks, GOOS=js GOARCH=wasm under Node
//	six-native.txt       scripts/bench/engine (six events, fixes on and off)
//	six-wasm.txt         the same program built for js/wasm
//	engine-before-*.txt  BenchmarkEvaluateSixEvents of the engine before
//	                     issue 15 (env engine_baseline), native and WASM
//	site-bench.md        scripts/site-bench's Markdown (first-result medians,
//	                     cold and warm, in headless Chromium)
//	site-firstresult.txt go test -bench FirstResult ./site (its fallback)
//	load-*.json          scripts/bench/load results (one per server,
//	                     operation and round)
//	target-*.json        the targets (for versions)
//	disk.json            scripts/bench/disk: the disk's fdatasync latency
//	roundtrips.txt       go test -v of TestDynamoDBRoundTrips (its log lines
//	                     "<request type> <n> round trip(s)")
//	lambda-init.txt      go test -bench output or a script's output with
//	                     benchmark lines (init metrics), if provided
//	lambda-test.txt      go test -v of lambda/cmd/lambdamain's runtime-API test,
//	                     whose log has each function's init time (fallback)
//	relay.txt            go test -bench output of the relay benchmarks
//
// It computes itself the WASM module's raw, gzip (-9) and brotli (-q 11,
// the Debian brotli CLI) sizes, and each Lambda bootstrap's size and zipped
// size (its deployment package).
package main

import (
	"archive/zip"
	"bufio"
	"bytes"
	"cmp"
	"compress/flate"
	"compress/gzip"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Quality bars (docs: /work/shared/spec/product.md "Quality bars").
const (
	barNativeNs      = 50e3 // 6-event scenario natively: under 50 µs
	barWasmNs        = 4e5  // in WASM: under 0.4 ms (product.md)
	barBrotliBytes   = 1e6  // site module: under 1 MB brotli
	barFirstResultMs = 1000 // first result within 1 s of load
	barThrottledMs   = 1500 // issue 14: first result within 1.5 s at 10 Mbit/s, CPU 4× slower
	barThroughput    = 1.0  // at least oidc-provider's throughput (product.md)
	barLambdaInitMs  = 50.0 // bootstrap ready in under 50 ms
)

// The goals of issue 15: the embedded (durable) store against
// oidc-provider, per operation, and DynamoDB round trips per request.
var (
	throughputGoals = map[string]float64{"client_credentials": 2, "refresh_token": 1.5, "introspection": 3}
	roundTripGoals  = []struct {
		what  string   // as the report names it
		rows  []string // TestDynamoDBRoundTrips's names for it
		limit int
	}{
		{"client_credentials", []string{"client_credentials"}, 1},
		{"refresh (with and without rotation)", []string{"refresh_token", "refresh_token rotation"}, 2},
		{"introspection (access and refresh tokens)", []string{"introspection", "introspection (refresh)"}, 1},
		{"code exchange", []string{"authorization_code"}, 3},
		{"relay callback", []string{"relay callback"}, 1},
		{"userinfo (not an issue goal; the resource side)", []string{"userinfo"}, 1},
	}
)

// The engine goals of issue 15 were set on another machine: the six-event
// scenario with fix search took 189–246 µs natively there (218 µs at the
// midpoint) and ~1.1 ms in WASM, with goals of 50 µs and 0.4 ms. Here they
// are judged as the speedup they ask for, over the engine before the work
// (ENGINE_BASELINE) measured in the same run on this machine; the absolute
// bars stay in the quality-bar table.
var engineGoals = []struct {
	wasm         bool
	before, goal float64 // ns/op on the machine
}{
	{false, 218e3, barNativeNs},
	{true, 1.1e6, barWasmNs},
}

func main() {
	raw := flag.String("raw", "build/bench", "directory of raw results")
	wasm := flag.String("wasm", "site/main.wasm", "the site's WASM module")
	lambdaDir := flag.String("lambda", "build/lambda", "directory of built Lambda bootstraps (<fn>/bootstrap)")
	out := flag.String("o", "bench/results.md", "Markdown report")
	flag.Parse()
	r := &report{raw: *raw}
	r.load()
	r.sizes(*wasm)
	r.lambdaSizes(*lambdaDir)
	md := r.markdown()
	if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(*out, []byte(md), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(1)
	}
	fmt.Print(r.summary(*out))
}

// ---------------------------------------------------------------- inputs

type bench struct {
	pkg     string
	name    string // without the -GOMAXPROCS suffix
	n       int
	metrics map[string]float64 // unit → value (ns/op, B/op, allocs/op, custom)
}

// parseBench reads `go test -bench` output (several packages allowed).
func parseBench(data []byte) []bench {
	var out []bench
	pkg := ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if p, ok := strings.CutPrefix(line, "pkg: "); ok {
			pkg = strings.TrimSpace(p)
			continue
		}
		if !strings.HasPrefix(line, "Benchmark") {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 4 {
			continue
		}
		n, err := strconv.Atoi(f[1])
		if err != nil {
			continue
		}
		b := bench{pkg: pkg, name: f[0], n: n, metrics: map[string]float64{}}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				break
			}
			b.metrics[f[i+1]] = v
		}
		out = append(out, b)
	}
	// Strip the -GOMAXPROCS suffix when every line has the same one.
	suffix := ""
	re := regexp.MustCompile(`-\d+$`)
	for i, b := range out {
		s := re.FindString(b.name)
		if i == 0 {
			suffix = s
		} else if s != suffix {
			suffix = ""
			break
		}
	}
	if suffix != "" {
		for i := range out {
			out[i].name = strings.TrimSuffix(out[i].name, suffix)
		}
	}
	return out
}

// benchMap keys benchmarks by name; of repeated runs (-count
// BENCH_ENGINE_COUNT) it keeps the median run by ns/op (the lower middle of
// an even count), so that neither a lucky run nor the first run in a fresh
// Node process (V8's tier-up to optimised WebAssembly code) decides.
func benchMap(bs []bench) map[string]bench {
	runs := map[string][]bench{}
	for _, b := range bs {
		runs[b.name] = append(runs[b.name], b)
	}
	m := map[string]bench{}
	for name, rs := range runs {
		slices.SortStableFunc(rs, func(a, b bench) int { return cmp.Compare(a.metrics["ns/op"], b.metrics["ns/op"]) })
		m[name] = rs[(len(rs)-1)/2]
	}
	return m
}

type loadResult struct {
	Target      string  `json:"target"`
	Label       string  `json:"label"`
	Round       int     `json:"round"`
	Op          string  `json:"op"`
	Concurrency int     `json:"concurrency"`
	WarmupS     float64 `json:"warmup_s"`
	DurationS   float64 `json:"duration_s"`
	Sent        int     `json:"sent"`
	OK          int     `json:"ok"`
	Errors      int     `json:"errors"`
	FirstError  string  `json:"first_error"`
	ElapsedS    float64 `json:"elapsed_s"`
	RPS         float64 `json:"rps"`
	P50Ms       float64 `json:"p50_ms"`
	P99Ms       float64 `json:"p99_ms"`
	ServerCPUUs float64 `json:"server_cpu_us"`
	LoadCPUUs   float64 `json:"load_cpu_us"`
}

// liveRow is one server's operation over the rounds: medians and the
// spread (smallest and largest) of requests/s.
type liveRow struct {
	runs                   []loadResult
	rps, min, max          float64 // median, smallest, largest req/s
	p50, p99, cpu, loadCPU float64 // medians
	errors, sent           int
	firstError             string
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// firstResult is one median parsed from scripts/site-bench's table row
// "| first result, cold load (median of 5) | 812 ms (bar 1000 ms: 0.81×) |".
type firstResult struct {
	kind     string // "cold load", "warm reload"
	n        int
	medianMs float64
}

var firstRe = regexp.MustCompile(`(?m)^\|\s*first result, ([a-z ]+?) \(median of (\d+)\)\s*\|\s*([0-9.]+) ms`)

func parseSiteBench(md []byte) []firstResult {
	var out []firstResult
	for _, m := range firstRe.FindAllSubmatch(md, -1) {
		n, _ := strconv.Atoi(string(m[2]))
		ms, err := strconv.ParseFloat(string(m[3]), 64)
		if err == nil {
			out = append(out, firstResult{kind: string(m[1]), n: n, medianMs: ms})
		}
	}
	return out
}

type partStatus struct{ name, status, note string }

type report struct {
	raw    string
	env    map[string]string
	status []partStatus

	engNative, engWasm map[string]bench
	engOrder           []string
	sixNative, sixWasm map[string]bench
	// The engine before issue 15, measured in the same run: the peer the
	// engine goals are judged against on this machine.
	beforeNative, beforeWasm map[string]bench

	wasmPath                     string
	wasmRaw, wasmGzip, wasmBrotl int64
	wasmErr, brotliErr           string

	siteBench []byte
	first     []firstResult

	loads   []loadResult
	targets map[string]map[string]any

	disk       map[string]float64
	roundTrips map[string]int // request type → most round trips of one request

	lambdaInit []bench
	lambdaBins []lambdaBin

	relay []bench
}

type lambdaBin struct {
	name      string
	raw, zipd int64
}

func (r *report) read(name string) []byte {
	b, err := os.ReadFile(filepath.Join(r.raw, name))
	if err != nil {
		return nil
	}
	return b
}

func (r *report) load() {
	r.env = map[string]string{}
	for _, line := range strings.Split(string(r.read("env.txt")), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			r.env[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	for _, line := range strings.Split(string(r.read("status.tsv")), "\n") {
		f := strings.SplitN(line, "\t", 3)
		if len(f) >= 2 {
			p := partStatus{name: f[0], status: f[1]}
			if len(f) == 3 {
				p.note = f[2]
			}
			// The last line for a part wins.
			if i := slices.IndexFunc(r.status, func(s partStatus) bool { return s.name == p.name }); i >= 0 {
				r.status[i] = p
			} else {
				r.status = append(r.status, p)
			}
		}
	}
	nat := parseBench(r.read("engine-native.txt"))
	for _, b := range nat {
		if !slices.Contains(r.engOrder, b.name) {
			r.engOrder = append(r.engOrder, b.name)
		}
	}
	r.engNative = benchMap(nat)
	r.engWasm = benchMap(parseBench(r.read("engine-wasm.txt")))
	for _, b := range parseBench(r.read("engine-wasm.txt")) {
		if !slices.Contains(r.engOrder, b.name) {
			r.engOrder = append(r.engOrder, b.name)
		}
	}
	r.sixNative = benchMap(parseBench(r.read("six-native.txt")))
	r.sixWasm = benchMap(parseBench(r.read("six-wasm.txt")))
	r.beforeNative = benchMap(parseBench(r.read("engine-before-native.txt")))
	r.beforeWasm = benchMap(parseBench(r.read("engine-before-wasm.txt")))
	r.siteBench = r.read("site-bench.md")
	r.first = parseSiteBench(r.siteBench)
	for _, b := range parseBench(r.read("site-firstresult.txt")) {
		if ms, ok := b.metrics["ms-first-result"]; ok && b.name == "BenchmarkFirstResult" {
			r.first = append(r.first, firstResult{kind: "one browser, fresh tab; site BenchmarkFirstResult", n: b.n, medianMs: ms})
		}
	}
	files, _ := filepath.Glob(filepath.Join(r.raw, "load-*.json"))
	sort.Strings(files)
	for _, f := range files {
		b, _ := os.ReadFile(f)
		var l loadResult
		if json.Unmarshal(b, &l) == nil && l.Op != "" {
			r.loads = append(r.loads, l)
		}
	}
	r.targets = map[string]map[string]any{}
	files, _ = filepath.Glob(filepath.Join(r.raw, "target-*.json"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		var m map[string]any
		if json.Unmarshal(b, &m) == nil {
			r.targets[strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "target-"), ".json")] = m
		}
	}
	r.lambdaInit = parseBench(r.read("lambda-init.txt"))
	r.relay = parseBench(r.read("relay.txt"))
	if b := r.read("disk.json"); b != nil {
		var d map[string]any
		if json.Unmarshal(b, &d) == nil {
			r.disk = map[string]float64{}
			for k, v := range d {
				if f, ok := v.(float64); ok {
					r.disk[k] = f
				}
			}
		}
	}
	r.roundTrips = map[string]int{}
	for _, m := range roundTripRe.FindAllStringSubmatch(string(r.read("roundtrips.txt")), -1) {
		n, _ := strconv.Atoi(m[2])
		what := strings.TrimSpace(m[1])
		r.roundTrips[what] = max(r.roundTrips[what], n)
	}
}

// roundTripRe is TestDynamoDBRoundTrips's log line: "<what> <n> round trip(s) map[…]".
var roundTripRe = regexp.MustCompile(`(?m)roundtrips_test\.go:\d+: (.+?)\s+(\d+) round trip\(s\)`)

// sizes measures the WASM module: raw, gzip -9, brotli -q 11.
func (r *report) sizes(path string) {
	r.wasmPath = path
	data, err := os.ReadFile(path)
	if err != nil {
		r.wasmErr = err.Error()
		return
	}
	r.wasmRaw = int64(len(data))
	var gz bytes.Buffer
	w, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	w.Write(data)
	w.Close()
	r.wasmGzip = int64(gz.Len())
	cmd := exec.Command("brotli", "-c", "-q", "11", path)
	var outBuf bytes.Buffer
	cmd.Stdout = &outBuf
	if err := cmd.Run(); err != nil {
		r.brotliErr = "brotli CLI: " + err.Error() + " (apt-get install brotli)"
		return
	}
	r.wasmBrotl = int64(outBuf.Len())
}

// lambdaSizes measures each built bootstrap and its zip (deploy package).
func (r *report) lambdaSizes(dir string) {
	bins, _ := filepath.Glob(filepath.Join(dir, "*", "bootstrap"))
	sort.Strings(bins)
	for _, b := range bins {
		data, err := os.ReadFile(b)
		if err != nil {
			continue
		}
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) { return flate.NewWriter(w, flate.BestCompression) })
		fw, _ := zw.CreateHeader(&zip.FileHeader{Name: "bootstrap", Method: zip.Deflate})
		fw.Write(data)
		zw.Close()
		r.lambdaBins = append(r.lambdaBins, lambdaBin{name: filepath.Base(filepath.Dir(b)), raw: int64(len(data)), zipd: int64(buf.Len())})
	}
}

// ---------------------------------------------------------------- verdicts

type verdict struct {
	bar      string
	measured string
	ok       bool
	missing  bool
	note     string
}

func (v verdict) word() string {
	switch {
	case v.missing:
		return "missing"
	case v.ok:
		return "met"
	}
	return "not met"
}

func (r *report) verdicts() []verdict {
	var vs []verdict
	// Engine: six events, fixes on and off, native and WASM.
	six := func(fixes bool, wasm bool) (float64, string) {
		src := r.sixNative
		eng := r.engNative
		if wasm {
			src, eng = r.sixWasm, r.engWasm
		}
		name := "BenchmarkSixEvents/noFixes"
		if fixes {
			name = "BenchmarkSixEvents/withFixes"
			// Package policy's own benchmark is the reference with fixes.
			if b, ok := eng["BenchmarkEvaluateSixEvents/withFixes"]; ok {
				return b.metrics["ns/op"], "policy BenchmarkEvaluateSixEvents/withFixes"
			}
			if b, ok := eng["BenchmarkEvaluateSixEvents"]; ok {
				return b.metrics["ns/op"], "policy BenchmarkEvaluateSixEvents"
			}
		} else if b, ok := eng["BenchmarkEvaluateSixEvents/noFixes"]; ok {
			return b.metrics["ns/op"], "policy BenchmarkEvaluateSixEvents/noFixes"
		}
		if b, ok := src[name]; ok {
			return b.metrics["ns/op"], "scripts/bench/engine " + strings.TrimPrefix(name, "Benchmark")
		}
		return 0, ""
	}
	for _, c := range []struct {
		wasm, fixes bool
	}{{false, true}, {false, false}, {true, true}, {true, false}} {
		ns, src := six(c.fixes, c.wasm)
		where, bar := "native", barNativeNs
		if c.wasm {
			where, bar = "WASM (Node)", barWasmNs
		}
		fx := "with fix search"
		if !c.fixes {
			fx = "without fix search"
		}
		v := verdict{bar: fmt.Sprintf("engine: 6-event scenario, %s, %s < %s", fx, where, fmtNs(bar))}
		if ns == 0 {
			v.missing = true
			v.note = r.why("engine")
		} else {
			v.measured, v.ok, v.note = fmtNs(ns), ns < bar, src
		}
		vs = append(vs, v)
	}
	// WASM size.
	v := verdict{bar: "site/main.wasm < 1 MB brotli"}
	switch {
	case r.wasmErr != "":
		v.missing, v.note = true, r.wasmErr
	case r.brotliErr != "":
		v.missing, v.note = true, r.brotliErr
	default:
		v.measured, v.ok = fmtBytes(r.wasmBrotl), float64(r.wasmBrotl) < barBrotliBytes
		v.note = fmt.Sprintf("%d bytes; 1 MB = 10^6 bytes", r.wasmBrotl)
	}
	vs = append(vs, v)
	// First result: the cold load is the bar (a first visit); a warm
	// reload is reported beside it.
	if len(r.first) == 0 {
		note := r.why("first-result")
		if r.siteBench != nil {
			note = "no first-result row in scripts/site-bench's output"
		}
		vs = append(vs, verdict{bar: "playground first result < 1 s after load (median)", missing: true, note: note})
	}
	for _, f := range r.first {
		note := r.why("first-result")
		bar, limit := "playground first result < 1 s after load", float64(barFirstResultMs)
		switch {
		case strings.Contains(f.kind, "throttled"):
			// Issue 14: 10 Mbit/s and a CPU 4× slower (site-bench's emulation).
			bar, limit = "playground first result < 1.5 s after load, 10 Mbit/s and CPU 4× slower", barThrottledMs
			if strings.Contains(f.kind, "before") {
				note = "for information: the page before issue 14, measured in the same run"
			}
		case strings.Contains(f.kind, "warm"):
			note = "for information: a first visit (cold) is the bar"
		}
		vs = append(vs, verdict{bar: fmt.Sprintf("%s (median of %d, %s)", bar, f.n, f.kind),
			measured: fmt.Sprintf("%.0f ms", f.medianMs), ok: f.medianMs < limit, note: note})
	}
	// Throughput ratios (product.md's bar: at least 1×; issue 15's goals
	// are in their own table).
	for _, row := range r.throughputRows() {
		v := verdict{bar: fmt.Sprintf("live %s, caplab (%s) ≥ 1× oidc-provider req/s (median of rounds)", row.op, row.label)}
		if row.ratio == 0 {
			v.missing, v.note = true, row.note
		} else {
			v.measured, v.ok = fmt.Sprintf("%.2f×", row.ratio), row.ratio >= barThroughput
			v.note = fmt.Sprintf("rounds %.2f–%.2f×", row.min, row.max)
			if row.label == "memory" {
				v.note = strings.TrimPrefix(v.note+"; like for like: oidc-provider's default adapter is in memory too; the embedded (durable) row is the bar", "; ")
			}
			if row.label == "dynamodb-local" {
				v.note = strings.TrimPrefix(v.note+"; DynamoDB Local is a Java emulator on the same cores, so this row measures it as much as caplab", "; ")
			}
		}
		vs = append(vs, v)
	}
	// Lambda init.
	inits := r.lambdaInits()
	if len(inits) == 0 {
		vs = append(vs, verdict{bar: "Lambda bootstrap init < 50 ms", missing: true, note: r.why("lambda")})
	}
	for _, li := range inits {
		vs = append(vs, verdict{bar: "Lambda " + li.name + " init < 50 ms", measured: fmt.Sprintf("%.1f ms", li.ms), ok: li.ms < barLambdaInitMs})
	}
	return vs
}

type lambdaInit struct {
	name string
	ms   float64
}

// lambdaInits finds init times in the lambda benchmark lines: a metric
// whose unit mentions init (in ms, µs or ns), else ns/op of a benchmark
// named …Init… or …Cold….
func (r *report) lambdaInits() []lambdaInit {
	var out []lambdaInit
	for _, b := range r.lambdaInit {
		name := strings.TrimPrefix(b.name, "Benchmark")
		found := false
		for unit, v := range b.metrics {
			u := strings.ToLower(unit)
			if !strings.Contains(u, "init") && !strings.Contains(u, "ready") {
				continue
			}
			switch {
			case strings.Contains(u, "ns"):
				v /= 1e6
			case strings.Contains(u, "µs"), strings.Contains(u, "us"):
				v /= 1e3
			}
			out = append(out, lambdaInit{name: name + " (" + unit + ")", ms: v})
			found = true
		}
		if !found && (strings.Contains(b.name, "Init") || strings.Contains(b.name, "Cold")) {
			if ns, ok := b.metrics["ns/op"]; ok {
				out = append(out, lambdaInit{name: name, ms: ns / 1e6})
			}
		}
	}
	if len(out) > 0 {
		return out
	}
	// Else the runtime-API test's log lines:
	// "api init (process start to first /next): 23.4ms".
	for _, m := range initLogRe.FindAllStringSubmatch(string(r.read("lambda-test.txt")), -1) {
		if d, err := time.ParseDuration(m[2]); err == nil {
			out = append(out, lambdaInit{name: m[1] + " (one cold start, TestInvokeThroughRuntimeAPI)", ms: float64(d.Microseconds()) / 1000})
		}
	}
	return out
}

var initLogRe = regexp.MustCompile(`(\S+) init \(process start to first /next\): ([0-9.]+(?:ns|µs|us|ms|s))`)

type tputRow struct {
	op, label string
	ratio     float64 // median req/s of caplab ÷ median req/s of oidc-provider
	min, max  float64 // the smallest and largest ratio of one round
	rounds    int
	note      string
}

var ops = []string{"client_credentials", "refresh_token", "introspection"}

// live is one server's operation over the rounds (label "" for
// oidc-provider), or nil when it never ran.
func (r *report) live(target, label, op string) *liveRow {
	var row liveRow
	var rps, p50, p99, cpu, lcpu []float64
	for _, l := range r.loads {
		if l.Target != target || l.Label != label || l.Op != op {
			continue
		}
		row.runs = append(row.runs, l)
		row.errors += l.Errors
		row.sent += l.Sent
		if row.firstError == "" {
			row.firstError = l.FirstError
		}
		if l.OK == 0 {
			continue
		}
		rps, p50, p99 = append(rps, l.RPS), append(p50, l.P50Ms), append(p99, l.P99Ms)
		if l.ServerCPUUs > 0 {
			cpu = append(cpu, l.ServerCPUUs)
		}
		if l.LoadCPUUs > 0 {
			lcpu = append(lcpu, l.LoadCPUUs)
		}
	}
	if len(row.runs) == 0 {
		return nil
	}
	if len(rps) > 0 {
		row.rps, row.min, row.max = median(rps), slices.Min(rps), slices.Max(rps)
	}
	row.p50, row.p99, row.cpu, row.loadCPU = median(p50), median(p99), median(cpu), median(lcpu)
	return &row
}

func (r *report) caplabLabels() []string {
	labels := []string{"embedded", "memory", "dynamodb-local"}
	for _, l := range r.loads {
		if l.Target == "caplab" && !slices.Contains(labels, l.Label) {
			labels = append(labels, l.Label)
		}
	}
	return labels
}

func (r *report) throughputRows() []tputRow {
	var rows []tputRow
	for _, label := range r.caplabLabels() {
		for _, op := range ops {
			rows = append(rows, r.throughput(label, op))
		}
	}
	return rows
}

// throughput compares caplab (label) with oidc-provider on op: the ratio
// of the medians, and the spread of the rounds' own ratios (each round ran
// both, one after the other).
func (r *report) throughput(label, op string) tputRow {
	row := tputRow{op: op, label: label}
	peer, mine := r.live("oidc-provider", "", op), r.live("caplab", label, op)
	switch {
	case peer == nil || peer.rps == 0:
		row.note = "oidc-provider row missing: " + r.why("live-oidc-provider")
		return row
	case mine == nil || mine.rps == 0:
		row.note = "caplab row missing: " + r.why("live-caplab-"+label)
		return row
	}
	row.ratio = mine.rps / peer.rps
	var per []float64
	for _, m := range mine.runs {
		for _, p := range peer.runs {
			if m.Round == p.Round && m.OK > 0 && p.OK > 0 {
				per = append(per, m.RPS/p.RPS)
			}
		}
	}
	row.rounds = len(per)
	if len(per) > 0 {
		row.min, row.max = slices.Min(per), slices.Max(per)
	}
	return row
}

// goal is one goal of issue 15 with its verdict.
type goal struct {
	what, target, measured, spread, margin string
	ok, missing                            bool
	note                                   string
}

func (g goal) word() string {
	switch {
	case g.missing:
		return "missing"
	case g.ok:
		return "met"
	}
	return "not met"
}

// goals are issue 15's goals: the embedded store's throughput against
// oidc-provider, and the DynamoDB round trips per request.
func (r *report) goals() []goal {
	var gs []goal
	for _, op := range ops {
		want := throughputGoals[op]
		row := r.throughput("embedded", op)
		g := goal{what: "live " + op + ", caplab embedded (bbolt, durable) ÷ oidc-provider req/s", target: fmt.Sprintf("≥ %.1f×", want)}
		if row.ratio == 0 {
			g.missing, g.note = true, row.note
		} else {
			g.measured = fmt.Sprintf("%.2f×", row.ratio)
			g.spread = fmt.Sprintf("%.2f–%.2f× over %d rounds", row.min, row.max, row.rounds)
			g.margin = fmt.Sprintf("%+.0f%%", (row.ratio/want-1)*100)
			g.ok = row.ratio >= want
		}
		gs = append(gs, g)
	}
	for _, eg := range engineGoals {
		gs = append(gs, r.engineGoal(eg.wasm, eg.before, eg.goal))
	}
	for _, rt := range roundTripGoals {
		g := goal{what: "DynamoDB round trips, " + rt.what, target: fmt.Sprintf("≤ %d", rt.limit)}
		n, found := 0, false
		for _, name := range rt.rows {
			if v, ok := r.roundTrips[name]; ok {
				n, found = max(n, v), true
			}
		}
		if !found {
			g.missing, g.note = true, r.why("roundtrips")
		} else {
			g.measured, g.margin, g.ok = strconv.Itoa(n), fmt.Sprintf("%+d", rt.limit-n), n <= rt.limit
			g.spread = "most of any request counted (TestDynamoDBRoundTrips)"
		}
		gs = append(gs, g)
	}
	return gs
}

// engineGoal judges the six-event scenario with fix search: its speedup
// over the engine before issue 15, both measured in this run, against the
// speedup the goal asks for (before ÷ goal on the machine).
func (r *report) engineGoal(wasm bool, before, target float64) goal {
	const name = "BenchmarkEvaluateSixEvents/withFixes"
	where, now, then := "native", r.engNative, r.beforeNative
	if wasm {
		where, now, then = "WASM (Node)", r.engWasm, r.beforeWasm
	}
	want := before / target
	g := goal{what: fmt.Sprintf("engine: 6-event scenario with fix search, %s, speedup over the engine at %s (before issue 15), same run", where, orDash(r.env["engine_baseline"])),
		target: fmt.Sprintf("≥ %.2f× (%s → %s on the issue's machine)", want, fmtNs(before), fmtNs(target))}
	n, okN := now[name]
	b, okB := then[name]
	if !okN || !okB || n.metrics["ns/op"] == 0 {
		g.missing, g.note = true, r.why("engine")
		if okN && !okB {
			g.note = "no run of the engine before issue 15: " + g.note
		}
		return g
	}
	speedup := b.metrics["ns/op"] / n.metrics["ns/op"]
	g.measured = fmt.Sprintf("%.2f×", speedup)
	g.spread = fmt.Sprintf("%s now, %s before (medians)", fmtNs(n.metrics["ns/op"]), fmtNs(b.metrics["ns/op"]))
	g.margin = fmt.Sprintf("%+.0f%%", (speedup/want-1)*100)
	g.ok = speedup >= want
	g.note = fmt.Sprintf("here %s ≙ %s on the issue's machine", fmtNs(n.metrics["ns/op"]), fmtNs(n.metrics["ns/op"]*before/b.metrics["ns/op"]))
	return g
}

// why is the status note of a part (or of the part it belongs to:
// "live" for "live-oidc-provider").
func (r *report) why(part string) string {
	for _, exact := range []bool{true, false} {
		for _, s := range r.status {
			if s.name == part || !exact && strings.HasPrefix(part, s.name+"-") {
				if s.note != "" {
					return s.status + ": " + s.note
				}
				return s.status
			}
		}
	}
	return "not run"
}

// ---------------------------------------------------------------- output

func (r *report) markdown() string {
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	p("# caplab benchmarks\n\n")
	p("Written by `make bench` (scripts/bench.sh, scripts/bench/report). How to read it: bench/README.md.\n\n")
	p("| | |\n|---|---|\n")
	for _, k := range []string{"date", "host", "cpu", "cores", "load_before", "go", "node", "chromium", "oidc_provider", "counts"} {
		if v, ok := r.env[k]; ok {
			p("| %s | %s |\n", k, mdEscape(v))
		}
	}
	p("\n## Goals (issue 15)\n\nThe engine's speedup over the engine before the issue (both measured in this run, so the goals set on another machine are judged as the speedup they ask for; the absolute bars are in the next table), the embedded store's throughput against oidc-provider (ratio of the median requests/s of %s interleaved rounds; the spread is the rounds' own ratios) and the DynamoDB requests of one request of each type, counted against DynamoDB Local.\n\n", orDash(r.env["rounds"]))
	p("| Goal | Target | Measured | Spread | Margin | Verdict | Note |\n|---|---|---|---|---|---|---|\n")
	for _, g := range r.goals() {
		p("| %s | %s | %s | %s | %s | **%s** | %s |\n", mdEscape(g.what), g.target, orDash(g.measured), orDash(g.spread), orDash(g.margin), g.word(), mdEscape(g.note))
	}
	p("\n## Quality bars\n\n| Bar | Measured | Verdict | Note |\n|---|---|---|---|\n")
	for _, v := range r.verdicts() {
		p("| %s | %s | **%s** | %s |\n", mdEscape(v.bar), orDash(v.measured), v.word(), mdEscape(v.note))
	}

	// 1. Engine.
	p("\n## 1. Engine: native vs WASM (same benchmark source)\n\n")
	p("Package policy's benchmarks run natively (`go test -bench`) and as GOOS=js GOARCH=wasm under Node (`go_js_wasm_exec`, the toolchain's wasm_exec.js). " +
		"The six-event rows without fix search come from scripts/bench/engine (the same preset; one source built for both targets). " +
		"Each benchmark runs several times (BENCH_ENGINE_COUNT, -count) and the median run is shown: not the fastest, and not the first run in a fresh Node process, which includes V8's tier-up to optimised WebAssembly code. " +
		"The WASM builds use the shipped module's compiler flags (Makefile WASM_GCFLAGS).\n\n")
	if len(r.engOrder) == 0 && len(r.sixNative) == 0 {
		p("Missing: %s\n", r.why("engine"))
	} else {
		p("| Benchmark | native ns/op | native allocs/op | native B/op | WASM ns/op | WASM allocs/op | WASM/native |\n|---|---:|---:|---:|---:|---:|---:|\n")
		row := func(name string, nat, was bench, okN, okW bool) {
			cell := func(ok bool, b bench, unit string) string {
				if !ok {
					return "–"
				}
				v, has := b.metrics[unit]
				if !has {
					return "–"
				}
				if unit == "ns/op" {
					return fmtNs(v)
				}
				return fmt.Sprintf("%.0f", v)
			}
			ratio := "–"
			if okN && okW && nat.metrics["ns/op"] > 0 {
				ratio = fmt.Sprintf("%.1f×", was.metrics["ns/op"]/nat.metrics["ns/op"])
			}
			p("| %s | %s | %s | %s | %s | %s | %s |\n", strings.TrimPrefix(name, "Benchmark"),
				cell(okN, nat, "ns/op"), cell(okN, nat, "allocs/op"), cell(okN, nat, "B/op"),
				cell(okW, was, "ns/op"), cell(okW, was, "allocs/op"), ratio)
		}
		for _, name := range r.engOrder {
			n, okN := r.engNative[name]
			w, okW := r.engWasm[name]
			row(name, n, w, okN, okW)
		}
		for _, name := range []string{"BenchmarkSixEvents/noFixes", "BenchmarkSixEvents/withFixes"} {
			n, okN := r.sixNative[name]
			w, okW := r.sixWasm[name]
			if okN || okW {
				row(name+" (scripts/bench/engine)", n, w, okN, okW)
			}
		}
		if gm, n := r.geomeanRatio(); n > 0 {
			p("\nGeometric mean of WASM/native over %d benchmarks: **%.1f×**.\n", n, gm)
		}
	}

	// 2. WASM module.
	p("\n## 2. WASM module\n\n")
	if r.wasmErr != "" {
		p("Missing: %s\n", r.wasmErr)
	} else {
		br := "n/a (" + r.brotliErr + ")"
		if r.brotliErr == "" {
			br = fmtBytes(r.wasmBrotl)
		}
		p("| %s | raw | gzip -9 | brotli -q 11 |\n|---|---:|---:|---:|\n| size | %s | %s | %s |\n", r.wasmPath, fmtBytes(r.wasmRaw), fmtBytes(r.wasmGzip), br)
		p("| bytes | %d | %d | %d |\n\nMB here is 10^6 bytes (scripts/site-bench below counts MiB).\n", r.wasmRaw, r.wasmGzip, r.wasmBrotl)
	}
	p("\nTime from navigation start to the first result on screen (`window.__caplabFirstResultMs`) in headless Chromium, " +
		"from the playground's scripts/site-bench (cold: a fresh browser context per load, nothing cached; warm: reloads). Its output:\n\n")
	switch {
	case r.siteBench != nil:
		p("%s\n", demote(string(r.siteBench)))
	case len(r.first) > 0:
		for _, f := range r.first {
			p("- %s: median **%.0f ms** over %d loads (%s).\n", f.kind, f.medianMs, f.n, mdEscape(r.why("first-result")))
		}
	default:
		p("Missing: %s\n", r.why("first-result"))
	}

	// 3. Live endpoints.
	p("\n## 3. Live endpoints vs node oidc-provider\n\n")
	if v, ok := r.targets["oidc-provider"]["version"]; ok {
		p("oidc-provider %v (in-memory adapter) and caplab on 127.0.0.1. ", v)
	}
	if len(r.loads) > 0 {
		l := r.loads[0]
		p("Each server runs in every round, in turn (a fresh process each round, the order rotating), and each of its operations gets %.0f s of warm-up "+
			"and a %.0f s timed run from %d keep-alive workers; the client authenticates with HTTP Basic on every request. "+
			"req/s is the median of the rounds, with the smallest and largest; p50 and p99 (of one run's successful requests) and the server's CPU per request "+
			"(user + system time from /proc, over the timed run) are medians too. Ratio = caplab's median req/s ÷ oidc-provider's (above 1 is faster than the peer).\n\n",
			l.WarmupS, l.DurationS, l.Concurrency)
	}
	if r.disk != nil {
		p("The disk under the benchmark's data: fdatasync after one 4 KiB page p50 **%.0f µs** (p90 %.0f µs); a commit as bbolt makes it (%0.f pages, fdatasync, the meta page, fdatasync) p50 **%.0f µs** (p90 %.0f µs). "+
			"The embedded store commits once per request, or once for all the requests that arrive while a commit runs (group commit), so its writing rows wait on this.\n\n",
			r.disk["fdatasync_p50_us"], r.disk["fdatasync_p90_us"], r.disk["commit_pages"], r.disk["commit_p50_us"], r.disk["commit_p90_us"])
	} else {
		p("The disk's fdatasync latency is missing: %s\n\n", mdEscape(r.why("disk")))
	}
	if len(r.loads) == 0 {
		p("Missing: %s\n", r.why("live-oidc-provider"))
	} else {
		p("| Operation | Server | Store | req/s (median) | spread | p50 ms | p99 ms | server CPU µs/req | errors / sent | ratio (rounds) |\n|---|---|---|---:|---|---:|---:|---:|---:|---|\n")
		cells := func(op, server, store string, row *liveRow, ratio string) {
			if row == nil {
				p("| %s | %s | %s | missing | | | | | | |\n", op, server, store)
				return
			}
			p("| %s | %s | %s | %.0f | %.0f–%.0f | %.2f | %.2f | %.0f | %d / %d | %s |\n", op, server, store, row.rps, row.min, row.max,
				row.p50, row.p99, row.cpu, row.errors, row.sent, ratio)
		}
		for _, op := range ops {
			cells(op, "oidc-provider", "memory", r.live("oidc-provider", "", op), "1")
			for _, label := range r.caplabLabels() {
				m := r.live("caplab", label, op)
				if m == nil {
					p("| %s | caplab | %s | missing: %s | | | | | | |\n", op, label, mdEscape(r.why("live-caplab-"+label)))
					continue
				}
				ratio := "–"
				if t := r.throughput(label, op); t.ratio > 0 {
					ratio = fmt.Sprintf("**%.2f×** (%.2f–%.2f×)", t.ratio, t.min, t.max)
				}
				cells(op, "caplab", label, m, ratio)
			}
		}
		var errs []string
		for _, l := range r.loads {
			if l.Errors > 0 {
				errs = append(errs, fmt.Sprintf("%s/%s/%s round %d: %d of %d requests failed, first: %s", l.Target, orDash(l.Label), l.Op, l.Round, l.Errors, l.Sent, l.FirstError))
			}
		}
		if len(errs) > 0 {
			p("\nErrors (requests that were sent and failed):\n\n")
			for _, e := range errs {
				p("- %s\n", mdEscape(e))
			}
		}
	}
	if len(r.roundTrips) > 0 {
		p("\nDynamoDB requests of one request of each type (TestDynamoDBRoundTrips, DynamoDB Local behind a counting HTTP client; the most any one request made):\n\n| Request | round trips |\n|---|---:|\n")
		var names []string
		for n := range r.roundTrips {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			p("| %s | %d |\n", n, r.roundTrips[n])
		}
	}

	// 4. Lambda.
	p("\n## 4. Lambda bootstraps\n\n")
	if len(r.lambdaBins) > 0 {
		p("Built by `make -f infra/Makefile all` (linux/arm64, -tags lambda.norpc, -trimpath, -s -w); zipped with deflate -9 as a deployment package would be.\n\n| Function | bootstrap | zipped (deployment package) |\n|---|---:|---:|\n")
		for _, lb := range r.lambdaBins {
			p("| %s | %s | %s |\n", lb.name, fmtBytes(lb.raw), fmtBytes(lb.zipd))
		}
	} else {
		p("Binary sizes missing: %s\n", r.why("lambda-build"))
	}
	if inits := r.lambdaInits(); len(inits) > 0 {
		p("\n| Init (process start to first /next poll of the runtime API) | ms |\n|---|---:|\n")
		for _, li := range inits {
			p("| %s | %.1f |\n", li.name, li.ms)
		}
	} else {
		p("\nCold init time missing: %s\n", r.why("lambda"))
	}
	// Latency metrics (…-p50-µs, …-p99-µs) of other benchmarks in the same
	// output, e.g. the DynamoDB store's operations against DynamoDB Local.
	for _, b := range r.lambdaInit {
		var names []string
		for unit := range b.metrics {
			if n, ok := strings.CutSuffix(unit, "-p50-µs"); ok {
				names = append(names, n)
			}
		}
		if len(names) == 0 {
			continue
		}
		sort.Strings(names)
		p("\n%s (%s, %d each):\n\n| operation | p50 µs | p99 µs |\n|---|---:|---:|\n", strings.TrimPrefix(b.name, "Benchmark"), b.pkg, b.n)
		for _, n := range names {
			p("| %s | %s | %s |\n", n, metric(b, n+"-p50-µs"), metric(b, n+"-p99-µs"))
		}
	}
	p("\nWhat a local measurement cannot show: the bootstraps are built for linux/arm64 (as deployed, sizes above), but this machine runs the host-arch build of the same source, " +
		"on its own CPU, against fakes on 127.0.0.1. Lambda's own part of a cold start is not in it: placing and starting the microVM, fetching and unpacking the deployment package, " +
		"the Graviton core's speed at the function's memory setting, the execution role's credentials, and the network round trips to Secrets Manager, SSM and DynamoDB " +
		"(each a few ms in the same region). Read the init times as the function's own work, a lower bound of what CloudWatch's Init Duration shows.\n")
	if raw := r.read("lambda-init.txt"); len(raw) > 0 {
		p("\n<details><summary>Raw output of the Lambda benchmark script</summary>\n\n```\n%s```\n\n</details>\n", raw)
	}

	// 5. Relay.
	p("\n## 5. Relay callback\n\n")
	if len(r.relay) == 0 {
		p("Missing: %s\n", r.why("relay"))
	} else {
		p("Sequential callbacks through a real loopback server with pre-created flows (lambda/relay's relaytest.CallbackLatency).\n\n| Benchmark | store | callbacks | p50 µs | p99 µs |\n|---|---|---:|---:|---:|\n")
		for _, b := range r.relay {
			p("| %s | %s | %d | %s | %s |\n", strings.TrimPrefix(b.name, "Benchmark"), storeOf(b.pkg), b.n,
				metric(b, "p50-µs"), metric(b, "p99-µs"))
		}
	}

	// Parts.
	p("\n## Parts\n\n| Part | Status | Note |\n|---|---|---|\n")
	for _, s := range r.status {
		p("| %s | %s | %s |\n", s.name, s.status, mdEscape(s.note))
	}
	return b.String()
}

// demote turns a quoted report's headings into level-3 headings.
func demote(md string) string {
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(md), "\n") {
		if strings.HasPrefix(line, "#") {
			line = "### " + strings.TrimLeft(line, "# ")
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n") + "\n"
}

func storeOf(pkg string) string {
	switch {
	case strings.HasSuffix(pkg, "/relay"):
		return "memory"
	case strings.HasSuffix(pkg, "/boltstore"):
		return "embedded (bbolt)"
	case strings.HasSuffix(pkg, "/dynamostore"):
		return "DynamoDB Local"
	}
	return pkg
}

func metric(b bench, unit string) string {
	if v, ok := b.metrics[unit]; ok {
		return fmt.Sprintf("%.0f", v)
	}
	return "–"
}

func (r *report) geomeanRatio() (float64, int) {
	sum, n := 0.0, 0
	for _, name := range r.engOrder {
		a, okA := r.engNative[name]
		w, okW := r.engWasm[name]
		if okA && okW && a.metrics["ns/op"] > 0 && w.metrics["ns/op"] > 0 {
			sum += math.Log(w.metrics["ns/op"] / a.metrics["ns/op"])
			n++
		}
	}
	if n == 0 {
		return 0, 0
	}
	return math.Exp(sum / float64(n)), n
}

func (r *report) summary(out string) string {
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	p("\ncaplab benchmarks (%s)\n", out)
	if gm, n := r.geomeanRatio(); n > 0 {
		p("  engine WASM/native: %.1f× (geometric mean of %d benchmarks)\n", gm, n)
	}
	for _, row := range r.throughputRows() {
		if row.ratio > 0 {
			peer, mine := r.live("oidc-provider", "", row.op), r.live("caplab", row.label, row.op)
			p("  %-18s caplab/%s vs oidc-provider: %.2f× (rounds %.2f–%.2f×; %.0f vs %.0f req/s)\n", row.op, row.label, row.ratio, row.min, row.max, mine.rps, peer.rps)
		}
	}
	p("\n  goals (issue 15):\n")
	for _, g := range r.goals() {
		m := g.measured
		if m == "" {
			m = g.note
		}
		p("  [%s] %s %s: %s\n", g.word(), g.what, g.target, m)
	}
	p("\n  quality bars:\n")
	for _, v := range r.verdicts() {
		m := v.measured
		if m == "" {
			m = v.note
		}
		p("  [%s] %s: %s\n", v.word(), v.bar, m)
	}
	var failed []string
	for _, s := range r.status {
		if s.status != "ok" {
			failed = append(failed, s.name+" ("+s.status+")")
		}
	}
	if len(failed) > 0 {
		p("\n  parts not ok: %s (see the Parts table in %s)\n", strings.Join(failed, ", "), out)
	} else {
		p("\n  every part ran\n")
	}
	return b.String()
}

func fmtNs(ns float64) string {
	switch {
	case ns >= 1e6:
		return fmt.Sprintf("%.2f ms", ns/1e6)
	case ns >= 1e3:
		return fmt.Sprintf("%.1f µs", ns/1e3)
	}
	return fmt.Sprintf("%.0f ns", ns)
}

func fmtBytes(n int64) string {
	switch {
	case n >= 1e6:
		return fmt.Sprintf("%.2f MB", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	}
	return fmt.Sprintf("%d B", n)
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

func mdEscape(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", " ")
}
