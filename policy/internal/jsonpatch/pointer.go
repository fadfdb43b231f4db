package jsonpatch

import (
	"errors"
	"strconv"
	"strings"
)

// splitPointer splits an RFC 6901 pointer into unescaped tokens.
func splitPointer(p string) ([]string, error) {
	if p == "" {
		return nil, nil
	}
	if p[0] != '/' {
		return nil, errors.New("path " + strconv.Quote(p) + " is not a JSON pointer: it must be \"\" or start with \"/\"")
	}
	tokens := strings.Split(p[1:], "/")
	for i, t := range tokens {
		if !strings.Contains(t, "~") {
			continue
		}
		var b strings.Builder
		for j := 0; j < len(t); j++ {
			switch {
			case t[j] != '~':
				b.WriteByte(t[j])
			case j+1 < len(t) && t[j+1] == '0':
				b.WriteByte('~')
				j++
			case j+1 < len(t) && t[j+1] == '1':
				b.WriteByte('/')
				j++
			default:
				return nil, errors.New("path " + strconv.Quote(p) + ": \"~\" must be followed by 0 or 1")
			}
		}
		tokens[i] = b.String()
	}
	return tokens, nil
}

// EscapeToken escapes one reference token for a pointer: "~" as "~0" and
// "/" as "~1".
func EscapeToken(t string) string {
	if !strings.ContainsAny(t, "~/") {
		return t
	}
	return strings.ReplaceAll(strings.ReplaceAll(t, "~", "~0"), "/", "~1")
}

// pointerText is tokens as a quoted pointer again, for messages.
func pointerText(tokens []string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(EscapeToken(t))
	}
	return strconv.Quote(b.String())
}

func isPrefix(prefix, tokens []string) bool {
	if len(prefix) > len(tokens) {
		return false
	}
	for i := range prefix {
		if prefix[i] != tokens[i] {
			return false
		}
	}
	return true
}

// arrayIndex parses an array index token: 0 ≤ index < limit.
func arrayIndex(token string, limit int, at []string) (int, error) {
	n, err := strconv.Atoi(token)
	if err != nil || n < 0 || token != strconv.Itoa(n) {
		return 0, errors.New(pointerText(at) + ": " + strconv.Quote(token) + " is not an array index")
	}
	if n >= limit {
		return 0, errors.New(pointerText(at) + ": index " + token + " is out of range (the array has " + strconv.Itoa(limit) + " items)")
	}
	return n, nil
}
