//go:build js && wasm

package jsbridge

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"syscall/js"

	"github.com/syumai/workers"
)

// Serve registers binding.serve for h and tells entry.mjs that the program
// is ready (syumai/workers' ready import). The binding object is the one
// entry.mjs put on globalThis.context before starting the program.
func Serve(h http.Handler) {
	promise := js.Global().Get("Promise")
	serve := js.FuncOf(func(_ js.Value, args []js.Value) any {
		req, err := request(args)
		return promise.New(js.FuncOf(func(_ js.Value, settle []js.Value) any {
			resolve, reject := settle[0], settle[1]
			if err != nil {
				reject.Invoke(js.Global().Get("Error").New(err.Error()))
				return nil
			}
			// The handler runs in a goroutine of its own: a callback may not
			// block, and the handler waits for D1.
			go func() { resolve.Invoke(answer(h, req)) }()
			return nil
		}))
	})
	js.Global().Get("context").Get("binding").Set("serve", serve)
	workers.Ready()
}

// request builds the http.Request from serve's arguments: method, URL,
// headers as JSON [[name, value], ...], body (a Uint8Array or null).
func request(args []js.Value) (*http.Request, error) {
	if len(args) != 4 {
		return nil, fmt.Errorf("jsbridge: serve takes 4 arguments, got %d", len(args))
	}
	u, err := url.Parse(args[1].String())
	if err != nil {
		return nil, fmt.Errorf("jsbridge: request URL: %w", err)
	}
	var pairs [][2]string
	if err := json.Unmarshal([]byte(args[2].String()), &pairs); err != nil {
		return nil, fmt.Errorf("jsbridge: request headers: %w", err)
	}
	var body []byte
	if b := args[3]; !b.IsNull() && !b.IsUndefined() {
		body = make([]byte, b.Get("byteLength").Int())
		js.CopyBytesToGo(body, b)
	}
	r, err := http.NewRequest(args[0].String(), u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	for _, kv := range pairs {
		r.Header.Add(kv[0], kv[1])
	}
	r.Host = u.Host
	if h := r.Header.Get("Host"); h != "" {
		r.Host = h
	}
	// Cloudflare sets the client's address; a client cannot.
	r.RemoteAddr = r.Header.Get("Cf-Connecting-Ip")
	r.RequestURI = u.RequestURI()
	return r, nil
}

// answer runs h and returns {status, headers (JSON pairs), body}.
func answer(h http.Handler, r *http.Request) js.Value {
	w := &recorder{header: http.Header{}}
	func() {
		defer func() {
			if v := recover(); v != nil && w.status == 0 {
				w.status, w.body = http.StatusInternalServerError, *bytes.NewBufferString("internal error\n")
			}
		}()
		h.ServeHTTP(w, r)
	}()
	if w.status == 0 {
		w.status = http.StatusOK
	}
	pairs := [][2]string{} // [] rather than null: an answer may have no header
	for k, vs := range w.header {
		for _, v := range vs {
			pairs = append(pairs, [2]string{k, v})
		}
	}
	hdr, _ := json.Marshal(pairs)
	out := js.Global().Get("Object").New()
	out.Set("status", w.status)
	out.Set("headers", string(hdr))
	b := js.Global().Get("Uint8Array").New(w.body.Len())
	js.CopyBytesToJS(b, w.body.Bytes())
	out.Set("body", b)
	return out
}

// recorder is an in-memory http.ResponseWriter bounded by MaxAnswerBytes.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *recorder) Header() http.Header { return w.header }

func (w *recorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

func (w *recorder) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	if w.body.Len()+len(p) > MaxAnswerBytes {
		return 0, io.ErrShortWrite
	}
	return w.body.Write(p)
}

// Flush does nothing: the answer is sent whole.
func (w *recorder) Flush() {}
