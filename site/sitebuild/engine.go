package sitebuild

import (
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/evanw/esbuild/pkg/api"
)

// WasmBuildArgs are the go build arguments of the engine, as make wasm
// uses them (the Makefile's WASM_GCFLAGS; TestWasmFlagsAsMakefile keeps
// the two equal): no symbols, and no inlining in any package, which keeps
// the module well under its 1 MB brotli budget (~925 kB instead of
// ~1004 kB) at no measured speed cost under Node (scripts/bench/engine).
var WasmBuildArgs = []string{"build", "-trimpath", "-ldflags=-s -w", "-gcflags=" + wasmGCFlags}

const wasmGCFlags = "all=-l"

// hashLen is the length of a content hash in a file name: esbuild's
// (eight base32 characters, 40 bits), so that every hashed name has one
// shape.
const hashLen = 8

// contentHash names data: the start of its SHA-256 in base32.
func contentHash(data []byte) string {
	sum := sha256.Sum256(data)
	return base32.StdEncoding.EncodeToString(sum[:])[:hashLen]
}

// BuildWasm compiles the engine (./wasm of root) to out for js/wasm.
func BuildWasm(root, out string) error {
	cmd := exec.Command("go", append(WasmBuildArgs, "-o", out, "./wasm")...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./wasm: %v\n%s", err, b)
	}
	return nil
}

// WasmExecPath is the toolchain's wasm_exec.js, the JavaScript half of
// the Go js/wasm port: it must come from the Go that compiled main.wasm.
func WasmExecPath() string {
	return filepath.Join(runtime.GOROOT(), "lib", "wasm", "wasm_exec.js")
}

// engine writes main.<hash>.wasm and wasm_exec.<hash>.js.
func (b *build) engine() error {
	wasmPath := b.o.Wasm
	if wasmPath == "" {
		tmp, err := os.MkdirTemp("", "caplab-sitebuild")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		wasmPath = filepath.Join(tmp, "main.wasm")
		if err := BuildWasm(b.o.Root, wasmPath); err != nil {
			return err
		}
	}
	var err error
	if b.wasm, err = os.ReadFile(wasmPath); err != nil {
		return err
	}
	if !strings.HasPrefix(string(b.wasm), "\x00asm") {
		return fmt.Errorf("%s is not a WebAssembly module", wasmPath)
	}
	if _, err := b.writeHashed("/main.wasm", "main", ".wasm", b.wasm); err != nil {
		return err
	}
	execPath := b.o.WasmExec
	if execPath == "" {
		execPath = goWasmExec()
	}
	src, err := os.ReadFile(execPath)
	if err != nil {
		return err
	}
	min := api.Transform(string(src), api.TransformOptions{Loader: api.LoaderJS, Target: jsTarget,
		MinifyWhitespace: true, MinifySyntax: true, MinifyIdentifiers: true, Charset: api.CharsetUTF8})
	if len(min.Errors) > 0 {
		return fmt.Errorf("%s: %s", execPath, min.Errors[0].Text)
	}
	_, err = b.writeHashed("/wasm_exec.js", "wasm_exec", ".js", min.Code)
	return err
}

// goWasmExec is wasm_exec.js of the go command on PATH (the one that
// compiles main.wasm), falling back to this program's toolchain.
func goWasmExec() string {
	if out, err := exec.Command("go", "env", "GOROOT").Output(); err == nil {
		p := filepath.Join(strings.TrimSpace(string(out)), "lib", "wasm", "wasm_exec.js")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return WasmExecPath()
}
