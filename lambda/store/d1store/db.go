package d1store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/caplab/caplab/lambda/relay"
	"github.com/caplab/caplab/lambda/store"
)

// DB runs SQL on one D1 database.
type DB interface {
	// Batch runs stmts in order in one round trip, as one transaction: on
	// error none of them took effect. It returns one Result per statement.
	Batch(ctx context.Context, stmts ...Stmt) ([]Result, error)
}

// Stmt is one SQL statement and its positional (?) arguments: string,
// int, int64, float64 or nil.
type Stmt struct {
	SQL  string
	Args []any
}

// Result is what one statement returned: its rows (column name → value:
// string, float64 or nil, as D1 hands them over) and how many rows it
// changed.
type Result struct {
	Rows    []Row
	Changes int64
}

// Row is one result row.
type Row map[string]any

// str is a text column ("" for NULL).
func (r Row) str(col string) string {
	s, _ := r[col].(string)
	return s
}

// int is a numeric column (0 for NULL).
func (r Row) int(col string) int64 {
	switch v := r[col].(type) {
	case float64:
		return int64(v)
	case int64:
		return v
	}
	return 0
}

func stmt(sql string, args ...any) Stmt { return Stmt{SQL: sql, Args: args} }

// one runs a single statement.
func one(ctx context.Context, db DB, sql string, args ...any) (Result, error) {
	rs, err := db.Batch(ctx, stmt(sql, args...))
	if err != nil {
		return Result{}, err
	}
	if len(rs) != 1 {
		return Result{}, fmt.Errorf("d1store: %d results for one statement", len(rs))
	}
	return rs[0], nil
}

// Guard failure codes: a guard statement inserts one into the table guard,
// whose CHECK constraint of that name refuses it (schema.sql).
const (
	failNotFound    = 1
	failAlreadyUsed = 2
	failExpired     = 3
	failRevoked     = 4
	failExists      = 5
	failQuota       = 6
)

// guardErrors maps a guard constraint's name to its sentinel.
var guardErrors = []struct {
	constraint string
	err        error
}{
	{"caplab_not_found", store.ErrNotFound},
	{"caplab_already_used", store.ErrAlreadyUsed},
	{"caplab_expired", store.ErrExpired},
	{"caplab_revoked", store.ErrRevoked},
	{"caplab_exists", store.ErrExists},
	{"caplab_quota", store.ErrQuota},
}

// guard is a statement that aborts its batch with the failure code cases
// computes (a CASE expression over the row of join, or over nothing), or
// does nothing when it computes 0.
func guard(cases, join string, args ...any) Stmt {
	return stmt("INSERT INTO guard (fail) SELECT f FROM (SELECT "+cases+" AS f FROM (SELECT 1) AS one "+join+") WHERE f <> 0", args...)
}

// ErrUnavailable is wrapped by every failure of D1 that is not a broken
// condition.
var ErrUnavailable = errors.New("d1store: database unavailable")

// unavailable is a D1 failure. It is temporary (httpapi answers 503,
// retry) unless SQLite itself refused the statement: an SQLITE_ error
// comes back the same on every retry.
type unavailable struct{ err error }

func (u unavailable) Error() string   { return ErrUnavailable.Error() + ": " + u.err.Error() }
func (u unavailable) Unwrap() []error { return []error{ErrUnavailable, u.err} }
func (u unavailable) Temporary() bool { return !strings.Contains(u.err.Error(), "SQLITE_") }

// failure maps a batch error to a sentinel: a guard's constraint, a
// UNIQUE violation (ErrExists), or unavailable wrapping the rest.
func failure(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	for _, g := range guardErrors {
		if strings.Contains(msg, g.constraint) {
			return g.err
		}
	}
	if strings.Contains(msg, "UNIQUE constraint failed") {
		return store.ErrExists
	}
	return unavailable{err}
}

// relayFailure is failure for the relay's store, whose ErrExists differs.
func relayFailure(err error) error {
	err = failure(err)
	if errors.Is(err, store.ErrExists) {
		return relay.ErrExists
	}
	return err
}
