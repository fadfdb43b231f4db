package d1store

import "time"

// timeLayout is how a time is stored in a column: UTC, fixed width, to the
// nanosecond, so that text order is time order and SQL compares times
// exactly as Go does (the layout of store.LoginSortKey).
const timeLayout = "20060102T150405.000000000"

// timeCol is t as a column value; "" for the zero time (sorts first).
func timeCol(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeLayout)
}

// colTime reads a column written by timeCol.
func colTime(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return time.Time{}
	}
	return t
}

// boolCol is b as a column value (SQLite has no booleans).
func boolCol(b bool) int {
	if b {
		return 1
	}
	return 0
}
