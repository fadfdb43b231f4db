package policy

import (
	"fmt"
	"strings"
	"time"
)

// parseOffset reads a signed scenario duration: an offset from the event's
// time, positive in the future ("2m", "+10m", "-1m", "3650d"). The units
// are ParseDuration's.
func parseOffset(s string) (time.Duration, error) {
	sign := time.Duration(1)
	rest := s
	switch {
	case strings.HasPrefix(s, "-"):
		sign, rest = -1, s[1:]
	case strings.HasPrefix(s, "+"):
		rest = s[1:]
	}
	if strings.HasPrefix(rest, "-") || strings.HasPrefix(rest, "+") {
		return 0, fmt.Errorf("invalid offset %q: one sign at most", s)
	}
	d, err := ParseDuration(rest)
	if err != nil {
		return 0, fmt.Errorf("invalid offset %q: use forms like 2m, -1m or +10m", s)
	}
	return sign * d, nil
}

// eventOffset is an optional offset field of the event: ok is false when
// the field is empty (the claim is absent or, for exp, well-formed).
func eventOffset(s string) (d time.Duration, ok bool) {
	if s == "" {
		return 0, false
	}
	d, err := parseOffset(s)
	return d, err == nil // Decode has refused malformed offsets
}

func offsetValid(s string) bool {
	_, err := parseOffset(s)
	return err == nil
}

// formatOffset prints an offset the way scenarios write them, with "-"
// for the past.
func formatOffset(d time.Duration) string {
	if d < 0 {
		return "-" + formatDuration(-d)
	}
	return formatDuration(d)
}
