//go:build js && wasm

package d1store

import (
	"context"
	"encoding/json"
	"fmt"
	"syscall/js"

	"github.com/syumai/workers/cloudflare"

	"github.com/caplab/caplab/internal/jsutil"
)

// Binding is the DB of the Worker's D1 binding name (wrangler.json:
// d1_databases[].binding). It calls the binding's prepare, bind,
// all and batch directly: the module's database/sql driver has neither
// transactions nor batches, and a batch is this store's transaction.
func Binding(name string) (DB, error) {
	v := cloudflare.GetBinding(name)
	if v.IsUndefined() || v.IsNull() {
		return nil, fmt.Errorf("d1store: the Worker has no D1 binding %q (wrangler.json d1_databases)", name)
	}
	return binding{db: v}, nil
}

type binding struct{ db js.Value }

// d1Result is one statement's result as D1 returns it.
type d1Result struct {
	Results []Row `json:"results"`
	Meta    struct {
		Changes int64 `json:"changes"`
	} `json:"meta"`
}

func (b binding) Batch(ctx context.Context, stmts ...Stmt) ([]Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	text, err := b.run(stmts)
	if err != nil {
		return nil, err
	}
	var raw []d1Result
	if len(stmts) == 1 {
		raw = make([]d1Result, 1)
		err = json.Unmarshal([]byte(text), &raw[0])
	} else {
		err = json.Unmarshal([]byte(text), &raw)
	}
	if err != nil {
		return nil, fmt.Errorf("d1store: D1's answer does not decode: %w", err)
	}
	if len(raw) != len(stmts) {
		return nil, fmt.Errorf("d1store: %d results for %d statements", len(raw), len(stmts))
	}
	out := make([]Result, len(raw))
	for i, r := range raw {
		out[i] = Result{Rows: r.Results, Changes: r.Meta.Changes}
	}
	return out, nil
}

// run prepares and runs stmts (one: all(); more: batch(), a transaction)
// and returns D1's answer as JSON, which crosses from JS to Go in one
// string instead of a call per value.
func (b binding) run(stmts []Stmt) (text string, err error) {
	defer func() {
		// A JS exception (a statement D1 refuses at once) panics in Call.
		if v := recover(); v != nil {
			err = fmt.Errorf("d1store: %v", v)
		}
	}()
	prepared := make([]any, len(stmts))
	for i, s := range stmts {
		args := make([]any, len(s.Args))
		for j, a := range s.Args {
			if a == nil {
				args[j] = js.Null()
			} else {
				args[j] = a
			}
		}
		prepared[i] = b.db.Call("prepare", s.SQL).Call("bind", args...)
	}
	var p js.Value
	if len(stmts) == 1 {
		p = prepared[0].(js.Value).Call("all")
	} else {
		p = b.db.Call("batch", js.ValueOf(prepared))
	}
	v, err := jsutil.Await(p)
	if err != nil {
		return "", err
	}
	return js.Global().Get("JSON").Call("stringify", v).String(), nil
}
