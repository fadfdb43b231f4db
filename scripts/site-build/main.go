// Command site-build builds the playground into one directory of
// content-hashed, pre-compressed files (see package site/sitebuild): what
// caplab serve serves and what a static host (S3 and CloudFront) ships.
//
//	go run ./scripts/site-build [-o build/site] [-wasm site/main.wasm]
//
// Without -wasm it compiles the engine itself. It needs the npm packages
// (npm ci) for CodeMirror, but not Node: esbuild runs as a Go library.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/caplab/caplab/site/sitebuild"
)

func main() {
	out := flag.String("o", "build/site", "output directory (replaced)")
	wasm := flag.String("wasm", "", "a built main.wasm to ship (default: compile ./wasm)")
	wasmExec := flag.String("wasm-exec", "", "wasm_exec.js (default: the go toolchain's)")
	quiet := flag.Bool("q", false, "print nothing but errors")
	flag.Parse()
	o := sitebuild.Options{Out: *out, Wasm: *wasm, WasmExec: *wasmExec}
	if !*quiet {
		o.Log = os.Stderr
	}
	m, err := sitebuild.Build(o)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if *quiet {
		return
	}
	total, br := 0, 0
	for _, f := range m.Files {
		total += f.Bytes
		br += f.Brotli
		if f.Brotli == 0 {
			br += f.Bytes
		}
		fmt.Printf("%-28s %9d bytes  brotli %8d  gzip %8d\n", f.Name, f.Bytes, f.Brotli, f.Gzip)
	}
	fmt.Printf("%-28s %9d bytes  brotli %8d\n", "total", total, br)
}
