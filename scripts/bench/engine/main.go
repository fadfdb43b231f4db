// Command engine benchmarks the six-event scenario with and without fix
// search, which package policy's BenchmarkEvaluateSixEvents (fixes on)
// covers only half of. It is built twice from this one source, natively and
// for GOOS=js GOARCH=wasm (run under Node by go_js_wasm_exec), and prints
// `go test -bench` lines that scripts/bench/report reads:
//
//	go run ./scripts/bench/engine -benchtime 200x
//	GOOS=js GOARCH=wasm go build -gcflags=all=-l -trimpath -ldflags='-s -w' -o engine.wasm ./scripts/bench/engine
//	go_js_wasm_exec engine.wasm -benchtime 200x
//
// (the WASM build with the shipped module's flags: Makefile WASM_GCFLAGS).
// Each benchmark runs -count times (default 5); the report shows the
// median run, which also leaves out the first WASM run's V8 tier-up.
//
// Timing and allocation counting are testing.Benchmark's, with a fixed
// iteration count so that a run is bounded.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"testing"

	"github.com/caplab/caplab/policy"
)

// sixEventPreset is the preset policy's BenchmarkEvaluateSixEvents uses.
const sixEventPreset = "refresh-token-idle-expiry"

func main() {
	testing.Init()
	benchtime := flag.String("benchtime", "200x", "iterations per benchmark (NNNx) or a duration")
	preset := flag.String("preset", sixEventPreset, "the six-event preset")
	count := flag.Int("count", 5, "run each benchmark this many times (the report shows the median; the first WASM run includes V8's tier-up)")
	flag.Parse()
	if err := flag.Set("test.benchtime", *benchtime); err != nil {
		fmt.Fprintln(os.Stderr, "engine: -benchtime:", err)
		os.Exit(2)
	}
	data, ok := policy.Preset(*preset)
	if !ok {
		fmt.Fprintln(os.Stderr, "engine: no preset", *preset)
		os.Exit(1)
	}
	s, err := policy.Decode(data)
	if err != nil {
		fmt.Fprintln(os.Stderr, "engine: preset does not decode:", err)
		os.Exit(1)
	}
	if n := len(s.Events); n != 6 {
		fmt.Fprintf(os.Stderr, "engine: preset %s has %d events; want 6\n", *preset, n)
		os.Exit(1)
	}
	fmt.Printf("goos: %s\ngoarch: %s\npkg: github.com/caplab/caplab/scripts/bench/engine\n", runtime.GOOS, runtime.GOARCH)
	for range max(1, *count) {
		run(s)
	}
	fmt.Println("PASS")
}

// run benchmarks the scenario without and with fix search.
func run(s *policy.Scenario) {
	for _, fixes := range []bool{false, true} {
		name := "noFixes"
		if fixes {
			name = "withFixes"
		}
		r := testing.Benchmark(func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				policy.Evaluate(s, policy.Options{NoFixes: !fixes})
			}
		})
		if r.N == 0 {
			fmt.Fprintln(os.Stderr, "engine: benchmark", name, "did not run")
			os.Exit(1)
		}
		fmt.Printf("BenchmarkSixEvents/%s\t%s\t%s\n", name, r.String(), r.MemString())
	}
}
