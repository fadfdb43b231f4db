package jsonpatch

import (
	"encoding/json"
	"strconv"
	"strings"
)

// equal is RFC 6902's equality for test: same type; numbers equal in
// value; arrays item by item; objects with the same members.
func equal(a, b any) bool {
	switch a := a.(type) {
	case map[string]any:
		b, ok := b.(map[string]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for k, x := range a {
			y, ok := b[k]
			if !ok || !equal(x, y) {
				return false
			}
		}
		return true
	case []any:
		b, ok := b.([]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for i := range a {
			if !equal(a[i], b[i]) {
				return false
			}
		}
		return true
	case json.Number:
		b, ok := b.(json.Number)
		return ok && numbersEqual(string(a), string(b))
	}
	return a == b // string, bool or nil
}

// numbersEqual compares JSON numbers by value: integers exactly, others
// as float64.
func numbersEqual(a, b string) bool {
	if a == b {
		return true
	}
	isInt := func(s string) bool { return !strings.ContainsAny(s, ".eE") }
	if isInt(a) && isInt(b) {
		return strings.TrimPrefix(a, "-") == "0" && strings.TrimPrefix(b, "-") == "0" // -0 and 0
	}
	x, err1 := strconv.ParseFloat(a, 64)
	y, err2 := strconv.ParseFloat(b, 64)
	return err1 == nil && err2 == nil && x == y
}
