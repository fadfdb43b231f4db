package policy

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// patchStruct applies add, remove and replace operations to a deep copy of
// s on its Go values, addressing fields by their JSON names. It is the
// fast path of fix verification; a fix that passes is then applied as a
// real JSON Patch to the document (applyPatch) before it is offered.
func patchStruct(s *Scenario, ops []PatchOp) (*Scenario, error) {
	c := cloneScenario(s)
	// cloneScenario shares event pointers and copies events shallowly;
	// a patch may write inside events, so copy them (once) before it does.
	root := reflect.ValueOf(c).Elem()
	eventsCopied := false
	for i, op := range ops {
		if !eventsCopied && strings.HasPrefix(op.Path, "/events/") {
			deepCopyEvents(c)
			eventsCopied = true
		}
		if err := applyStructOp(root, op); err != nil {
			return nil, fmt.Errorf("operation %d (%s %s): %w", i, op.Op, op.Path, err)
		}
	}
	return c, nil
}

func deepCopyEvents(s *Scenario) {
	for i := range s.Events {
		e := &s.Events[i]
		e.RedirectURI = cloneString(e.RedirectURI)
		e.Scope = cloneString(e.Scope)
		e.PKCE = cloneBool(e.PKCE)
		e.IncludeSessionID = cloneBool(e.IncludeSessionID)
		if e.Policies != nil {
			p := *e.Policies
			e.Policies = &p
		}
	}
}

func cloneString(p *string) *string {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

func applyStructOp(root reflect.Value, op PatchOp) error {
	segs, err := splitPointer(op.Path)
	if err != nil || len(segs) == 0 {
		return fmt.Errorf("unsupported path")
	}
	parent, err := walkPointer(root, segs[:len(segs)-1])
	if err != nil {
		return err
	}
	last := segs[len(segs)-1]
	switch parent.Kind() {
	case reflect.Struct:
		f, ok := fieldByJSONName(parent, last)
		if !ok {
			return fmt.Errorf("no field %q", last)
		}
		switch op.Op {
		case "add", "replace":
			return setJSON(f, op.Value)
		case "remove":
			f.Set(reflect.Zero(f.Type()))
			return nil
		}
	case reflect.Slice:
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
			return fmt.Errorf("index %q out of range", last)
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
			grown := reflect.Append(parent.Slice(0, i), elem)
			parent.Set(reflect.AppendSlice(grown, parent.Slice(i, parent.Len())))
			return nil
		}
	}
	return fmt.Errorf("op %q not supported here", op.Op)
}

// walkPointer follows segments through structs, pointers (allocated when
// nil, as a JSON add would create the member) and slices.
func walkPointer(v reflect.Value, segs []string) (reflect.Value, error) {
	for _, seg := range segs {
		for v.Kind() == reflect.Pointer {
			if v.IsNil() {
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		switch v.Kind() {
		case reflect.Struct:
			f, ok := fieldByJSONName(v, seg)
			if !ok {
				return v, fmt.Errorf("no field %q", seg)
			}
			v = f
		case reflect.Slice:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= v.Len() {
				return v, fmt.Errorf("index %q out of range", seg)
			}
			v = v.Index(i)
		default:
			return v, fmt.Errorf("cannot descend into %s at %q", v.Kind(), seg)
		}
	}
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		v = v.Elem()
	}
	return v, nil
}

// setJSON stores a JSON-shaped value (as a patch carries it) into v.
func setJSON(v reflect.Value, value any) error {
	switch x := value.(type) {
	case string:
		if v.Kind() == reflect.String {
			v.SetString(x)
			return nil
		}
	case bool:
		if v.Kind() == reflect.Bool {
			v.SetBool(x)
			return nil
		}
		if v.Kind() == reflect.Pointer && v.Type().Elem().Kind() == reflect.Bool {
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

// fieldByJSONName finds a struct field by its json tag name.
func fieldByJSONName(v reflect.Value, name string) (reflect.Value, bool) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		tag, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if tag == name {
			return v.Field(i), true
		}
	}
	return reflect.Value{}, false
}

// splitPointer splits an RFC 6901 JSON pointer into unescaped segments.
func splitPointer(p string) ([]string, error) {
	if p == "" || p[0] != '/' {
		return nil, fmt.Errorf("not a JSON pointer: %q", p)
	}
	segs := strings.Split(p[1:], "/")
	for i, s := range segs {
		segs[i] = unescapePointer(s)
	}
	return segs, nil
}
