//go:build js && wasm

// Command probe is a test Worker (never deployed): d1store over the D1
// binding DB, served through storerpc so d1store's tests can run the
// contract suites against real D1 under workerd. POST /reset empties
// every table between subtests.
package main

import (
	"net/http"
	"regexp"

	"github.com/caplab/caplab/lambda/store/d1store"
	"github.com/caplab/caplab/lambda/store/d1store/internal/storerpc"
	"github.com/caplab/caplab/worker/jsbridge"
)

func main() {
	db, err := d1store.Binding("DB")
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/rpc/", storerpc.Handler(map[string]any{"Store": d1store.New(db), "Relay": d1store.NewRelay(db)}))
	mux.HandleFunc("POST /reset", func(w http.ResponseWriter, r *http.Request) {
		if err := reset(r, db); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
	jsbridge.Serve(mux)
	select {}
}

var createTable = regexp.MustCompile(`^CREATE TABLE (\w+)`)

// reset deletes every row of every table of the schema, in one batch.
func reset(r *http.Request, db d1store.DB) error {
	stmts, err := d1store.Schema()
	if err != nil {
		return err
	}
	var del []d1store.Stmt
	for _, s := range stmts {
		if m := createTable.FindStringSubmatch(s); m != nil {
			del = append(del, d1store.Stmt{SQL: "DELETE FROM " + m[1]})
		}
	}
	_, err = db.Batch(r.Context(), del...)
	return err
}
