package policy

import (
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/caplab/caplab/policy/internal/tagcheck"
)

// Value rules named in Scenario's validate tags, beyond validator's own.
// They apply to strings only.
var customRules = map[string]tagcheck.StringRule{
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
	"offset":     ignoreParam(offsetValid),
	"site":       ignoreParam(siteValid),
	"clock":      ignoreParam(func(s string) bool { _, ok := clockMinutes(s); return ok }),
	"utcoffset":  ignoreParam(func(s string) bool { _, ok := utcOffset(s); return ok }),
}

// clockMinutes reads a time of day "HH:MM" (00:00 to 24:00) as minutes
// since midnight.
func clockMinutes(s string) (int, bool) {
	if len(s) != 5 || s[2] != ':' || strings.Trim(s[:2]+s[3:], "0123456789") != "" {
		return 0, false
	}
	h, m := int(s[0]-'0')*10+int(s[1]-'0'), int(s[3]-'0')*10+int(s[4]-'0')
	if h > 24 || m > 59 || h == 24 && m > 0 {
		return 0, false
	}
	return h*60 + m, true
}

// utcOffset reads a UTC offset "+HH:MM" or "-HH:MM" (at most 14 hours),
// in seconds.
func utcOffset(s string) (int, bool) {
	if len(s) != 6 || s[0] != '+' && s[0] != '-' {
		return 0, false
	}
	m, ok := clockMinutes(s[1:])
	if !ok || m > 14*60 {
		return 0, false
	}
	if s[0] == '-' {
		m = -m
	}
	return m * 60, true
}

// maxCallbackLen limits the characters of a callback URL.
const maxCallbackLen = 2000

func ignoreParam(ok func(string) bool) func(string, string) bool {
	return func(s, _ string) bool { return ok(s) }
}

// sfidValid reports whether id is a 15- or 18-character Salesforce id with
// the key prefix (such as 00D for orgs) and, if 18 long, a right suffix
// (idChecksum, compared case-sensitively).
func sfidValid(id, prefix string) bool {
	if len(id) != 15 && len(id) != 18 || !strings.HasPrefix(id, prefix) {
		return false
	}
	for i := range len(id) {
		if !isIDChar(rune(id[i])) {
			return false
		}
	}
	return len(id) == 15 || id[15:] == idChecksum(id[:15])
}

// myDomainValid reports whether s is a My Domain name such as acme or
// acme--uat: one lowercase DNS label, without scheme or dots.
func myDomainValid(s string) bool { return checkMyDomainName(s) == nil }

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
// absolute URI with a scheme and no fragment. Salesforce requires https or
// a custom scheme; http only on a loopback host (http://localhost works in
// practice, UNCONFIRMED as a rule: fact sheet §10).
func callbackValid(s string) bool {
	if len(s) > maxCallbackLen || strings.ContainsAny(s, " \t\r\n#") {
		return false
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" {
		return false
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return u.Hostname() != ""
	case "http":
		return isLoopbackHost(u.Hostname())
	}
	if scriptScheme(s) {
		return false
	}
	return u.Host != "" || u.Opaque != "" || u.Path != ""
}

// scriptScheme says whether s is a URL in a scheme that runs or reads in
// the browser rather than an app's callback: a shared scenario must not
// turn a redirect into script.
func scriptScheme(s string) bool {
	scheme, _, ok := strings.Cut(s, ":")
	if !ok {
		return false
	}
	switch strings.ToLower(strings.TrimSpace(scheme)) {
	case "javascript", "vbscript", "data", "blob", "file", "filesystem", "about":
		return true
	}
	return false
}

// isLoopbackHost reports whether host (without brackets or port) names
// this machine: localhost, 127.0.0.1 or ::1.
func isLoopbackHost(host string) bool {
	return strings.EqualFold(host, "localhost") || host == "127.0.0.1" || host == "::1"
}

// httpCallbackOffLoopback reports whether s is an http URL on a host other
// than a loopback one: the callback Salesforce refuses for its scheme.
func httpCallbackOffLoopback(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme == "http" && u.Hostname() != "" && !isLoopbackHost(u.Hostname())
}

// siteValid reports whether s is an Experience Cloud site URL: https, a
// host, an optional path prefix, no query or fragment.
func siteValid(s string) bool {
	if len(s) > maxCallbackLen || strings.ContainsAny(s, " \t\r\n#?") {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && u.Scheme == "https" && u.Hostname() != "" && u.User == nil
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
