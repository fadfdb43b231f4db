//go:build js && wasm

package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"syscall/js"

	"github.com/syumai/workers/cloudflare"

	"github.com/caplab/caplab/internal/jsutil"
	"github.com/caplab/caplab/site"
)

// assetsHandler serves what httpapi hands its site handler: "/" and
// "/s/{id}" (index.html, fetched from the static assets binding with the
// headers the bundle's _headers file derives from site.Handler), and site
// paths the static assets did not answer themselves, that is files that do
// not exist: site.Handler's own 404, from a directory that does not exist
// either. Only index.html is fetched: the binding sends a path it has no
// file for back to this Worker, which would wait for its own turn.
func assetsHandler(name string) (http.Handler, error) {
	b := cloudflare.GetBinding(name)
	if b.IsUndefined() || b.IsNull() {
		return nil, fmt.Errorf("the Worker has no assets binding %q (wrangler.json assets.binding)", name)
	}
	return assets{b: b, missing: site.Handler("/nonexistent-site-build")}, nil
}

type assets struct {
	b       js.Value
	missing http.Handler
}

// assetsOrigin is the origin of requests to the binding: it serves by
// path alone.
const assetsOrigin = "https://assets.invalid"

func (a assets) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		a.missing.ServeHTTP(w, r)
		return
	}
	p := "/index.html"
	init := map[string]any{"method": r.Method}
	if v := r.Header.Get("If-None-Match"); v != "" {
		init["headers"] = map[string]any{"If-None-Match": v}
	}
	res, err := jsutil.Await(a.b.Call("fetch", assetsOrigin+p, init))
	if err != nil {
		http.Error(w, "assets unavailable", http.StatusServiceUnavailable)
		return
	}
	var hdr [][2]string
	entries := js.Global().Get("Array").Call("from", res.Get("headers").Call("entries"))
	json.Unmarshal([]byte(js.Global().Get("JSON").Call("stringify", entries).String()), &hdr)
	for _, kv := range hdr {
		w.Header().Add(kv[0], kv[1])
	}
	w.Header().Del("Content-Length")
	var body []byte
	if r.Method != http.MethodHead && !res.Get("body").IsNull() {
		buf, err := jsutil.Await(res.Call("arrayBuffer"))
		if err != nil {
			http.Error(w, "assets unavailable", http.StatusServiceUnavailable)
			return
		}
		u8 := js.Global().Get("Uint8Array").New(buf)
		body = make([]byte, u8.Length())
		js.CopyBytesToGo(body, u8)
	}
	w.WriteHeader(res.Get("status").Int())
	w.Write(body)
}
