package jsonpatch

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"unicode/utf8"
)

// measure is the size of v encoded as Bytes encodes it (compact, HTML
// characters escaped, as json.Marshal does) and its nesting depth (a
// scalar 0, [] 1, [[]] 2), without encoding or allocating.
func measure(v any) (size, depth int) {
	switch v := v.(type) {
	case map[string]any:
		size = 2 + max(len(v)-1, 0) // braces and commas
		for k, x := range v {
			s, d := measure(x)
			size += stringSize(k) + 1 + s
			depth = max(depth, d)
		}
		return size, depth + 1
	case []any:
		size = 2 + max(len(v)-1, 0)
		for _, x := range v {
			s, d := measure(x)
			size += s
			depth = max(depth, d)
		}
		return size, depth + 1
	case string:
		return stringSize(v), 0
	case json.Number:
		if v == "" {
			return 1, 0 // encoded as 0
		}
		return len(v), 0
	case bool:
		if v {
			return 4, 0
		}
		return 5, 0
	}
	return 4, 0 // null
}

func sizeOf(v any) int {
	s, _ := measure(v)
	return s
}

// stringSize is the length of s as encoding/json quotes it.
func stringSize(s string) int {
	n := 2
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			switch {
			case b == '\\' || b == '"' || b == '\b' || b == '\f' || b == '\n' || b == '\r' || b == '\t':
				n += 2
			case b < 0x20 || b == '<' || b == '>' || b == '&':
				n += 6 // \u00XX
			default:
				n++
			}
			i++
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if (c == utf8.RuneError && size == 1) || c == '\u2028' || c == '\u2029' {
			n += 6 // \ufffd, \u2028, \u2029
		} else {
			n += size
		}
		i += size
	}
	return n
}

// normalize turns an operation's value into a tree of the document's own
// types (numbers as json.Number), always a fresh copy: the document may
// change it later, and the operation must stay as it was.
func normalize(v any) (any, error) {
	switch v := v.(type) {
	case nil, string, bool, json.Number:
		return v, nil
	case float64:
		b, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		return json.Number(b), nil
	case map[string]any:
		c := make(map[string]any, len(v))
		for k, x := range v {
			n, err := normalize(x)
			if err != nil {
				return nil, err
			}
			c[k] = n
		}
		return c, nil
	case []any:
		c := make([]any, len(v))
		for i, x := range v {
			n, err := normalize(x)
			if err != nil {
				return nil, err
			}
			c[i] = n
		}
		return c, nil
	}
	// Any other Go value (a struct, []string): through its JSON.
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return decode(b)
}

// decode decodes one JSON value keeping numbers as written.
func decode(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("invalid JSON: data after the value")
	}
	return v, nil
}

// copyTree copies a tree deeply, so a copied value and its source can be
// changed apart.
func copyTree(v any) any {
	switch v := v.(type) {
	case map[string]any:
		c := make(map[string]any, len(v))
		for k, x := range v {
			c[k] = copyTree(x)
		}
		return c
	case []any:
		c := make([]any, len(v))
		for i, x := range v {
			c[i] = copyTree(x)
		}
		return c
	}
	return v
}
