// Command worker is `make bench`'s Cloudflare Worker part (scripts/bench.sh
// part_worker): the Worker's bundle under local workerd (wrangler dev,
// miniflare's local D1), beside the Lambda harness and `caplab serve`.
//
//	worker -bundle build/bench/worker -raw build/bench -load build/bench/bin/load -setup build/bench/bin/caplabsetup
//
// It measures the cold start (wrangler ready to the first answer: workerd
// compiles the module and the Go program starts, once per isolate), runs
// the live-endpoint load (scripts/bench/load, target "caplab-worker": not
// one of the report's caplab rows, whose quality bars are the embedded
// store's) and the CPU time
// workerd spent per request of each operation (its processes' user+system
// time over the run, /proc), and writes worker.json and worker.md.
// Everything is on 127.0.0.1; wrangler's phoning home is off
// (workertest.QuietEnv).
package main

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/caplab/caplab/worker/workertest"
)

// clockTicks is the kernel's USER_HZ, the unit of /proc/PID/stat times.
const clockTicks = 100

// Cloudflare's CPU time per request: the free plan's limit (the paid
// plan's default is 30 s).
const freePlanCPU = 10 * time.Millisecond

// loadResult is the part of scripts/bench/load's output shown here.
type loadResult struct {
	Sent        int     `json:"sent"`
	WarmupSent  int     `json:"warmup_sent"`
	RPS         float64 `json:"rps"`
	P50Ms       float64 `json:"p50_ms"`
	P99Ms       float64 `json:"p99_ms"`
	Concurrency int     `json:"concurrency"`
}

type result struct {
	Loads       map[string]loadResult `json:"loads"`
	ColdStarts  []float64             `json:"coldStartMs"` // per isolate: module compile + Go start + first answer
	PerRequest  []float64             `json:"perRequestMs"`
	CPUPerReqMs map[string]float64    `json:"cpuPerRequestMs"` // by load operation
}

func main() {
	bundle := flag.String("bundle", "", "the Worker bundle (scripts/worker-build -o)")
	raw := flag.String("raw", "build/bench", "raw output directory")
	loadBin := flag.String("load", "", "scripts/bench/load binary")
	setupBin := flag.String("setup", "", "scripts/bench/caplabsetup binary")
	cold := flag.Int("cold", 3, "cold starts to measure (a fresh wrangler dev each)")
	c := flag.Int("c", 8, "concurrent workers")
	warmup := flag.String("warmup", "3s", "untimed warm-up before each timed run")
	duration := flag.String("duration", "5s", "each timed run")
	flag.Parse()
	if err := run(*bundle, *raw, *loadBin, *setupBin, *cold, *c, *warmup, *duration); err != nil {
		fmt.Fprintln(os.Stderr, "worker bench:", err)
		os.Exit(1)
	}
}

func run(bundle, raw, loadBin, setupBin string, cold, c int, warmup, duration string) error {
	secrets, err := newSecrets()
	if err != nil {
		return err
	}
	start := func(mode string) (*workertest.Dev, error) {
		port, err := workertest.FreePort()
		if err != nil {
			return nil, err
		}
		return workertest.Start(workertest.Options{Bundle: bundle, Assets: true, Port: port, Secrets: secrets, ReadyPath: "/index.html",
			Vars: map[string]string{"CAPLAB_BASE_URLS": fmt.Sprintf("http://127.0.0.1:%d", port), "GO_INSTANCE": mode}})
	}
	var res result
	for range cold {
		d, err := start("shared")
		if err != nil {
			return err
		}
		ms, err := firstAnswer(d.URL)
		d.Stop()
		if err != nil {
			return err
		}
		res.ColdStarts = append(res.ColdStarts, ms)
	}

	// syumai/workers' own model: a Go program per request.
	d, err := start("per-request")
	if err != nil {
		return err
	}
	firstAnswer(d.URL)
	for range 10 {
		ms, err := firstAnswer(d.URL)
		if err != nil {
			d.Stop()
			return err
		}
		res.PerRequest = append(res.PerRequest, ms)
	}
	d.Stop()

	d, err = start("shared")
	if err != nil {
		return err
	}
	defer d.Stop()
	if _, err := firstAnswer(d.URL); err != nil {
		return err
	}
	target := filepath.Join(raw, "target-caplab-worker.json")
	if out, err := exec.Command(setupBin, "-base", d.URL, "-mode", "rfc", "-name", "caplab-worker", "-target", target).CombinedOutput(); err != nil {
		return fmt.Errorf("caplabsetup: %v\n%s", err, out)
	}
	res.CPUPerReqMs = map[string]float64{}
	// The floor: a request the Go program answers without D1 (a host the
	// Worker is not configured for, 421).
	before, err := workerdCPU(d)
	if err != nil {
		return err
	}
	const floorN = 500
	for range floorN {
		req, _ := http.NewRequest(http.MethodGet, d.URL+"/api/scenarios/x", nil)
		req.Host = "bench.invalid"
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMisdirectedRequest {
			return fmt.Errorf("floor request: %d; want 421", resp.StatusCode)
		}
	}
	after, err := workerdCPU(d)
	if err != nil {
		return err
	}
	res.CPUPerReqMs["floor (421, no D1)"] = float64((after - before).Microseconds()) / 1000 / floorN
	for _, op := range []string{"refresh_token", "introspection", "client_credentials"} {
		before, err := workerdCPU(d)
		if err != nil {
			return err
		}
		out, err := exec.Command(loadBin, "-target", target, "-label", "workerd", "-op", op, "-c", strconv.Itoa(c),
			"-warmup", warmup, "-duration", duration, "-o", filepath.Join(raw, "load-caplab-worker-"+op+".json")).CombinedOutput()
		if err != nil {
			return fmt.Errorf("load %s: %v\n%s", op, err, out)
		}
		after, err := workerdCPU(d)
		if err != nil {
			return err
		}
		var l loadResult
		b, _ := os.ReadFile(filepath.Join(raw, "load-caplab-worker-"+op+".json"))
		json.Unmarshal(b, &l)
		if res.Loads == nil {
			res.Loads = map[string]loadResult{}
		}
		res.Loads[op] = l
		res.CPUPerReqMs[op] = float64((after - before).Microseconds()) / 1000 / float64(l.Sent+l.WarmupSent)
	}
	b, _ := json.MarshalIndent(res, "", "  ")
	if err := os.WriteFile(filepath.Join(raw, "worker.json"), b, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(raw, "worker.md"), []byte(markdown(res)), 0o644)
}

// firstAnswer times one request that reaches the Go program.
func firstAnswer(base string) (float64, error) {
	t0 := time.Now()
	resp, err := (&http.Client{Timeout: time.Minute}).Get(base + "/api/scenarios/bench-missing")
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		return 0, fmt.Errorf("GET /api/scenarios/bench-missing: %d; want 404 from the Go program", resp.StatusCode)
	}
	return float64(time.Since(t0).Microseconds()) / 1000, nil
}

// workerdCPU is the user+system time of the dev server's workerd
// processes (wrangler's own Node processes excluded). Locally that is the
// Worker, workerd's HTTP plumbing and miniflare's D1 (SQLite in the same
// process), so it bounds the Worker's billed CPU from above; the floor
// row, a request without D1, shows the plumbing's share.
func workerdCPU(d *workertest.Dev) (time.Duration, error) {
	pids, err := d.WorkerdPIDs()
	if err != nil {
		return 0, err
	}
	var ticks int64
	for _, pid := range pids {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
		ut, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		ticks += ut + st
	}
	return time.Duration(ticks) * time.Second / clockTicks, nil
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

func markdown(r result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n## Cloudflare Worker on local workerd\n\n")
	fmt.Fprintf(&b, "The Worker's bundle (`make worker`) under `wrangler dev` (workerd, miniflare's local D1) on this machine (scripts/bench/worker).\n\n")
	fmt.Fprintf(&b, "| measure | value |\n|---|---|\n")
	fmt.Fprintf(&b, "| cold start (module compile + Go start + first answer), median of %d | %.0f ms |\n", len(r.ColdStarts), median(r.ColdStarts))
	fmt.Fprintf(&b, "| a Go program per request (syumai/workers' default model), median of %d | %.0f ms per request |\n", len(r.PerRequest), median(r.PerRequest))
	ops := []string{"floor (421, no D1)", "client_credentials", "refresh_token", "introspection"}
	for _, op := range ops {
		v := r.CPUPerReqMs[op]
		plan := "fits the free plan's 10 ms"
		if time.Duration(v*float64(time.Millisecond)) > freePlanCPU {
			plan = "needs the paid plan (free: 10 ms)"
		}
		fmt.Fprintf(&b, "| workerd CPU per %s request | %.2f ms (%s) |\n", op, v, plan)
	}
	fmt.Fprintf(&b, "\nLocally workerd's CPU is the Worker's, workerd's HTTP plumbing's (the floor row) and miniflare's D1's (SQLite in the same process): an upper bound of what Cloudflare bills as the Worker's CPU.\n\n")
	fmt.Fprintf(&b, "| token endpoint on local workerd | req/s | p50 | p99 |\n|---|---|---|---|\n")
	for _, op := range ops[1:] {
		l := r.Loads[op]
		fmt.Fprintf(&b, "| %s (%d workers, one isolate) | %.0f | %.1f ms | %.1f ms |\n", op, l.Concurrency, l.RPS, l.P50Ms, l.P99Ms)
	}
	return b.String()
}

// newSecrets are fresh keys for the bench's Worker.
func newSecrets() (map[string]string, error) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	ck := make([]byte, 32)
	rand.Read(ck)
	return map[string]string{
		"CAPLAB_SIGNING_KEY": string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"CAPLAB_COOKIE_KEY":  base64.StdEncoding.EncodeToString(ck),
	}, nil
}
