package policy

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/go-playground/validator/v10"
)

// structValidator checks Scenario's validate tags. It is built once: a
// validator caches struct metadata and is safe for concurrent use.
var structValidator = sync.OnceValue(func() *validator.Validate {
	v := validator.New()
	// Namespaces use json names, so they map onto JSON pointers.
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			return ""
		}
		return name
	})
	for tag, rule := range customRules {
		if err := v.RegisterValidation(tag, validatorFunc(rule)); err != nil {
			panic(err) // a bad tag name is a programming error
		}
	}
	return v
})

// validate reports the values that break Scenario's validate tags.
func (d *decoding) validate(s *Scenario) {
	err := structValidator().Struct(s)
	var ves validator.ValidationErrors
	if !errors.As(err, &ves) {
		if err != nil {
			d.check("", "%v", err)
		}
		return
	}
	for _, fe := range ves {
		path := namespacePointer(fe.Namespace())
		_, present := d.positions()[path]
		d.check(path, "%s", ruleMessage(fe, present))
	}
}

// namespacePointer turns a validator namespace with json names, such as
// "Scenario.orgs[0].users[1].username", into a JSON pointer. Json names
// hold no '~' or '/', so nothing needs escaping.
func namespacePointer(ns string) string {
	_, rest, found := strings.Cut(ns, ".")
	if !found {
		return ""
	}
	var b strings.Builder
	b.WriteByte('/')
	for _, r := range rest {
		switch r {
		case '.', '[':
			b.WriteByte('/')
		case ']':
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// ruleMessage says in words what a value must be, and what it is.
// present says whether the document has the field at all.
func ruleMessage(fe validator.FieldError, present bool) string {
	got := gotValue(fe.Value())
	str, _ := fe.Value().(string)
	switch {
	case !present && fe.Tag() == "eq":
		return fmt.Sprintf("is required (must be %s)", fe.Param())
	case !present:
		return "is required"
	}
	switch fe.Tag() {
	case "required":
		return "must not be empty" // the key is there, its value is "" or null
	case "eq":
		return fmt.Sprintf("must be %s; got %s", fe.Param(), got)
	case "min", "max":
		limit := map[string]string{"min": "at least", "max": "at most"}[fe.Tag()]
		switch fe.Kind() {
		case reflect.Slice, reflect.Array, reflect.Map:
			return fmt.Sprintf("must have %s %s %s; got %d", limit, fe.Param(),
				plural(fe.Param(), "item"), reflect.ValueOf(fe.Value()).Len())
		case reflect.String:
			return fmt.Sprintf("must be %s %s characters long; got %d", limit, fe.Param(),
				utf8.RuneCountInString(str))
		}
		return fmt.Sprintf("must be %s %s; got %s", limit, fe.Param(), got)
	case "oneof":
		names := strings.Fields(fe.Param())
		return fmt.Sprintf("must be one of %s; got %s%s", strings.Join(names, ", "), got, didYouMean(str, names))
	case "ip":
		return "must be an IPv4 or IPv6 address; got " + got
	case "startswith=/|eq=": // PatchOp.Path
		return `must be a JSON pointer: "" or starting with "/"; got ` + got
	case "sfid":
		if sfidValid(str[:min(len(str), 15)], fe.Param()) && len(str) == 18 {
			return fmt.Sprintf("has a wrong case-checksum suffix: want %q; got %s", str[:15]+sfidSuffix(str[:15]), got)
		}
		return fmt.Sprintf("must be a 15- or 18-character Salesforce id starting with %s; got %s", fe.Param(), got)
	case "mydomain":
		return "must be a My Domain name such as acme or acme--uat (lowercase letters, digits and hyphens; no scheme or dots); got " + got
	case "date":
		return "must be a date such as 2024-02-01; got " + got
	case "timestamp":
		return "must be an RFC 3339 timestamp such as 2026-03-01T09:00:00Z; got " + got
	case "duration":
		return "must be a duration such as 90m, 2h or 31d; got " + got
	case "callback":
		return fmt.Sprintf("must be an absolute URL with a scheme and no fragment, at most %d characters (such as https://app.example.com/oauth/callback or myapp://callback); got %s", maxCallbackLen, got)
	case "scope":
		return fmt.Sprintf("must be a Salesforce OAuth scope such as api, refresh_token, full or openid; got %s%s", got, didYouMean(str, ScopeNames))
	case "permission":
		return fmt.Sprintf("must be one of %s; got %s%s", strings.Join(PermissionNames, ", "), got, didYouMean(str, PermissionNames))
	case "rtpolicy":
		return "must be validUntilRevoked, immediatelyExpire, expireIfNotUsedFor:<duration> or expireAfter:<duration> (such as expireAfter:90d); got " + got
	case "host":
		return "must be login, test, myDomain or an absolute https URL; got " + got
	}
	return fmt.Sprintf("fails the rule %q; got %s", fe.Tag(), got)
}

// gotValue shows a value in a message: strings quoted and cut short.
func gotValue(v any) string {
	if s, ok := v.(string); ok {
		return quoteShort(s)
	}
	return fmt.Sprint(v)
}

// plural is word with an "s" unless n is "1".
func plural(n, word string) string {
	if n == "1" {
		return word
	}
	return word + "s"
}
