package policy

import (
	"strings"
	"testing"
)

func TestTooDeep(t *testing.T) {
	nest := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	for _, tc := range []struct {
		name string
		doc  string
		want int
	}{
		{"flat", `{"a": 1}`, -1},
		{"as deep as allowed", nest(maxScenarioDepth), -1},
		{"one level more", nest(maxScenarioDepth + 1), maxScenarioDepth},
		{"objects count too", strings.Repeat(`{"a":`, maxScenarioDepth+1), maxScenarioDepth * 5},
		{"brackets in strings do not count", `["` + strings.Repeat("[", 100) + `"]`, -1},
		{"escaped quotes stay in the string", `["\"` + strings.Repeat("[", 100) + `"]`, -1},
		{"an escaped backslash ends before the quote", `["\\", ` + nest(maxScenarioDepth) + `]`, 7 + maxScenarioDepth - 1},
	} {
		if got := tooDeep([]byte(tc.doc)); got != tc.want {
			t.Errorf("%s: tooDeep = %d; want %d", tc.name, got, tc.want)
		}
	}
}
