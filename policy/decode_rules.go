package policy

import (
	"net/url"
	"slices"
	"strings"
	"time"
)

// Value rules named in Scenario's validate tags, beyond validator's own.
// They apply to strings only.
var customRules = map[string]func(s, param string) bool{
	"sfid":       sfidValid,
	"mydomain":   ignoreParam(myDomainValid),
	"date":       ignoreParam(dateValid),
	"timestamp":  ignoreParam(timestampValid),
	"duration":   ignoreParam(durationValid),
	"callback":   ignoreParam(callbackValid),
	"scope":      ignoreParam(func(s string) bool { return slices.Contains(ScopeNames, s) }),
	"permission": ignoreParam(func(s string) bool { return slices.Contains(PermissionNames, s) }),
	"rtpolicy":   ignoreParam(refreshPolicyValid),
	"host":       ignoreParam(hostValid),
}

// Limits of values checked by the rules.
const (
	maxCallbackLen = 2000 // characters of a callback URL
	maxMyDomainLen = 63   // a DNS label
)

func ignoreParam(ok func(string) bool) func(string, string) bool {
	return func(s, _ string) bool { return ok(s) }
}

// sfidSuffixChars encode the case of 5 characters of an 18-character id.
const sfidSuffixChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"

// sfidValid reports whether id is a 15- or 18-character Salesforce id with
// the key prefix (such as 00D for orgs) and, if 18 long, a right suffix.
func sfidValid(id, prefix string) bool {
	if len(id) != 15 && len(id) != 18 || !strings.HasPrefix(id, prefix) {
		return false
	}
	for i := range len(id) {
		if c := id[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return len(id) == 15 || id[15:] == sfidSuffix(id[:15])
}

// sfidSuffix is the 3-character case checksum of a 15-character id: for
// each chunk of 5, bit i is set when character i is upper case.
func sfidSuffix(id15 string) string {
	var b [3]byte
	for chunk := range 3 {
		bits := 0
		for i := range 5 {
			if c := id15[chunk*5+i]; 'A' <= c && c <= 'Z' {
				bits |= 1 << i
			}
		}
		b[chunk] = sfidSuffixChars[bits]
	}
	return string(b[:])
}

// myDomainValid reports whether s is a My Domain name such as acme or
// acme--uat: one lowercase DNS label, without scheme or dots.
func myDomainValid(s string) bool {
	if len(s) == 0 || len(s) > maxMyDomainLen || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := range len(s) {
		if c := s[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func dateValid(s string) bool {
	_, err := time.Parse(time.DateOnly, s)
	return err == nil
}

func timestampValid(s string) bool {
	_, err := time.Parse(time.RFC3339, s)
	return err == nil
}

// durationValid also refuses negative results: ParseDuration lets "NaNd"
// through as one.
func durationValid(s string) bool {
	d, err := ParseDuration(s)
	return err == nil && d >= 0
}

// callbackValid reports whether s can be registered as a callback URL: an
// absolute URI with a scheme and no fragment. Whether http is allowed for
// the host is the engine's judgment, not a syntax rule.
func callbackValid(s string) bool {
	if len(s) > maxCallbackLen || strings.ContainsAny(s, " \t\r\n#") {
		return false
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" {
		return false
	}
	if u.Scheme == "http" || u.Scheme == "https" {
		return u.Hostname() != ""
	}
	return u.Host != "" || u.Opaque != "" || u.Path != ""
}

// refreshPolicyValid reports whether s is a refresh token policy:
// validUntilRevoked, immediatelyExpire, expireIfNotUsedFor:<duration> or
// expireAfter:<duration>.
func refreshPolicyValid(s string) bool {
	switch s {
	case "validUntilRevoked", "immediatelyExpire":
		return true
	}
	for _, prefix := range []string{"expireIfNotUsedFor:", "expireAfter:"} {
		if d, ok := strings.CutPrefix(s, prefix); ok {
			return durationValid(d)
		}
	}
	return false
}

// hostValid reports whether s names where a request goes: login, test,
// myDomain, or an absolute http(s) URL (the engine judges plain http).
func hostValid(s string) bool {
	switch s {
	case "login", "test", "myDomain":
		return true
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Hostname() != ""
}
