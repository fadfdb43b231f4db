// Command worker-build builds the Cloudflare Worker's upload (`make
// worker`): build/worker/{app.wasm, wasm_exec.js, entry.mjs, site/} from
// ./worker and the site build, and prints its sizes against Cloudflare's
// script size limits.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/caplab/caplab/worker/bundle"
)

// Cloudflare's limits on a Worker's script, gzip'd (the static assets do
// not count: each file may be up to 25 MiB).
const (
	freePlanLimit = 3 << 20
	paidPlanLimit = 10 << 20
)

func main() {
	out := flag.String("o", "build/worker", "output directory")
	site := flag.String("site", "build/site", "the site build to stage as static assets")
	flag.Parse()
	rep, err := bundle.Build(bundle.Options{Root: ".", Out: *out, Site: *site})
	if err != nil {
		fmt.Fprintln(os.Stderr, "worker-build:", err)
		os.Exit(1)
	}
	plan := "fits the free plan"
	switch {
	case rep.UploadGzip > paidPlanLimit:
		plan = "TOO LARGE for any plan"
	case rep.UploadGzip > freePlanLimit:
		plan = "needs the paid plan"
	}
	fmt.Printf("worker: %s: script %.2f MiB, gzip %.2f MiB (limits: free %d MiB, paid %d MiB: %s); app.wasm %.2f MiB; %d static assets (%.2f MiB), %d _headers rules\n",
		*out, mib(rep.UploadBytes), mib(rep.UploadGzip), freePlanLimit>>20, paidPlanLimit>>20, plan, mib(rep.WasmBytes),
		rep.Assets, mib(rep.AssetBytes), rep.HeaderRules)
	if rep.UploadGzip > paidPlanLimit {
		os.Exit(1)
	}
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }
