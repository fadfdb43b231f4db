package policy

import (
	"reflect"
	"strings"
	"sync"
)

// kind is the JSON type a Go field accepts, or (kindNumber) that a
// document holds.
type kind uint8

const (
	kindAny kind = iota
	kindObject
	kindArray
	kindString
	kindBool
	kindInt
	kindNumber // any JSON number; only the scan's "got" side uses it
)

// kindNames name each kind for "want …, got …" messages.
var kindNames = [...]string{
	kindAny:    "any value",
	kindObject: "an object",
	kindArray:  "an array",
	kindString: "a string",
	kindBool:   "a boolean",
	kindInt:    "an integer",
	kindNumber: "a number",
}

// maxShapeFields bounds a struct's fields: the scan tracks the fields seen
// in one object as bits of a uint64.
const maxShapeFields = 64

// shape is the JSON form of a Go type: json tag names for structs, the
// element for slices.
type shape struct {
	kind   kind
	fields map[string]field // kindObject: json name → field
	names  []string         // kindObject: json names in declaration order, for hints
	elem   *shape           // kindArray
}

// field is one member of an object shape.
type field struct {
	index int // declaration order, below maxShapeFields
	shape *shape
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
		sh := &shape{kind: kindObject, fields: map[string]field{}}
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
			if len(sh.names) == maxShapeFields {
				panic("policy: " + t.Name() + " has more than maxShapeFields fields")
			}
			sh.fields[name] = field{len(sh.names), shapeOf(f.Type, seen)}
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
