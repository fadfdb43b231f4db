package policy

import (
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
)

// patchStruct applies add, remove and replace operations to s on its Go
// values, addressing fields by their JSON names, and returns the patched
// scenario; s is not modified. It is the fast path of fix verification
// (fixOffer works out the JSON Patch that is offered).
//
// The copy is shallow but for what the patch writes: every slice and
// pointer on an operation's path is copied before the write, the rest is
// shared with s. That is safe because nothing writes to a scenario in
// place: the evaluator copies one (cloneScenario) before an admin event
// changes it.
func patchStruct(s *Scenario, ops []PatchOp) (*Scenario, error) {
	c := *s
	var p structPatcher
	root := reflect.ValueOf(&c).Elem()
	for _, op := range ops {
		if err := p.apply(root, op); err != nil {
			return nil, err
		}
	}
	return &c, nil
}

// errStructPatch is any operation patchStruct cannot apply; fix search
// only needs to know that it failed.
var errStructPatch = errors.New("the operation does not apply to the scenario's Go values")

// structPatcher applies operations copy-on-write. owned lists the slices'
// arrays and the pointed-to values it has copied: they belong to the patched
// scenario alone and are written in place.
type structPatcher struct {
	owned []uintptr
}

// own makes the slice or pointer held in v (settable) private to the patched
// scenario, copying it unless it already is. A nil pointer gets a new zero
// value, as a JSON add creates the member; a nil slice stays nil (appending
// to it allocates anyway).
func (p *structPatcher) own(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() && p.owns(v.Pointer()) {
			return
		}
		n := reflect.New(v.Type().Elem())
		if !v.IsNil() {
			n.Elem().Set(v.Elem())
		}
		v.Set(n)
		p.owned = append(p.owned, n.Pointer())
	case reflect.Slice:
		if v.IsNil() || (v.Cap() > 0 && p.owns(v.Pointer())) {
			return
		}
		// An empty slice is copied too: appending to it could write into
		// spare capacity shared with s.
		n := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		reflect.Copy(n, v)
		v.Set(n)
		if n.Cap() > 0 {
			p.owned = append(p.owned, n.Pointer())
		}
	}
}

func (p *structPatcher) owns(ptr uintptr) bool {
	for _, o := range p.owned {
		if o == ptr {
			return true
		}
	}
	return false
}

// apply applies one operation to root, the patched scenario.
func (p *structPatcher) apply(root reflect.Value, op PatchOp) error {
	segs, ok := splitPointer(op.Path)
	if !ok || len(segs) == 0 {
		return errStructPatch
	}
	parent, ok := p.walk(root, segs[:len(segs)-1])
	if !ok {
		return errStructPatch
	}
	last := segs[len(segs)-1]
	switch parent.Kind() {
	case reflect.Struct:
		f, ok := fieldByJSONName(parent, last)
		if !ok {
			return errStructPatch
		}
		switch op.Op {
		case "add", "replace":
			return setJSON(f, op.Value)
		case "remove":
			f.SetZero()
			return nil
		}
	case reflect.Slice:
		p.own(parent)
		if op.Op == "add" && last == "-" {
			elem := reflect.New(parent.Type().Elem()).Elem()
			if err := setJSON(elem, op.Value); err != nil {
				return err
			}
			parent.Set(reflect.Append(parent, elem))
			return nil
		}
		i, err := strconv.Atoi(last)
		if err != nil || i < 0 || i > parent.Len() || (op.Op != "add" && i == parent.Len()) {
			return errStructPatch
		}
		switch op.Op {
		case "replace":
			return setJSON(parent.Index(i), op.Value)
		case "remove":
			parent.Set(reflect.AppendSlice(parent.Slice(0, i), parent.Slice(i+1, parent.Len())))
			return nil
		case "add":
			elem := reflect.New(parent.Type().Elem()).Elem()
			if err := setJSON(elem, op.Value); err != nil {
				return err
			}
			grown := reflect.MakeSlice(parent.Type(), parent.Len()+1, parent.Len()+1)
			reflect.Copy(grown, parent.Slice(0, i))
			grown.Index(i).Set(elem)
			reflect.Copy(grown.Slice(i+1, grown.Len()), parent.Slice(i, parent.Len()))
			parent.Set(grown)
			return nil
		}
	}
	return errStructPatch
}

// walk follows segments through structs, pointers (allocated when nil, as
// a JSON add would create the member) and slices, owning each pointer and
// slice it goes through.
func (p *structPatcher) walk(v reflect.Value, segs []string) (reflect.Value, bool) {
	for _, seg := range segs {
		v = p.deref(v)
		switch v.Kind() {
		case reflect.Struct:
			f, ok := fieldByJSONName(v, seg)
			if !ok {
				return v, false
			}
			v = f
		case reflect.Slice:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= v.Len() {
				return v, false
			}
			p.own(v)
			v = v.Index(i)
		default:
			return v, false
		}
	}
	return p.deref(v), true
}

func (p *structPatcher) deref(v reflect.Value) reflect.Value {
	for v.Kind() == reflect.Pointer {
		p.own(v)
		v = v.Elem()
	}
	return v
}

// setJSON stores a JSON-shaped value (as a patch carries it) into v.
func setJSON(v reflect.Value, value any) error {
	switch x := value.(type) {
	case string:
		switch {
		case v.Kind() == reflect.String:
			v.SetString(x)
			return nil
		case v.Kind() == reflect.Pointer && v.Type().Elem().Kind() == reflect.String:
			v.Set(reflect.ValueOf(&x))
			return nil
		}
	case bool:
		switch {
		case v.Kind() == reflect.Bool:
			v.SetBool(x)
			return nil
		case v.Kind() == reflect.Pointer && v.Type().Elem().Kind() == reflect.Bool:
			v.Set(reflect.ValueOf(&x))
			return nil
		}
	}
	b, err := json.Marshal(value)
	if err != nil {
		return err
	}
	ptr := reflect.New(v.Type())
	if err := json.Unmarshal(b, ptr.Interface()); err != nil {
		return err
	}
	v.Set(ptr.Elem())
	return nil
}

// fieldByJSONName finds a struct field by its json name.
func fieldByJSONName(v reflect.Value, name string) (reflect.Value, bool) {
	f, ok := jsonFieldsOf(v.Type()).byName(name)
	if !ok {
		return reflect.Value{}, false
	}
	return v.Field(f.index), true
}

// splitPointer splits an RFC 6901 JSON pointer into unescaped segments.
func splitPointer(p string) ([]string, bool) {
	if p == "" || p[0] != '/' {
		return nil, false
	}
	segs := strings.Split(p[1:], "/")
	for i, s := range segs {
		segs[i] = unescapePointer(s)
	}
	return segs, true
}
