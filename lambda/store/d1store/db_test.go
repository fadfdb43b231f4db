package d1store

import (
	"errors"
	"testing"
	"time"

	"github.com/caplab/caplab/lambda/relay"
	"github.com/caplab/caplab/lambda/store"
)

// TestFailure: D1's error messages map to the store's sentinels; an
// outage is temporary (httpapi's 503), a statement SQLite refuses is not.
func TestFailure(t *testing.T) {
	for _, tc := range []struct {
		msg       string
		want      error
		temporary bool
	}{
		{"Error: D1_ERROR: CHECK constraint failed: caplab_already_used: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_CHECK)", store.ErrAlreadyUsed, false},
		{"Error: D1_ERROR: CHECK constraint failed: caplab_not_found: SQLITE_CONSTRAINT", store.ErrNotFound, false},
		{"Error: D1_ERROR: CHECK constraint failed: caplab_quota: SQLITE_CONSTRAINT", store.ErrQuota, false},
		{"Error: D1_ERROR: UNIQUE constraint failed: scenarios.org_id: SQLITE_CONSTRAINT", store.ErrExists, false},
		{"Error: D1_ERROR: Network connection lost.", ErrUnavailable, true},
		{"Error: D1_ERROR: no such table: grants: SQLITE_ERROR", ErrUnavailable, false},
	} {
		err := failure(errors.New(tc.msg))
		if !errors.Is(err, tc.want) {
			t.Errorf("failure(%q) = %v; want %v", tc.msg, err, tc.want)
		}
		var tmp interface{ Temporary() bool }
		if got := errors.As(err, &tmp) && tmp.Temporary(); got != tc.temporary {
			t.Errorf("failure(%q) temporary = %t; want %t", tc.msg, got, tc.temporary)
		}
	}
	if err := relayFailure(errors.New("UNIQUE constraint failed: relay_flows.id")); !errors.Is(err, relay.ErrExists) {
		t.Errorf("relayFailure(UNIQUE) = %v; want relay.ErrExists", err)
	}
	if failure(nil) != nil {
		t.Error("failure(nil) is not nil")
	}
}

// TestTimeColumnsSortAsTimes: fixed-width text compares as the times do.
func TestTimeColumnsSortAsTimes(t *testing.T) {
	a := timeCol(t0())
	b := timeCol(t0().Add(1))
	if !(a < b) || len(a) != len(b) || timeCol(colTime(a)) != a || timeCol(zeroTime()) != "" {
		t.Fatalf("timeCol: %q, %q; want fixed width, ordered, round-tripping, and an empty string for zero", a, b)
	}
}

func t0() time.Time       { return time.Date(2026, 3, 1, 9, 0, 0, 999_999_999, time.UTC) }
func zeroTime() time.Time { return time.Time{} }
