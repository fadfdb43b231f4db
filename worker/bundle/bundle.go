// Package bundle builds the Worker's upload (`make worker`, and the
// tests): the Go program for js/wasm, the toolchain's wasm_exec.js, the
// entry module, and the playground's static assets staged from the site
// build with a _headers file derived from site.Handler.
package bundle

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// Options says what to build.
type Options struct {
	Root    string   // the module root
	Out     string   // the output directory (replaced)
	Package string   // the main package to build; "" is ./worker
	Site    string   // a site build (build/site) to stage as assets; "" stages none
	Tags    []string // extra build tags
}

// The bundle's files (worker/wrangler.json names them).
const (
	WasmName     = "app.wasm"
	WasmExecName = "wasm_exec.js"
	EntryName    = "entry.mjs"
	SiteDir      = "site"
)

// WasmBuildArgs are the flags of the Worker's go build. Inlining is off
// as for the playground's engine (Makefile WASM_GCFLAGS): it makes the
// gzip'd module about 0.5 MB smaller, which is what Cloudflare's size
// limit counts.
var WasmBuildArgs = []string{"build", "-trimpath", "-ldflags=-s -w", "-gcflags=all=-l"}

// Report is what Build wrote.
type Report struct {
	WasmBytes     int64 // app.wasm
	UploadBytes   int64 // the script: app.wasm, wasm_exec.js, entry.mjs
	UploadGzip    int64 // the same gzip'd, as Cloudflare counts it
	Assets        int   // static files staged
	AssetBytes    int64
	HeaderRules   int // rules in _headers
	WasmBuildArgs []string
}

// Build builds the bundle into o.Out.
func Build(o Options) (*Report, error) {
	if o.Root == "" || o.Out == "" {
		return nil, errors.New("bundle: Root and Out are required")
	}
	if o.Package == "" {
		o.Package = "./worker"
	}
	if err := os.RemoveAll(o.Out); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return nil, err
	}
	rep := &Report{WasmBuildArgs: WasmBuildArgs}
	args := append([]string{}, WasmBuildArgs...)
	if len(o.Tags) > 0 {
		args = append(args, "-tags", strings.Join(o.Tags, ","))
	}
	args = append(args, "-o", filepath.Join(o.Out, WasmName), o.Package)
	cmd := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), args...)
	cmd.Dir = o.Root
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if b, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("bundle: go %s: %v\n%s", strings.Join(args, " "), err, b)
	}
	for _, c := range []struct{ from, to string }{
		{filepath.Join(runtime.GOROOT(), "lib", "wasm", "wasm_exec.js"), WasmExecName},
		{filepath.Join(o.Root, "worker", EntryName), EntryName},
	} {
		if err := copyFile(c.from, filepath.Join(o.Out, c.to)); err != nil {
			return nil, err
		}
	}
	var script bytes.Buffer
	for _, name := range []string{WasmName, WasmExecName, EntryName} {
		b, err := os.ReadFile(filepath.Join(o.Out, name))
		if err != nil {
			return nil, err
		}
		if name == WasmName {
			rep.WasmBytes = int64(len(b))
		}
		rep.UploadBytes += int64(len(b))
		script.Write(b)
	}
	var gz countWriter
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	zw.Write(script.Bytes())
	zw.Close()
	rep.UploadGzip = gz.n
	if o.Site != "" {
		if err := stageSite(o.Site, filepath.Join(o.Out, SiteDir), rep); err != nil {
			return nil, err
		}
	}
	return rep, nil
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
