//go:build js && wasm

// Package jsutil holds what the js/wasm builds (the Worker and its D1
// store) share about calling JavaScript.
package jsutil

import (
	"errors"
	"syscall/js"
)

// Await waits for a JS promise: its value, or its rejection as an error.
// It blocks the calling goroutine only, never the event loop (a Worker's
// handler runs on its own goroutine).
func Await(p js.Value) (js.Value, error) {
	type settled struct {
		v   js.Value
		err error
	}
	ch := make(chan settled, 1)
	then := js.FuncOf(func(_ js.Value, a []js.Value) any { ch <- settled{v: a[0]}; return nil })
	catch := js.FuncOf(func(_ js.Value, a []js.Value) any {
		ch <- settled{err: errors.New(js.Global().Get("String").Invoke(a[0]).String())}
		return nil
	})
	defer then.Release()
	defer catch.Release()
	p.Call("then", then, catch)
	s := <-ch
	return s.v, s.err
}
