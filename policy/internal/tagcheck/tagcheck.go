// Package tagcheck checks a struct against its `validate` tags with the
// semantics of github.com/go-playground/validator/v10 for the rules policy's
// Scenario uses. The browser build of policy checks tags with it instead of
// the validator, whose dependencies would double the size of the
// WebAssembly module; the native build keeps the validator, which is this
// package's reference: the tests here hold the two to the same errors, and
// policy's tests do the same on every preset, the fuzz corpus and random
// mutations of them.
//
// Rules: required, omitempty, eq, min, max, oneof, startswith, ip, dive,
// alternatives joined by "|", and the string rules given to New. Any other
// rule is a programming error and panics, as the validator does.
package tagcheck

import (
	"net/netip"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// StringRule is a rule of one's own for string fields, as
// validator.RegisterValidation registers it: s is the value, param what
// follows "=" in the tag.
type StringRule func(s, param string) bool

// Error is one broken rule: what a validator.FieldError tells of it.
type Error struct {
	Path  string       // JSON pointer to the value, from the fields' json names
	Tag   string       // the rule as written; "a=x|b=y" for alternatives
	Param string       // the rule's parameter; for alternatives, the last one's
	Value any          // the value, pointers followed
	Kind  reflect.Kind // the value's kind
}

// Checker checks validate tags. It is safe for concurrent use and caches
// what it learns of each struct type.
type Checker struct {
	custom map[string]StringRule
	fields sync.Map // reflect.Type → []field
}

// New returns a Checker that knows the built-in rules and custom.
func New(custom map[string]StringRule) *Checker {
	return &Checker{custom: custom}
}

// Check checks the validate tags of a struct, or a pointer to one, and of
// its nested structs, in field order.
func (c *Checker) Check(v any) []Error {
	var w walk
	w.c = c
	rv, kind, _ := followPointers(reflect.ValueOf(v))
	if kind == reflect.Struct {
		w.structFields(rv, "")
	}
	return w.errs
}

// rule is one rule of a validate tag, or a chain of alternatives.
type rule struct {
	name, param string
	alts        []rule // for "a|b": the alternatives; name is the chain as written
}

// field is a struct field as the checker sees it.
type field struct {
	index int
	name  string // the json name, or the Go name when there is none
	rules []rule // nil without a validate tag
}

// structFieldsOf lists the fields of a struct type the validator looks at:
// the exported ones (and embedded ones) not tagged validate:"-".
func (c *Checker) structFieldsOf(t reflect.Type) []field {
	if fs, ok := c.fields.Load(t); ok {
		return fs.([]field)
	}
	var fs []field
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("validate")
		if !f.IsExported() && !f.Anonymous || tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			name = f.Name
		}
		fs = append(fs, field{index: i, name: name, rules: c.parseTag(tag, t.Name()+"."+f.Name)})
	}
	c.fields.Store(t, fs)
	return fs
}

// parseTag splits a validate tag into rules, checking each is known.
func (c *Checker) parseTag(tag, fieldName string) []rule {
	if tag == "" {
		return nil
	}
	var rules []rule
	for item := range strings.SplitSeq(tag, ",") {
		if !strings.Contains(item, "|") {
			rules = append(rules, c.parseRule(item, fieldName))
			continue
		}
		chain := rule{name: item}
		for alt := range strings.SplitSeq(item, "|") {
			r := c.parseRule(alt, fieldName)
			chain.alts = append(chain.alts, r)
			chain.param = r.param
		}
		rules = append(rules, chain)
	}
	return rules
}

func (c *Checker) parseRule(s, fieldName string) rule {
	name, param, _ := strings.Cut(s, "=")
	switch name {
	case "required", "omitempty", "eq", "min", "max", "oneof", "startswith", "ip", "dive":
	default:
		if c.custom[name] == nil {
			panic("tagcheck: undefined validate rule " + strconv.Quote(name) + " on field " + fieldName)
		}
	}
	return rule{name: name, param: param}
}

// walk is one Check: the checker and the errors found so far.
type walk struct {
	c    *Checker
	errs []Error
}

func (w *walk) structFields(v reflect.Value, path string) {
	for _, f := range w.c.structFieldsOf(v.Type()) {
		w.field(v.Field(f.index), path+"/"+f.name, f.rules)
	}
}

// field checks one value against its rules, then, for a struct, its fields.
func (w *walk) field(v reflect.Value, path string, rules []rule) {
	v, kind, viaPointer := followPointers(v)
	switch kind {
	case reflect.Pointer, reflect.Interface, reflect.Invalid: // nil
		if len(rules) == 0 || rules[0].name == "omitempty" {
			return
		}
		var value any
		if kind != reflect.Invalid {
			value = v.Interface()
		}
		w.errs = append(w.errs, Error{path, rules[0].name, rules[0].param, value, kind})
		return
	case reflect.Struct:
		// The validator skips a leading required on a struct value.
		if len(rules) > 0 && rules[0].name == "required" && rules[0].alts == nil {
			rules = rules[1:]
		}
	}
	for i, r := range rules {
		switch {
		case r.name == "omitempty":
			if !hasValue(v, viaPointer) {
				return
			}
			continue
		case r.name == "dive":
			if kind != reflect.Slice && kind != reflect.Array {
				panic("tagcheck: dive on " + v.Type().String() + " at " + path)
			}
			for j := range v.Len() {
				w.field(v.Index(j), path+"/"+strconv.Itoa(j), rules[i+1:])
			}
			return
		case r.alts != nil:
			if !w.anyHolds(r.alts, v, viaPointer) {
				w.errs = append(w.errs, Error{path, r.name, r.param, v.Interface(), kind})
				return
			}
		case !w.holds(r, v, viaPointer):
			w.errs = append(w.errs, Error{path, r.name, r.param, v.Interface(), kind})
			return
		}
	}
	if kind == reflect.Struct {
		w.structFields(v, path)
	}
}

func (w *walk) anyHolds(alts []rule, v reflect.Value, viaPointer bool) bool {
	for _, r := range alts {
		if w.holds(r, v, viaPointer) {
			return true
		}
	}
	return false
}

// followPointers follows pointers and interfaces to the value, stopping at
// a nil one. viaPointer says whether it went through any.
func followPointers(v reflect.Value) (_ reflect.Value, _ reflect.Kind, viaPointer bool) {
	for {
		switch v.Kind() {
		case reflect.Pointer, reflect.Interface:
			viaPointer = true
			if v.IsNil() {
				return v, v.Kind(), viaPointer
			}
			v = v.Elem()
		default:
			return v, v.Kind(), viaPointer
		}
	}
}

// hasValue is the validator's required: a non-nil slice, map or pointer;
// any value reached through a pointer; otherwise a non-zero value.
func hasValue(v reflect.Value, viaPointer bool) bool {
	switch v.Kind() {
	case reflect.Slice, reflect.Map, reflect.Pointer, reflect.Interface, reflect.Chan, reflect.Func:
		return !v.IsNil()
	}
	return viaPointer || v.IsValid() && !v.IsZero()
}

// holds checks one rule. Sizes are characters for strings, items for
// lists; numbers compare as numbers.
func (w *walk) holds(r rule, v reflect.Value, viaPointer bool) bool {
	switch r.name {
	case "required":
		return hasValue(v, viaPointer)
	case "eq":
		if v.Kind() == reflect.String {
			return v.String() == r.param
		}
		return compareSize(v, r.param) == 0
	case "min":
		return compareSize(v, r.param) >= 0
	case "max":
		return compareSize(v, r.param) <= 0
	case "oneof":
		var s string
		switch v.Kind() {
		case reflect.String:
			s = v.String()
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			s = strconv.FormatInt(v.Int(), 10)
		default:
			panic("tagcheck: oneof on " + v.Type().String())
		}
		for name := range strings.FieldsSeq(r.param) {
			if s == name {
				return true
			}
		}
		return false
	case "startswith":
		return v.Kind() == reflect.String && strings.HasPrefix(v.String(), r.param)
	case "ip":
		// net.ParseIP: an IPv4 or IPv6 address without a zone.
		ip, err := netip.ParseAddr(v.String())
		return v.Kind() == reflect.String && err == nil && ip.Zone() == ""
	}
	return v.Kind() == reflect.String && w.c.custom[r.name](v.String(), r.param)
}

// compareSize compares a value's size (characters of a string, items of a
// list, or a number) with a limit: -1, 0 or +1.
func compareSize(v reflect.Value, limit string) int {
	p, err := strconv.ParseInt(limit, 0, 64)
	if err != nil {
		panic("tagcheck: bad size " + strconv.Quote(limit) + " in a validate tag")
	}
	var n int64
	switch v.Kind() {
	case reflect.String:
		n = int64(utf8.RuneCountInString(v.String()))
	case reflect.Slice, reflect.Map, reflect.Array:
		n = int64(v.Len())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n = v.Int()
	default:
		panic("tagcheck: size rule on " + v.Type().String())
	}
	switch {
	case n < p:
		return -1
	case n > p:
		return 1
	}
	return 0
}
