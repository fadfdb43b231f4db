//go:build js && wasm

package main

import (
	"encoding/json"
	"syscall/js"
	"testing"
)

// TestRegisteredFunction calls globalThis.caplab the way the page does.
func TestRegisteredFunction(t *testing.T) {
	register()
	fn := js.Global().Get("caplab")
	if fn.Type() != js.TypeFunction {
		t.Fatalf("globalThis.caplab is %v, want a function", fn.Type())
	}
	for _, tc := range []struct {
		name string
		arg  any
		ok   bool
	}{
		{"presets", `{"version":1,"op":"presets"}`, true},
		{"info", `{"version":1,"op":"info"}`, true},
		{"not a string", 42, false},
		{"bad version", `{"version":9,"op":"presets"}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := fn.Invoke(tc.arg)
			if out.Type() != js.TypeString {
				t.Fatalf("caplab returned %v, want a string", out.Type())
			}
			var resp struct {
				Version int  `json:"version"`
				OK      bool `json:"ok"`
			}
			if err := json.Unmarshal([]byte(out.String()), &resp); err != nil {
				t.Fatalf("response is not JSON: %v\n%s", err, out.String())
			}
			if resp.Version != 1 || resp.OK != tc.ok {
				t.Fatalf("got version %d ok %v, want 1 %v: %s", resp.Version, resp.OK, tc.ok, out.String())
			}
		})
	}
	// No arguments at all is an error response, not a crash.
	if out := fn.Invoke(); out.Type() != js.TypeString {
		t.Fatalf("caplab() returned %v", out.Type())
	}
}
