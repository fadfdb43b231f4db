package policy

import (
	"fmt"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/caplab/caplab/policy/internal/tagcheck"
)

// Scenario's validate tags are checked by go-playground/validator in the
// native build (decode_validator.go) and by internal/tagcheck, an
// interpreter of the same tags, in the browser build
// (decode_validate_js.go), which leaves the validator's megabyte of
// dependencies out of the WebAssembly module. Both report each broken rule
// through ruleMessage, so the messages are the same.

// tags checks validate tags without the validator.
var tags = tagcheck.New(customRules)

// validateTags reports the values that break Scenario's validate tags, as
// internal/tagcheck finds them.
func (d *decoding) validateTags(s *Scenario) {
	for _, e := range tags.Check(s) {
		d.ruleBroken(e.Path, e.Tag, e.Param, e.Value, e.Kind)
	}
}

// ruleBroken reports a value that breaks a rule of its validate tag, at
// path (a JSON pointer).
func (d *decoding) ruleBroken(path, tag, param string, value any, kind reflect.Kind) {
	_, present := d.positions()[path]
	d.check(path, "%s", ruleMessage(tag, param, value, kind, present))
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
// tag is the rule that failed ("startswith=/|eq=" for a chain of
// alternatives), param its parameter, value the field's value (pointers
// followed) and kind that value's kind.
func ruleMessage(tag, param string, value any, kind reflect.Kind, present bool) string {
	got := gotValue(value)
	str, _ := value.(string)
	switch {
	case !present && tag == "eq":
		return fmt.Sprintf("is required (must be %s)", param)
	case !present:
		return "is required"
	}
	switch tag {
	case "required":
		return "must not be empty" // the key is there, its value is "" or null
	case "eq":
		return fmt.Sprintf("must be %s; got %s", param, got)
	case "min", "max":
		limit := map[string]string{"min": "at least", "max": "at most"}[tag]
		switch kind {
		case reflect.Slice, reflect.Array, reflect.Map:
			return fmt.Sprintf("must have %s %s %s; got %d", limit, param,
				plural(param, "item"), reflect.ValueOf(value).Len())
		case reflect.String:
			return fmt.Sprintf("must be %s %s characters long; got %d", limit, param,
				utf8.RuneCountInString(str))
		}
		return fmt.Sprintf("must be %s %s; got %s", limit, param, got)
	case "oneof":
		names := strings.Fields(param)
		return fmt.Sprintf("must be one of %s; got %s%s", strings.Join(names, ", "), got, didYouMean(str, names))
	case "ip":
		return "must be an IPv4 or IPv6 address; got " + got
	case "startswith=/|eq=": // PatchOp.Path
		return `must be a JSON pointer: "" or starting with "/"; got ` + got
	case "sfid":
		if sfidValid(str[:min(len(str), 15)], param) && len(str) == 18 {
			return fmt.Sprintf("has a wrong case-checksum suffix: want %q; got %s", str[:15]+idChecksum(str[:15]), got)
		}
		return fmt.Sprintf("must be a 15- or 18-character Salesforce id starting with %s; got %s", param, got)
	case "mydomain":
		return "must be a My Domain name such as acme or acme--uat (lowercase letters, digits and hyphens; no scheme or dots); got " + got
	case "date":
		return "must be a date such as 2024-02-01; got " + got
	case "timestamp":
		return "must be an RFC 3339 timestamp such as 2026-03-01T09:00:00Z; got " + got
	case "duration":
		return "must be a duration such as 90m, 2h or 31d; got " + got
	case "callback":
		if scriptScheme(str) {
			return "must be an app's callback, not a URL that runs or reads in the browser (javascript:, data:, vbscript:, file: …); got " + got
		}
		if httpCallbackOffLoopback(str) {
			return "must use https or a custom scheme: Salesforce refuses http callback URLs (http is accepted only on localhost, 127.0.0.1 or [::1]); got " + got
		}
		return fmt.Sprintf("must be an absolute URL with a scheme and no fragment, at most %d characters (such as https://app.example.com/oauth/callback or myapp://callback); got %s", maxCallbackLen, got)
	case "scope":
		return fmt.Sprintf("must be a Salesforce OAuth scope such as api, refresh_token, full or openid; got %s%s", got, didYouMean(str, ScopeNames))
	case "permission":
		return fmt.Sprintf("must be one of %s; got %s%s", strings.Join(PermissionNames, ", "), got, didYouMean(str, PermissionNames))
	case "rtpolicy":
		return "must be validUntilRevoked, immediatelyExpire, expireIfNotUsedFor:<duration> or expireAfter:<duration> (such as expireAfter:90d); got " + got
	case "host":
		return "must be login, test, myDomain or an absolute https URL; got " + got
	case "offset":
		return "must be a signed duration from the event's time such as 2m, +10m or -1m (positive: in the future); got " + got
	case "clock":
		return "must be a time of day HH:MM from 00:00 to 24:00, such as 08:00; got " + got
	case "utcoffset":
		return "must be a UTC offset such as -08:00 or +01:00 (at most 14 hours); got " + got
	case "site":
		return "must be the https URL of an Experience Cloud site, such as https://acme.my.site.com or https://acme.my.site.com/partners (no query or fragment); got " + got
	}
	return fmt.Sprintf("fails the rule %q; got %s", tag, got)
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
