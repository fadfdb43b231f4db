package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"sync"
)

// The scan walks the JSON tokens once, against the shape of Scenario, to
// learn where every value starts and to report what json.Unmarshal would
// silently accept or skip: unknown fields, duplicate keys, wrong types.

// kind is the JSON type a Go field accepts.
type kind uint8

const (
	kindAny kind = iota
	kindObject
	kindArray
	kindString
	kindBool
	kindInt
)

// wants names each kind for "want …, got …" messages.
var wants = [...]string{
	kindAny:    "any value",
	kindObject: "an object",
	kindArray:  "an array",
	kindString: "a string",
	kindBool:   "a boolean",
	kindInt:    "an integer",
}

// shape is the JSON form of a Go type: json tag names for structs, the
// element for slices.
type shape struct {
	kind   kind
	fields map[string]*shape // kindObject: json name → field shape
	names  []string          // kindObject: json names in declaration order, for hints
	elem   *shape            // kindArray
}

// anyShape accepts any JSON value (PatchOp.Value).
var anyShape = &shape{kind: kindAny}

var scenarioShape = sync.OnceValue(func() *shape {
	return shapeOf(reflect.TypeFor[Scenario](), map[reflect.Type]*shape{})
})

// shapeOf reads a Go type the way encoding/json does: pointers as their
// element, fields by json tag name.
func shapeOf(t reflect.Type, seen map[reflect.Type]*shape) *shape {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		if sh, ok := seen[t]; ok {
			return sh
		}
		sh := &shape{kind: kindObject, fields: map[string]*shape{}}
		seen[t] = sh
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if !f.IsExported() || name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			sh.fields[name] = shapeOf(f.Type, seen)
			sh.names = append(sh.names, name)
		}
		return sh
	case reflect.Slice, reflect.Array:
		return &shape{kind: kindArray, elem: shapeOf(t.Elem(), seen)}
	case reflect.String:
		return &shape{kind: kindString}
	case reflect.Bool:
		return &shape{kind: kindBool}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return &shape{kind: kindInt}
	}
	return anyShape
}

// scanner walks one well-formed document with a json.Decoder.
type scanner struct {
	*decoding
	dec *json.Decoder
}

// scan records the position of every value and reports structural
// problems. The input is known to be well-formed JSON.
func (d *decoding) scan() {
	dec := json.NewDecoder(bytes.NewReader(d.data))
	dec.UseNumber()
	s := scanner{d, dec}
	if err := s.value(scenarioShape(), "", false); err != nil {
		d.badValue("", int(dec.InputOffset()), "invalid JSON: %v", err)
	}
}

// next reads a token and the offset where it starts.
func (s *scanner) next() (json.Token, int, error) {
	off := skipSeparators(s.data, int(s.dec.InputOffset()))
	t, err := s.dec.Token()
	return t, off, err
}

// skipSeparators moves past whitespace and the ':' or ',' that the decoder
// consumes together with the following token.
func skipSeparators(data []byte, i int) int {
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\n', '\r', ':', ',':
			i++
		default:
			return i
		}
	}
	return i
}

// value reads one value that should have shape sh. A null field is as if
// absent; a null document or list element is a mistake.
func (s *scanner) value(sh *shape, path string, nullOK bool) error {
	t, off, err := s.next()
	if err != nil {
		return err
	}
	s.pos[path] = off
	if t == nil {
		if !nullOK && sh.kind != kindAny {
			s.badValue(path, off, "want %s, got null", wants[sh.kind])
		}
		return nil
	}
	if got := tokenKind(t); sh.kind != kindAny && got != sh.kind &&
		(got != kindNumber || sh.kind != kindInt) {
		s.badValue(path, off, "want %s, got %s", wants[sh.kind], describe(t))
		return s.skip(t)
	}
	switch v := t.(type) {
	case json.Delim:
		if v == '{' {
			return s.object(sh, path)
		}
		return s.array(sh, path)
	case json.Number:
		s.number(sh, path, off, v)
	}
	return nil
}

// kindNumber is a JSON number that may not be an integer; only scan uses it.
const kindNumber kind = 255

// tokenKind is the kind of a token that starts a value.
func tokenKind(t json.Token) kind {
	switch v := t.(type) {
	case json.Delim:
		if v == '{' {
			return kindObject
		}
		return kindArray
	case string:
		return kindString
	case bool:
		return kindBool
	case json.Number:
		return kindNumber
	}
	return kindAny
}

// describe names the type of a token for "got …".
func describe(t json.Token) string {
	switch tokenKind(t) {
	case kindObject:
		return "an object"
	case kindArray:
		return "an array"
	case kindString:
		return "a string"
	case kindBool:
		return "a boolean"
	case kindNumber:
		return "a number"
	}
	return "null"
}

// number checks that a number fits where json.Unmarshal will put it.
func (s *scanner) number(sh *shape, path string, off int, n json.Number) {
	var err error
	if sh.kind == kindInt {
		_, err = strconv.ParseInt(n.String(), 10, strconv.IntSize)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			s.badValue(path, off, "want an integer, got %s", cutShort(n.String()))
			return
		}
	} else {
		_, err = strconv.ParseFloat(n.String(), 64)
	}
	if err != nil {
		s.badValue(path, off, "number %s is out of range", cutShort(n.String()))
	}
}

// object reads the members of an object after its '{'.
func (s *scanner) object(sh *shape, path string) error {
	seen := map[string]int{} // key → offset of its first occurrence
	for s.dec.More() {
		t, off, err := s.next()
		if err != nil {
			return err
		}
		key, _ := t.(string)
		child := path + "/" + escapePointer(key)
		if first, dup := seen[key]; dup {
			s.badValue(child, off, "duplicate key %s (first at %s)", quoteShort(key), s.where(first))
			if err := s.skipValue(); err != nil {
				return err
			}
			continue
		}
		seen[key] = off
		fsh := anyShape
		if sh.kind == kindObject {
			var known bool
			if fsh, known = sh.fields[key]; !known {
				s.badValue(child, off, "unknown field %s%s", quoteShort(key), didYouMean(key, sh.names))
				if err := s.skipValue(); err != nil {
					return err
				}
				continue
			}
		}
		if err := s.value(fsh, child, true); err != nil {
			return err
		}
	}
	_, err := s.dec.Token() // '}'
	return err
}

// array reads the elements of an array after its '['.
func (s *scanner) array(sh *shape, path string) error {
	elem := anyShape
	if sh.kind == kindArray {
		elem = sh.elem
	}
	for i := 0; s.dec.More(); i++ {
		if err := s.value(elem, path+"/"+strconv.Itoa(i), false); err != nil {
			return err
		}
	}
	_, err := s.dec.Token() // ']'
	return err
}

// skipValue reads and discards one value.
func (s *scanner) skipValue() error {
	t, _, err := s.next()
	if err != nil {
		return err
	}
	return s.skip(t)
}

// skip discards the rest of a value whose first token was t.
func (s *scanner) skip(t json.Token) error {
	depth := 0
	for {
		if d, ok := t.(json.Delim); ok {
			if d == '{' || d == '[' {
				depth++
			} else {
				depth--
			}
		}
		if depth == 0 {
			return nil
		}
		var err error
		if t, err = s.dec.Token(); err != nil {
			return err
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
