package policy

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"sync"
)

// fixOffer works out how the verified fixes of one scenario are offered:
// as the JSON Patch that applies to the scenario's document (json.Marshal
// of it) as is, rewrites included (an "add …/-" to an omitted array, a
// "replace" of an omitted member, a member of an omitted object), and only
// when the document takes every operation and the patched scenario is
// valid.
//
// A fix whose operations touch separate parts of the scenario (nearly
// all; see independentOps) is worked out on the Go values, reading them as
// json.Marshal writes them: no document is encoded, patched or decoded.
// That this equals the JSON path is a test property
// (TestOfferedPatchMatchesJSONPatch, and checkFixes for every fix offered).
// Any other fix takes the JSON path, charged to the work budget.
type fixOffer struct {
	s   *Scenario
	b   *budget
	doc []byte // s encoded, on first need
}

// offer is the patch to offer for ops, a verified fix that patchStruct
// turned s into patched (its references already checked), and whether it
// may be offered.
func (o *fixOffer) offer(patched *Scenario, ops []PatchOp, event int) ([]PatchOp, bool) {
	if !independentOps(ops) {
		return o.viaJSON(ops, event)
	}
	root := reflect.ValueOf(o.s).Elem()
	offered := make([]PatchOp, len(ops))
	for i, op := range ops {
		var ok bool
		if offered[i], ok = jsonForm(root, op); !ok {
			return nil, false
		}
	}
	return offered, tagsHold(patched, ops)
}

// viaJSON applies ops to the document with applyPatch and decodes the
// result with the value and reference checks.
func (o *fixOffer) viaJSON(ops []PatchOp, event int) ([]PatchOp, bool) {
	if o.doc == nil {
		doc, err := json.Marshal(o.s)
		o.b.spend(jsonWork(len(doc)))
		if err != nil {
			return nil, false
		}
		o.doc = doc
	}
	patched, applied, work, err := applyPatch(o.doc, ops)
	o.b.spend(jsonWork(work))
	if err != nil {
		return nil, false
	}
	s, ok := decodePatched(patched)
	o.b.spend(jsonWork(len(patched)))
	return applied, ok && event < len(s.Events)
}

// decodePatched decodes a scenario our own patch produced from a valid one:
// the JSON is well formed with known fields, so the positional scan Decode
// does for error messages is skipped; the value rules and references are
// still checked, since a fix must leave a valid scenario.
func decodePatched(data []byte) (*Scenario, bool) {
	var s Scenario
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, false
	}
	d := &decoding{data: data}
	d.validate(&s)
	d.crossCheck(&s)
	return &s, len(d.probs) == 0
}

// independentOps says whether each operation reads and writes a part of
// the document no other operation writes, so that each applies as it would
// alone: no operation's path runs through the place another may change.
// That place is the operation's parent (where an add or remove shifts an
// array, or a nested add creates the member), or for an append its
// grandparent (an append to an omitted array inside an omitted object
// creates that object).
func independentOps(ops []PatchOp) bool {
	for i := range ops {
		for j := i + 1; j < len(ops); j++ {
			if pathWithin(ops[j].Path, changeRoot(ops[i].Path)) || pathWithin(ops[i].Path, changeRoot(ops[j].Path)) {
				return false
			}
		}
	}
	return true
}

// changeRoot is the pointer of the value an operation on path may change.
func changeRoot(path string) string {
	parent := path[:max(strings.LastIndexByte(path, '/'), 0)]
	if strings.HasSuffix(path, "/-") {
		return parent[:max(strings.LastIndexByte(parent, '/'), 0)]
	}
	return parent
}

// pathWithin says whether pointer p is root or inside it.
func pathWithin(p, root string) bool {
	return strings.HasPrefix(p, root) && (len(p) == len(root) || p[len(root)] == '/')
}

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

// tagsHold checks the validate tags of what ops changed in patched (a
// scenario that was valid before them). An operation changes the value at
// its path and the values that hold it; a holding list keeps its length
// (tags on lists count items) unless the operation adds or removes an
// item of it, and no other holding value has a tag. So the tags to check
// are those of the struct that holds the written field (or the written
// list): that struct is checked whole, with what it contains. Should a
// holding field carry a tag of its own (not a list's), the scenario is
// checked whole.
func tagsHold(patched *Scenario, ops []PatchOp) bool {
	for _, op := range ops {
		if len(tags.Check(tagHolder(patched, op.Path))) > 0 {
			return false
		}
	}
	return true
}

// tagHolder is a pointer to the struct holding the field at path (or the
// list holding the item at path), or to the scenario.
func tagHolder(s *Scenario, path string) any {
	tokens, ok := splitPointer(path)
	whole := any(s)
	if !ok {
		return whole
	}
	v := reflect.ValueOf(s).Elem()
	holder := v
	for i, t := range tokens {
		for v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return whole
			}
			v = v.Elem()
		}
		switch v.Kind() {
		case reflect.Struct:
			f, ok := jsonFieldsOf(v.Type()).byName(t)
			if !ok {
				return whole
			}
			holder = v
			v = v.Field(f.index)
			if i < len(tokens)-1 && f.tagged && v.Kind() != reflect.Slice {
				return whole
			}
		case reflect.Slice:
			if i == len(tokens)-1 {
				break // an item of the list: holder holds the list
			}
			n, ok := jsonIndex(t, v.Len())
			if !ok {
				return whole
			}
			v = v.Index(n)
		default:
			return whole
		}
	}
	return holder.Addr().Interface()
}
