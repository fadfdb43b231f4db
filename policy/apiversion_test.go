package policy

import (
	"testing"
	"time"
)

func TestAPIVersions(t *testing.T) {
	tests := []struct {
		at              string
		current, oldest int
		label           string // the current version's
	}{
		{"2010-12-01", 20, 20, "Winter '11"},
		{"2022-06-12", 54, 20, "Spring '22"},
		{"2022-06-13", 55, 21, "Summer '22"},
		{"2024-11-01", 62, 21, "Winter '25"},
		{"2025-10-11", 65, 31, "Winter '26"},
		{"2026-03-01", 66, 31, "Spring '26"},
		{"2026-06-13", 67, 31, "Summer '26"},
		{"2026-12-02", 68, 31, "Winter '27"},
		{"2028-06-13", 73, 41, "Summer '28"},
		{"9999-01-01", 287, 41, "Winter '00"}, // the horizon: 2100
	}
	for _, tc := range tests {
		at, _ := time.Parse(time.DateOnly, tc.at)
		if got := CurrentAPIVersion(at); got != tc.current {
			t.Errorf("CurrentAPIVersion(%s) = %d; want %d", tc.at, got, tc.current)
		}
		if got := OldestAPIVersion(at); got != tc.oldest {
			t.Errorf("OldestAPIVersion(%s) = %d; want %d", tc.at, got, tc.oldest)
		}
		if got := APIReleaseLabel(tc.current); got != tc.label {
			t.Errorf("APIReleaseLabel(%d) = %q; want %q", tc.current, got, tc.label)
		}
	}
	at := day(2026, 12, 2)
	for v, want := range map[int]string{50: APIVersionServed, 68: APIVersionServed, 31: APIVersionServed,
		30: APIVersionRetired, 20: APIVersionRetired, 7: APIVersionRetired, 6: APIVersionUnknown, 69: APIVersionUnknown} {
		if got := APIVersionStatus(v, at); got != want {
			t.Errorf("APIVersionStatus(%d, 2026-12-02) = %q; want %q", v, got, want)
		}
	}
	if got := FormatAPIVersion(62); got != "62.0" {
		t.Errorf("FormatAPIVersion(62) = %q", got)
	}
}
