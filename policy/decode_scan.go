package policy

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The scan walks the document once against the shape of Scenario to report
// what json.Unmarshal would silently accept or skip: unknown fields,
// duplicate keys, wrong types. Recording, it also notes where every value
// starts, for line and column numbers. The input is known to be
// well-formed JSON (checked first), so the walk needs no error handling;
// it only guards against reading past the end.

// walker reads one well-formed document.
type walker struct {
	*decoding
	i      int  // read offset
	record bool // build pointers, note positions, report problems
	dirty  bool // a structural problem was seen
}

// scan walks the document and reports whether it is structurally sound.
// Without record it only answers that, cheaply: no pointers are built.
func (d *decoding) scan(record bool) bool {
	w := &walker{decoding: d, record: record}
	if record {
		d.pos = map[string]int{}
	}
	w.value(scenarioShape(), "", false)
	return !w.dirty
}

// positions are where the values start, recorded on first need: a valid
// document never needs them.
func (d *decoding) positions() map[string]int {
	if d.pos == nil {
		d.scan(true)
	}
	return d.pos
}

// problem reports a structural problem when recording.
func (w *walker) problem(path string, off int, format string, args ...any) {
	w.dirty = true
	if w.record {
		w.badValue(path, off, format, args...)
	}
}

// child is the pointer to a member or element, when recording.
func (w *walker) child(path, token string) string {
	if !w.record {
		return ""
	}
	return path + "/" + token
}

// value reads one value that should have shape sh. A null field is as if
// absent; a null document or list element is a mistake.
func (w *walker) value(sh *shape, path string, nullOK bool) {
	w.skipSpace()
	if w.i >= len(w.data) {
		return
	}
	off := w.i
	if w.record {
		w.pos[path] = off
	}
	got := kindAt(w.data[off])
	if w.data[off] == 'n' {
		w.i += len("null")
		if !nullOK && sh.kind != kindAny {
			w.problem(path, off, "want %s, got null", kindNames[sh.kind])
		}
		return
	}
	if sh.kind != kindAny && got != sh.kind && (got != kindNumber || sh.kind != kindInt) {
		w.problem(path, off, "want %s, got %s", kindNames[sh.kind], kindNames[got])
		w.skipValue()
		return
	}
	switch got {
	case kindObject:
		w.object(sh, path)
	case kindArray:
		w.array(sh, path)
	case kindString:
		w.skipString()
	case kindBool:
		w.skipLiteral()
	case kindNumber:
		start := w.i
		w.skipLiteral()
		w.number(sh, path, off, string(w.data[start:w.i]))
	}
}

// kindAt is the kind of the value starting with byte c.
func kindAt(c byte) kind {
	switch c {
	case '{':
		return kindObject
	case '[':
		return kindArray
	case '"':
		return kindString
	case 't', 'f':
		return kindBool
	}
	return kindNumber
}

// number checks that a number fits where json.Unmarshal will put it.
func (w *walker) number(sh *shape, path string, off int, n string) {
	var err error
	if sh.kind == kindInt {
		_, err = strconv.ParseInt(n, 10, strconv.IntSize)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			w.problem(path, off, "want an integer, got %s", cutShort(n))
			return
		}
	} else {
		_, err = strconv.ParseFloat(n, 64)
	}
	if err != nil {
		w.problem(path, off, "number %s is out of range", cutShort(n))
	}
}

// object reads an object. Struct fields seen are bits of a mask; keys of
// free-form objects (and all keys, when recording) go in a map with the
// offset of their first occurrence.
func (w *walker) object(sh *shape, path string) {
	w.i++ // '{'
	var mask uint64
	var seen map[string]int
	if w.record || sh.kind == kindAny {
		seen = map[string]int{}
	}
	for w.more('}') {
		off := w.i
		raw, plain := w.key()
		w.skipSpace()
		w.i++ // ':'
		var f field
		var known bool
		var key string
		if plain && seen == nil {
			f, known = sh.fields[string(raw)] // no allocation: the common case
			if !known {
				key = string(raw)
			}
		} else {
			key = keyText(w.data[off:off+len(raw)+2], raw, plain)
			f, known = sh.fields[key]
		}
		child := w.child(path, escapePointer(key))
		dup := false
		if seen != nil {
			var first int
			if first, dup = seen[key]; dup {
				w.problem(child, off, "duplicate key %s (first at %s)", quoteShort(key), w.where(first))
			} else {
				seen[key] = off
			}
		} else if known {
			dup = mask&(1<<f.index) != 0
			mask |= 1 << f.index
			w.dirty = w.dirty || dup
		}
		switch {
		case dup:
			w.skipSpace()
			w.skipValue()
		case sh.kind == kindAny:
			w.value(anyShape, child, true)
		case !known:
			w.problem(child, off, "unknown field %s%s", quoteShort(key), didYouMean(key, sh.names))
			w.skipSpace()
			w.skipValue()
		default:
			w.value(f.shape, child, true)
		}
	}
}

// array reads an array.
func (w *walker) array(sh *shape, path string) {
	w.i++ // '['
	elem := anyShape
	if sh.kind == kindArray {
		elem = sh.elem
	}
	for n := 0; w.more(']'); n++ {
		child := ""
		if w.record {
			child = w.child(path, strconv.Itoa(n))
		}
		w.value(elem, child, false)
	}
}

// more moves past whitespace and a ',' and reports whether another member
// follows, or moves past the closing byte and reports false. A quick scan
// stops at its first problem.
func (w *walker) more(closing byte) bool {
	if w.dirty && !w.record {
		w.i = len(w.data)
		return false
	}
	w.skipSpace()
	if w.i < len(w.data) && w.data[w.i] == ',' {
		w.i++
		w.skipSpace()
	}
	if w.i >= len(w.data) {
		return false
	}
	if w.data[w.i] == closing {
		w.i++
		return false
	}
	return true
}

// key reads an object key: its bytes between the quotes, and whether
// they are its text as is (no escapes, valid UTF-8).
func (w *walker) key() (raw []byte, plain bool) {
	start := w.i
	escaped := w.skipString()
	raw = w.data[min(start+1, w.i):max(start+1, w.i-1)]
	return raw, !escaped && utf8.Valid(raw)
}

// keyText is a key as encoding/json reads it: escapes resolved, invalid
// UTF-8 replaced. quoted is the key with its quotes.
func keyText(quoted, raw []byte, plain bool) string {
	var s string
	if plain || json.Unmarshal(quoted, &s) != nil {
		return string(raw)
	}
	return s
}

// skipString moves past a string and reports whether it held escapes.
func (w *walker) skipString() (escaped bool) {
	for w.i++; w.i < len(w.data); w.i++ {
		switch w.data[w.i] {
		case '\\':
			escaped = true
			w.i++
		case '"':
			w.i++
			return escaped
		}
	}
	return escaped
}

// skipLiteral moves past a number, true, false or null.
func (w *walker) skipLiteral() {
	for w.i < len(w.data) {
		switch w.data[w.i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return
		}
		w.i++
	}
}

// skipSpace moves past whitespace.
func (w *walker) skipSpace() {
	for w.i < len(w.data) {
		switch w.data[w.i] {
		case ' ', '\t', '\n', '\r':
			w.i++
		default:
			return
		}
	}
}

// skipValue moves past one value without looking into it.
func (w *walker) skipValue() {
	depth := 0
	for w.i < len(w.data) {
		switch w.data[w.i] {
		case '{', '[':
			depth++
			w.i++
		case '}', ']':
			depth--
			w.i++
		case '"':
			w.skipString()
		case ' ', '\t', '\n', '\r', ',', ':':
			w.i++
			continue
		default:
			w.skipLiteral()
		}
		if depth <= 0 {
			return
		}
	}
}

// escapePointer escapes a key for a JSON Pointer (RFC 6901).
func escapePointer(key string) string {
	if !strings.ContainsAny(key, "~/") {
		return key
	}
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(key)
}

// unescapePointer undoes escapePointer on one token of a JSON Pointer
// (lenient: a "~" followed by anything else is kept as is).
func unescapePointer(token string) string {
	return strings.ReplaceAll(strings.ReplaceAll(token, "~1", "/"), "~0", "~")
}
