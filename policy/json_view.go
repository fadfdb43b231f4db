package policy

import (
	"reflect"
	"strconv"
	"strings"
	"sync"
)

// Fix search reads the scenario's Go values as the JSON document
// json.Marshal would write, to tell how a JSON Patch applies to that
// document without encoding it (fixOffer): which members are there (empty
// ones with omitempty or omitzero are not), and what is an object or an
// array.

// jsonForm is op as applyOps applies it to the document root encodes to:
// as it is, else rewritten (rewriteOp), else nested (nestOp).
func jsonForm(root reflect.Value, op PatchOp) (PatchOp, bool) {
	if jsonApplies(root, op) {
		return op, true
	}
	alt, ok := rewriteOp(op)
	if !ok {
		return op, false
	}
	if jsonApplies(root, alt) {
		return alt, true
	}
	if nested, ok := nestOp(alt); ok && jsonApplies(root, nested) {
		return nested, true
	}
	return op, false
}

// jsonApplies says whether RFC 6902 lets op apply to the document root
// encodes to (internal/jsonpatch's rules): add needs the parent, remove
// and replace the target. Only the operations fixes use are known.
func jsonApplies(root reflect.Value, op PatchOp) bool {
	tokens, ok := splitPointer(op.Path)
	if !ok {
		return false
	}
	switch op.Op {
	case "add":
		parent, ok := jsonResolve(root, tokens[:len(tokens)-1])
		if !ok {
			return false
		}
		last := tokens[len(tokens)-1]
		switch v, kind := jsonKind(parent); kind {
		case viewObject:
			return true
		case viewArray:
			_, ok := jsonIndex(last, v.Len()+1)
			return last == "-" || ok
		}
		return false
	case "replace", "remove":
		_, ok := jsonResolve(root, tokens)
		return ok
	}
	return false
}

// jsonKind is what v encodes to: an object, an array or another value
// (a string, number, bool or null), with pointers and interfaces followed.
const (
	viewOther = iota
	viewObject
	viewArray
)

func jsonKind(v reflect.Value) (reflect.Value, int) {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return v, viewOther
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.Struct:
		return v, viewObject
	case reflect.Map:
		if !v.IsNil() && v.Type().Key().Kind() == reflect.String {
			return v, viewObject
		}
	case reflect.Slice:
		if !v.IsNil() && v.Type().Elem().Kind() != reflect.Uint8 {
			return v, viewArray
		}
	case reflect.Array:
		return v, viewArray
	}
	return v, viewOther
}

// jsonResolve finds the value at tokens in the document root encodes to:
// members json.Marshal omits are not there.
func jsonResolve(root reflect.Value, tokens []string) (reflect.Value, bool) {
	v := root
	for _, t := range tokens {
		var kind int
		switch v, kind = jsonKind(v); kind {
		case viewObject:
			if v.Kind() == reflect.Map {
				if v = v.MapIndex(reflect.ValueOf(t).Convert(v.Type().Key())); !v.IsValid() {
					return v, false
				}
				continue
			}
			f, ok := jsonFieldsOf(v.Type()).byName(t)
			if !ok || f.omitted(v.Field(f.index)) {
				return v, false
			}
			v = v.Field(f.index)
		case viewArray:
			i, ok := jsonIndex(t, v.Len())
			if !ok {
				return v, false
			}
			v = v.Index(i)
		default:
			return v, false
		}
	}
	return v, true
}

// jsonIndex parses an array index as RFC 6901 writes it (digits, no
// leading zero), below limit.
func jsonIndex(token string, limit int) (int, bool) {
	n, err := strconv.Atoi(token)
	if err != nil || n < 0 || n >= limit || token != strconv.Itoa(n) {
		return 0, false
	}
	return n, true
}

// jsonField is a struct field as encoding/json sees it.
type jsonField struct {
	index     int
	name      string
	omitEmpty bool
	omitZero  bool
	tagged    bool // has a validate tag
}

// omitted says whether json.Marshal leaves the field (value v) out.
func (f jsonField) omitted(v reflect.Value) bool {
	if f.omitZero && v.IsZero() {
		return true
	}
	if !f.omitEmpty {
		return false
	}
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}

type jsonFields []jsonField

func (fs jsonFields) byName(name string) (jsonField, bool) {
	for _, f := range fs {
		if f.name == name {
			return f, true
		}
	}
	return jsonField{}, false
}

// jsonFieldCache holds each struct type's jsonFields.
var jsonFieldCache sync.Map

// jsonFieldsOf lists t's exported fields by json name (the Go name when the
// tag gives none; "-" fields left out). The scenario's types embed no
// structs, so embedding is not followed.
func jsonFieldsOf(t reflect.Type) jsonFields {
	if fs, ok := jsonFieldCache.Load(t); ok {
		return fs.(jsonFields)
	}
	fs := make(jsonFields, 0, t.NumField())
	for i := range t.NumField() {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		if !sf.IsExported() || tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = sf.Name
		}
		f := jsonField{index: i, name: name, tagged: sf.Tag.Get("validate") != ""}
		for _, opt := range strings.Split(opts, ",") {
			f.omitEmpty = f.omitEmpty || opt == "omitempty"
			f.omitZero = f.omitZero || opt == "omitzero"
		}
		fs = append(fs, f)
	}
	jsonFieldCache.Store(t, fs)
	return fs
}
