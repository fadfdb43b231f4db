package policy

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits for messages: values are quoted only so far, and hints are only
// looked for among names of a sensible length.
const (
	maxQuoted    = 60  // characters of a value shown in a message
	maxHintName  = 64  // longer strings get no "did you mean"
	maxHintNames = 500 // longer lists (beyond any limit) get none either: hints cost len(names) each
)

// quoteShort quotes a value for a message, cutting long ones.
func quoteShort(s string) string {
	if c := cutShort(s); c != s {
		return strconv.Quote(strings.TrimSuffix(c, "…")) + "…"
	}
	return strconv.Quote(s)
}

// cutShort cuts s to maxQuoted characters, marking the cut with "…".
func cutShort(s string) string {
	if utf8.RuneCountInString(s) <= maxQuoted {
		return s
	}
	return string([]rune(s)[:maxQuoted]) + "…"
}

// didYouMean is "; did you mean "x"?" when one of names is a likely typo
// fix for s, else "".
func didYouMean(s string, names []string) string {
	if n := closest(s, names); n != "" {
		return fmt.Sprintf("; did you mean %q?", n)
	}
	return ""
}

// closest is the name nearest to s by edit distance, ignoring case, if it
// is near enough to be a typo: at most a third of its length (at least
// one edit) away, and not every character replaced.
func closest(s string, names []string) string {
	if s == "" || len(s) > maxHintName || len(names) > maxHintNames {
		return ""
	}
	best, bestDist := "", maxHintName
	for _, n := range names {
		if n == s || len(n) > maxHintName {
			continue
		}
		d, size := editDistance(strings.ToLower(s), strings.ToLower(n)), utf8.RuneCountInString(n)
		if d <= max(1, size/3) && d < size && d < bestDist {
			best, bestDist = n, d
		}
	}
	return best
}

// editDistance is the optimal string alignment distance between a and b,
// in runes: insertions, deletions, substitutions and swaps of neighbours
// ("fro" for "for") each count one.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	// rows i-2, i-1 and i of the distance table
	prev2, prev, cur := make([]int, len(rb)+1), make([]int, len(rb)+1), make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
