package policy

import (
	"net/netip"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// An interpreter of the validate tags Scenario uses, with the semantics of
// go-playground/validator for those tags: the browser build checks tags with
// it instead of the validator, whose dependencies would double the size of
// the WebAssembly module. It reports the same rules on the same paths with
// the same values, so ruleMessage words them the same;
// TestTagInterpreterMatchesValidator compares the two on presets, the fuzz
// corpus and random mutations.
//
// Rules: required, omitempty, eq, min, max, oneof, startswith, ip, dive,
// alternatives joined by "|", and the string rules in customRules. Any
// other rule is a programming error and panics, as the validator does.

// validateTags reports the values that break Scenario's validate tags.
func (d *decoding) validateTags(s *Scenario) {
	for _, e := range checkTags(s) {
		d.ruleBroken(e.path, e.tag, e.param, e.value, e.kind)
	}
}

// tagError is one broken rule: what validator.FieldError tells of it.
type tagError struct {
	path       string // JSON pointer to the value
	tag, param string // the rule as written; tag is "a=x|b=y" for alternatives, param the last one's
	value      any    // the value, pointers followed
	kind       reflect.Kind
}

// checkTags checks the validate tags of a struct, or a pointer to one, and
// its nested structs, in field order.
func checkTags(v any) []tagError {
	var c tagChecker
	rv, kind, _ := followPointers(reflect.ValueOf(v))
	if kind == reflect.Struct {
		c.structFields(rv, "")
	}
	return c.errs
}

type tagChecker struct {
	errs []tagError
}

// tagRule is one rule of a validate tag, or a chain of alternatives.
type tagRule struct {
	name, param string
	alts        []tagRule // for "a|b": the alternatives; name is the chain as written
}

// tagField is a struct field as the checker sees it.
type tagField struct {
	index int
	name  string    // the json name, or the Go name when there is none
	rules []tagRule // nil without a validate tag
}

var tagFieldCache sync.Map // reflect.Type → []tagField

// tagFields lists the fields of a struct type the validator looks at: the
// exported ones (and embedded ones) not tagged validate:"-".
func tagFields(t reflect.Type) []tagField {
	if fs, ok := tagFieldCache.Load(t); ok {
		return fs.([]tagField)
	}
	var fs []tagField
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
		fs = append(fs, tagField{index: i, name: name, rules: parseTag(tag, t.Name()+"."+f.Name)})
	}
	tagFieldCache.Store(t, fs)
	return fs
}

// parseTag splits a validate tag into rules, checking each is known.
func parseTag(tag, field string) []tagRule {
	if tag == "" {
		return nil
	}
	var rules []tagRule
	for item := range strings.SplitSeq(tag, ",") {
		if !strings.Contains(item, "|") {
			rules = append(rules, parseRule(item, field))
			continue
		}
		chain := tagRule{name: item}
		for alt := range strings.SplitSeq(item, "|") {
			r := parseRule(alt, field)
			chain.alts = append(chain.alts, r)
			chain.param = r.param
		}
		rules = append(rules, chain)
	}
	return rules
}

func parseRule(s, field string) tagRule {
	name, param, _ := strings.Cut(s, "=")
	switch name {
	case "required", "omitempty", "eq", "min", "max", "oneof", "startswith", "ip", "dive":
	default:
		if customRules[name] == nil {
			panic("policy: undefined validate rule " + strconv.Quote(name) + " on field " + field)
		}
	}
	return tagRule{name: name, param: param}
}

func (c *tagChecker) structFields(v reflect.Value, path string) {
	for _, f := range tagFields(v.Type()) {
		c.field(v.Field(f.index), path+"/"+f.name, f.rules)
	}
}

// field checks one value against its rules, then, for a struct, its fields.
func (c *tagChecker) field(v reflect.Value, path string, rules []tagRule) {
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
		c.errs = append(c.errs, tagError{path, rules[0].name, rules[0].param, value, kind})
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
				panic("policy: dive on " + v.Type().String() + " at " + path)
			}
			for j := range v.Len() {
				c.field(v.Index(j), path+"/"+strconv.Itoa(j), rules[i+1:])
			}
			return
		case r.alts != nil:
			if !anyRuleHolds(r.alts, v, viaPointer) {
				c.errs = append(c.errs, tagError{path, r.name, r.param, v.Interface(), kind})
				return
			}
		case !ruleHolds(r, v, viaPointer):
			c.errs = append(c.errs, tagError{path, r.name, r.param, v.Interface(), kind})
			return
		}
	}
	if kind == reflect.Struct {
		c.structFields(v, path)
	}
}

func anyRuleHolds(alts []tagRule, v reflect.Value, viaPointer bool) bool {
	for _, r := range alts {
		if ruleHolds(r, v, viaPointer) {
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

// ruleHolds checks one rule. Sizes are characters for strings, items for
// lists; numbers compare as numbers.
func ruleHolds(r tagRule, v reflect.Value, viaPointer bool) bool {
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
			panic("policy: oneof on " + v.Type().String())
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
	return v.Kind() == reflect.String && customRules[r.name](v.String(), r.param)
}

// compareSize compares a value's size (characters of a string, items of a
// list, or a number) with a limit: -1, 0 or +1.
func compareSize(v reflect.Value, limit string) int {
	p, err := strconv.ParseInt(limit, 0, 64)
	if err != nil {
		panic("policy: bad size " + strconv.Quote(limit) + " in a validate tag")
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
		panic("policy: size rule on " + v.Type().String())
	}
	switch {
	case n < p:
		return -1
	case n > p:
		return 1
	}
	return 0
}
