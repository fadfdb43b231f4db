package policy

import (
	"encoding/json"
	"reflect"
	"strings"
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
