//go:build js && wasm

// Command worker is caplab's Cloudflare Worker (see README.md): entry.mjs
// starts this program once per isolate and hands it every request
// (jsbridge).
package main

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"syscall/js"
	"time"

	"github.com/syumai/workers/cloudflare"

	"github.com/caplab/caplab/lambda/store"
	"github.com/caplab/caplab/lambda/store/d1store"
	"github.com/caplab/caplab/worker/jsbridge"
)

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	h, st, err := start(logger)
	if err != nil {
		logger.Error("the Worker cannot start", "err", err)
		h = http.HandlerFunc(misconfigured)
	}
	exposePrune(st, logger)
	jsbridge.Serve(h)
	select {} // requests arrive through binding.serve
}

// start reads the configuration and bindings and builds the handler.
func start(logger *slog.Logger) (http.Handler, store.Store, error) {
	cfg, err := LoadConfig(cloudflare.Getenv)
	if err != nil {
		return nil, nil, err
	}
	db, err := d1store.Binding(BindingDB)
	if err != nil {
		return nil, nil, err
	}
	site, err := assetsHandler(BindingAssets)
	if err != nil {
		return nil, nil, err
	}
	st := d1store.New(db)
	return NewHandler(cfg, st, d1store.NewRelay(db), site, logger), st, nil
}

// exposePrune gives entry.mjs's scheduled handler binding.prune(), a
// promise of the number of records deleted.
func exposePrune(st store.Store, logger *slog.Logger) {
	promise := js.Global().Get("Promise")
	fn := js.FuncOf(func(js.Value, []js.Value) any {
		return promise.New(js.FuncOf(func(_ js.Value, settle []js.Value) any {
			resolve, reject := settle[0], settle[1]
			go func() {
				if st == nil {
					reject.Invoke(js.Global().Get("Error").New("the Worker is misconfigured"))
					return
				}
				n, err := prune(context.Background(), st, time.Now())
				if err != nil {
					logger.Error("prune", "err", err)
					reject.Invoke(js.Global().Get("Error").New(err.Error()))
					return
				}
				logger.Info("prune", "deleted", n)
				resolve.Invoke(n)
			}()
			return nil
		}))
	})
	js.Global().Get("context").Get("binding").Set("prune", fn)
}
