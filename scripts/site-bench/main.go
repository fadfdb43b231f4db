// Command site-bench measures the playground: the size of the WebAssembly
// engine (raw, gzip, brotli) and the time from navigation start to the
// first result shown (window.__caplabFirstResultMs), as the median of
// several loads in headless Chromium, cold (a fresh browser context each
// time: nothing cached) and warm (reloads: HTTP and code caches filled).
//
//	go run ./scripts/site-bench [-n 7] [-wasm site/main.wasm] [-o build/site-bench.md]
//
// It builds the engine into a temporary directory unless -wasm names one.
// The server listens on 127.0.0.1 only. Output is a Markdown table.
package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/chromedp/chromedp"
)

const sizeBar = 1_000_000 // product bar: under 1 MB (10^6 bytes) brotli

func main() {
	n := flag.Int("n", 7, "page loads per measurement")
	wasmPath := flag.String("wasm", "", "use this main.wasm instead of building one")
	out := flag.String("o", "", "also write the report to this file")
	chromium := flag.String("chromium", "/usr/bin/chromium", "Chromium executable")
	flag.Parse()
	report, err := run(*n, *wasmPath, *chromium)
	if err != nil {
		fmt.Fprintln(os.Stderr, "site-bench:", err)
		os.Exit(1)
	}
	fmt.Print(report)
	if *out != "" {
		if err := os.MkdirAll(filepath.Dir(*out), 0o755); err == nil {
			err = os.WriteFile(*out, []byte(report), 0o644)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "site-bench:", err)
			os.Exit(1)
		}
	}
}

func run(n int, wasmPath, chromium string) (string, error) {
	tmp, err := os.MkdirTemp("", "caplab-site-bench")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	wasmExec := filepath.Join("site", "wasm_exec.js")
	if wasmPath == "" {
		wasmPath = filepath.Join(tmp, "main.wasm")
		cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-gcflags=github.com/caplab/caplab/...=-l", // as make wasm
			"-o", wasmPath, "./wasm")
		cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
		if b, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("building the engine: %v\n%s", err, b)
		}
		goroot, err := exec.Command("go", "env", "GOROOT").Output()
		if err != nil {
			return "", err
		}
		wasmExec = filepath.Join(strings.TrimSpace(string(goroot)), "lib", "wasm", "wasm_exec.js")
	}
	raw, err := os.ReadFile(wasmPath)
	if err != nil {
		return "", fmt.Errorf("%v (run make wasm, or omit -wasm)", err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "## Playground\n\n| measure | value |\n|---|---|\n")
	fmt.Fprintln(os.Stderr, "site-bench: compressing main.wasm (brotli q11 takes a while)…")
	gz, br := gzipSize(raw), brotliSize(raw)
	verdict := "meets"
	if br >= sizeBar {
		verdict = "MISSES"
	}
	fmt.Fprintf(&b, "| main.wasm raw | %s |\n| main.wasm gzip -9 | %s |\n| main.wasm brotli q11 | %s (%s the 1 MB bar: %.2f×) |\n",
		mb(len(raw)), mb(gz), mb(br), verdict, float64(br)/sizeBar)

	if _, err := os.Stat(chromium); err != nil {
		fmt.Fprintf(&b, "| first result | not measured: install Chromium: apt-get install -y chromium |\n")
		return b.String(), nil
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /main.wasm", func(w http.ResponseWriter, r *http.Request) { http.ServeFile(w, r, wasmPath) })
	mux.HandleFunc("GET /wasm_exec.js", func(w http.ResponseWriter, r *http.Request) { http.ServeFile(w, r, wasmExec) })
	mux.Handle("/", http.FileServer(http.Dir("site")))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	defer srv.Close()
	base := "http://" + ln.Addr().String() + "/"

	alloc, cancel := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromium), chromedp.UserDataDir(filepath.Join(tmp, "chromium")),
		chromedp.Flag("headless", true), chromedp.Flag("no-sandbox", true), chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("no-first-run", true), chromedp.WindowSize(1440, 1000))
	defer cancel()
	browser, cancelB := chromedp.NewContext(alloc)
	defer cancelB()
	if err := chromedp.Do(browser); err != nil {
		return "", fmt.Errorf("starting Chromium: %v", err)
	}
	type timings struct {
		EngineReadyMs   float64 `json:"engineReadyMs"`
		FirstEvaluateMs float64 `json:"firstEvaluateMs"`
		FirstResultMs   float64 `json:"firstResultMs"`
	}
	load := func(ctx context.Context, query string) (timings, error) {
		ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		defer cancel()
		if err := chromedp.Do(ctx, chromedp.Navigate(base+query)); err != nil {
			return timings{}, fmt.Errorf("navigate: %v", err)
		}
		if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](`document.body.dataset.state === 'ready' || document.body.dataset.state === 'error'`)); err != nil {
			return timings{}, fmt.Errorf("waiting for the page: %v", err)
		}
		return chromedp.Run(ctx, chromedp.Evaluate[timings](`window.__caplabTimings || {firstResultMs: -1}`))
	}
	fmt.Fprintf(os.Stderr, "site-bench: loading the page %d times cold and %d times warm…\n", n, n)
	var cold, warm []timings
	for range n {
		ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
		ms, err := load(ctx, "")
		if err == nil && ms.FirstResultMs > 0 {
			cold = append(cold, ms)
		}
		cancel()
		if err != nil {
			return "", fmt.Errorf("cold load: %v", err)
		}
	}
	ctx, cancelW := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	defer cancelW()
	if err := chromedp.Do(ctx); err != nil { // open the tab outside load's timeout
		return "", err
	}
	if _, err := load(ctx, ""); err != nil {
		return "", fmt.Errorf("warm-up load: %v", err)
	}
	for i := range n {
		ms, err := load(ctx, fmt.Sprintf("?warm=%d", i))
		if err != nil {
			return "", fmt.Errorf("warm load: %v", err)
		}
		if ms.FirstResultMs > 0 {
			warm = append(warm, ms)
		}
	}
	for _, m := range []struct {
		name string
		runs []timings
	}{{"cold load", cold}, {"warm reload", warm}} {
		pick := func(f func(timings) float64) float64 {
			v := make([]float64, len(m.runs))
			for i, r := range m.runs {
				v[i] = f(r)
			}
			return median(v)
		}
		first := pick(func(t timings) float64 { return t.FirstResultMs })
		fmt.Fprintf(&b, "| first result, %s (median of %d) | %s (bar 1000 ms: %.2f×); engine ready at %s, first evaluate %s |\n",
			m.name, len(m.runs), msStr(first), first/1000,
			msStr(pick(func(t timings) float64 { return t.EngineReadyMs })), msStr(pick(func(t timings) float64 { return t.FirstEvaluateMs })))
	}
	return b.String(), nil
}

func gzipSize(b []byte) int {
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	w.Write(b)
	w.Close()
	return buf.Len()
}

func brotliSize(b []byte) int {
	var buf bytes.Buffer
	w := brotli.NewWriterLevel(&buf, brotli.BestCompression)
	io.Copy(w, bytes.NewReader(b))
	w.Close()
	return buf.Len()
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return -1
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

func mb(n int) string { return fmt.Sprintf("%d bytes (%.2f MB)", n, float64(n)/1e6) }

func msStr(ms float64) string {
	if ms < 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.0f ms", ms)
}
