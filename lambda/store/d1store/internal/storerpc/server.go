// Package storerpc carries store.Store and relay.Store calls over HTTP, so
// the contract suites (storetest, relaytest), which run natively, can
// drive d1store inside a test Worker under workerd (../probe). Test use
// only: the probe Worker is never deployed.
//
// A call is POST /rpc/{target}/{method} with the JSON array of the
// method's arguments after its context; the answer is {"results": [...],
// "error": {...}}, results being every return value but the error, even
// when there is one (a claim returns its record with ErrAlreadyUsed).
package storerpc

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"

	"github.com/caplab/caplab/lambda/relay"
	"github.com/caplab/caplab/lambda/store"
)

// maxCallBytes bounds a call's body (the largest is a login-history write
// of a few kB; a scenario document is at most 64 kB).
const maxCallBytes = 1 << 20

// sentinels are the errors that cross by name, so errors.Is works on the
// client's side.
var sentinels = map[string]error{
	"not_found":    store.ErrNotFound,
	"already_used": store.ErrAlreadyUsed,
	"expired":      store.ErrExpired,
	"revoked":      store.ErrRevoked,
	"exists":       store.ErrExists,
	"quota":        store.ErrQuota,
	"relay_exists": relay.ErrExists,
}

// wireError is an error as it crosses.
type wireError struct {
	Sentinel string `json:"sentinel,omitempty"`
	Message  string `json:"message"`
}

type answer struct {
	Results []json.RawMessage `json:"results"`
	Error   *wireError        `json:"error,omitempty"`
}

var (
	contextType = reflect.TypeFor[interface{ Done() <-chan struct{} }]()
	errorType   = reflect.TypeFor[error]()
)

// Handler serves calls to targets (name → value whose exported methods
// take a context first and return an error last).
func Handler(targets map[string]any) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, method, ok := strings.Cut(strings.TrimPrefix(r.URL.Path, "/rpc/"), "/")
		target, found := targets[name]
		if r.Method != http.MethodPost || !ok || !found {
			http.Error(w, "want POST /rpc/{target}/{method}", http.StatusNotFound)
			return
		}
		m := reflect.ValueOf(target).MethodByName(method)
		if !m.IsValid() || m.Type().NumIn() == 0 || !m.Type().In(0).Implements(contextType) ||
			m.Type().NumOut() == 0 || m.Type().Out(m.Type().NumOut()-1) != errorType {
			http.Error(w, "no such method: "+name+"."+method, http.StatusNotFound)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxCallBytes))
		var raw []json.RawMessage
		if err == nil {
			err = json.Unmarshal(body, &raw)
		}
		if err != nil || len(raw) != m.Type().NumIn()-1 {
			http.Error(w, "want a JSON array of the arguments after the context", http.StatusBadRequest)
			return
		}
		in := []reflect.Value{reflect.ValueOf(r.Context())}
		for i, a := range raw {
			v := reflect.New(m.Type().In(i + 1))
			if err := json.Unmarshal(a, v.Interface()); err != nil {
				http.Error(w, fmt.Sprintf("argument %d: %v", i+1, err), http.StatusBadRequest)
				return
			}
			in = append(in, v.Elem())
		}
		out := m.Call(in)
		var ans answer
		for _, v := range out[:len(out)-1] {
			b, err := json.Marshal(v.Interface())
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			ans.Results = append(ans.Results, b)
		}
		if e, _ := out[len(out)-1].Interface().(error); e != nil {
			ans.Error = &wireError{Message: e.Error()}
			for n, s := range sentinels {
				if errors.Is(e, s) {
					ans.Error.Sentinel = n // the sentinels are distinct: one matches
				}
			}
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(ans)
	})
}
