package policy

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseDuration reads a scenario duration: Go's units ("90m", "2h", "1h30m")
// plus days ("31d") and months ("3mo", counted as 30 days, as Salesforce's
// refresh-token policy units are coarse).
func ParseDuration(s string) (time.Duration, error) {
	if s == "" {
		return 0, fmt.Errorf("empty duration")
	}
	for _, u := range []struct {
		suffix string
		unit   time.Duration
	}{{"mo", 30 * 24 * time.Hour}, {"d", 24 * time.Hour}} {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			v, err := strconv.ParseFloat(n, 64)
			if err != nil || !(v >= 0 && v <= 36500) { // also rejects NaN
				return 0, fmt.Errorf("invalid duration %q: want a number before %q, e.g. 31d", s, u.suffix)
			}
			return time.Duration(v * float64(u.unit)), nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("invalid duration %q: use forms like 90m, 2h or 31d", s)
	}
	return d, nil
}

// formatDuration prints a duration the way scenarios write them.
func formatDuration(d time.Duration) string {
	if d%(24*time.Hour) == 0 && d > 0 {
		return strconv.Itoa(int(d/(24*time.Hour))) + "d"
	}
	if d%time.Hour == 0 && d > 0 {
		return strconv.Itoa(int(d/time.Hour)) + "h"
	}
	if d%time.Minute == 0 {
		return strconv.Itoa(int(d/time.Minute)) + "m"
	}
	return d.String()
}
