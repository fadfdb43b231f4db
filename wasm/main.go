//go:build js && wasm

// Command wasm is the playground's engine: it registers the JavaScript
// function caplab(requestJSON) -> responseJSON over package protocol.
package main

import (
	"syscall/js"
	"time"

	"github.com/caplab/caplab/wasm/protocol"
)

func main() {
	register()
	select {} // keep the Go runtime alive for calls from JavaScript
}

// register installs globalThis.caplab. The call runs synchronously on the
// JavaScript thread: pure computation, no channel waits on JavaScript.
func register() {
	js.Global().Set("caplab", js.FuncOf(func(_ js.Value, args []js.Value) any {
		var req []byte
		if len(args) > 0 && args[0].Type() == js.TypeString {
			req = []byte(args[0].String())
		}
		return string(protocol.Handle(req, time.Now()))
	}))
}
