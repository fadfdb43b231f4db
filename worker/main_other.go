//go:build !(js && wasm)

// Command worker is caplab's Cloudflare Worker (see README.md): a js/wasm
// program. Built natively it only says how to build it.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "worker: a Cloudflare Worker; build it with `make worker` (GOOS=js GOARCH=wasm) and run it with wrangler (worker/README.md)")
	os.Exit(2)
}
