package relay

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// URL hygiene (R12). Every URL the relay will ever redirect a browser to —
// a registered destination, a tenant's login host, the relay's own callback
// — goes through parseStrictURL, and two URLs are "the same" only when their
// canonical strings are equal: scheme and host lower-cased, default port
// dropped, path and query compared byte for byte. Nothing is repaired:
// anything unusual is rejected, because every open-redirect advisory in
// security.md §2.3 comes from a parser that tried to make sense of a
// malformed URL.

// maxURLLen bounds every URL the relay accepts (Salesforce's whole callback
// field is 2,000 characters).
const maxURLLen = 2000

// forwardedParams are the authorization-response parameters the callback
// reads and forwards (R7); anything else is dropped. A registered destination may not carry them in its own
// query, so the consumer never sees two values for one of them.
var forwardedParams = []string{"code", "state", "iss", "error", "error_description", "error_uri"}

// urlKind says which rules of parseStrictURL apply.
type urlKind int

const (
	kindDestination urlKind = iota // consumer destination: query allowed
	kindLoginHost                  // tenant login host: no query; trailing "/" dropped
	kindCallback                   // the relay's own callback: no query
)

// errURL is wrapped by every parseStrictURL error, so callers can tell a bad
// URL from a store failure.
var errURL = errors.New("invalid URL")

func badURL(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errURL, fmt.Sprintf(format, args...))
}

// NormalizeDestination checks a destination URL against the relay's rules
// and returns its canonical form: https (http only for a loopback host), no
// userinfo, no fragment, no percent-encoding, whitespace, backslash or
// non-ASCII byte anywhere, no "//", "." or ".." path segment, and a query
// (allowed) that does not set a forwarded parameter.
func NormalizeDestination(raw string) (string, error) {
	u, err := parseStrictURL(raw, kindDestination)
	if err != nil {
		return "", err
	}
	return u.String(), nil
}

// parseStrictURL parses raw under the relay's rules and returns it in
// canonical form (String() of the result is the canonical string).
func parseStrictURL(raw string, kind urlKind) (*url.URL, error) {
	if raw == "" {
		return nil, badURL("empty")
	}
	if len(raw) > maxURLLen {
		return nil, badURL("longer than %d characters", maxURLLen)
	}
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c <= ' ' || c >= 0x7f:
			// Whitespace, control characters and any non-ASCII byte (an
			// IDN must be registered in its punycode form).
			return nil, badURL("character %q at offset %d is not allowed", c, i)
		case c == '\\':
			return nil, badURL("backslash at offset %d", i)
		case c == '#':
			return nil, badURL("fragment is not allowed")
		case strings.IndexByte(`"<>^{|}`+"`", c) >= 0:
			return nil, badURL("character %q at offset %d is not allowed", c, i)
		}
	}
	var rest string
	switch {
	case hasPrefixFold(raw, "https://"):
		rest = raw[len("https://"):]
	case hasPrefixFold(raw, "http://"):
		rest = raw[len("http://"):]
	default:
		return nil, badURL("must start with https:// (or http:// for a loopback host)")
	}
	// The authority ends at the first "/" or "?". Look at it before
	// url.Parse does, so "//", "@" and "%" tricks never reach the parser.
	authority := rest
	if i := strings.IndexAny(rest, "/?"); i >= 0 {
		authority = rest[:i]
	}
	switch {
	case authority == "":
		return nil, badURL("no host")
	case strings.Contains(authority, "@"):
		return nil, badURL("userinfo is not allowed")
	case strings.Contains(authority, "%"):
		return nil, badURL("percent-encoding in the host is not allowed")
	}

	u, err := url.Parse(raw)
	if err != nil {
		return nil, badURL("%v", err)
	}
	if u.Opaque != "" || u.User != nil || u.Fragment != "" || u.RawFragment != "" || u.ForceQuery {
		return nil, badURL("not a plain absolute URL")
	}

	host, err := normalizeHost(u)
	if err != nil {
		return nil, err
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return nil, badURL("http is only allowed for a loopback host (127.0.0.1, [::1], localhost)")
	}

	// Path: no percent-encoding at all (so no %2F, %5C, %2E, %09, %25…),
	// no empty, "." or ".." segment, no ";" parameters.
	pathPart, _, _ := strings.Cut(rest[len(authority):], "?")
	if u.RawPath != "" || strings.Contains(pathPart, "%") {
		return nil, badURL("percent-encoding in the path is not allowed")
	}
	path := u.Path
	if path == "" {
		path = "/"
	}
	if !strings.HasPrefix(path, "/") {
		return nil, badURL("path must start with /")
	}
	if strings.Contains(path, ";") {
		return nil, badURL("path parameters (;) are not allowed")
	}
	if strings.Contains(path, "//") {
		return nil, badURL("empty path segment (//) is not allowed")
	}
	for _, seg := range strings.Split(path, "/") {
		if seg == "." || seg == ".." {
			return nil, badURL("dot path segments are not allowed")
		}
	}
	if kind == kindLoginHost {
		path = strings.TrimSuffix(path, "/")
	}

	if u.RawQuery != "" {
		if kind != kindDestination {
			return nil, badURL("a query is not allowed here")
		}
		q, err := url.ParseQuery(u.RawQuery)
		if err != nil {
			return nil, badURL("malformed query: %v", err)
		}
		for _, k := range forwardedParams {
			if q.Has(k) {
				return nil, badURL("the query may not set %q: the relay forwards it", k)
			}
		}
	}

	return &url.URL{Scheme: u.Scheme, Host: host, Path: path, RawQuery: u.RawQuery}, nil
}

// normalizeHost returns u's host lower-cased, with the scheme's default
// port dropped: a DNS name of letters, digits and hyphens, a dotted-quad
// IPv4 address, or a bracketed IPv6 address without a zone.
func normalizeHost(u *url.URL) (string, error) {
	if u.Scheme != "https" && u.Scheme != "http" {
		return "", badURL("scheme %q", u.Scheme)
	}
	name := strings.ToLower(u.Hostname())
	port := u.Port()
	if name == "" {
		return "", badURL("no host")
	}
	if strings.HasSuffix(u.Host, ":") {
		return "", badURL("empty port")
	}
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 || port[0] == '0' {
			return "", badURL("bad port %q", port)
		}
		if (u.Scheme == "https" && n == 443) || (u.Scheme == "http" && n == 80) {
			port = ""
		}
	}
	var hostport string
	if strings.HasPrefix(u.Host, "[") {
		addr, err := netip.ParseAddr(name)
		if err != nil || !addr.Is6() || addr.Zone() != "" || addr.Is4In6() {
			return "", badURL("bad IPv6 host")
		}
		hostport = "[" + addr.String() + "]"
	} else {
		if err := checkDNSName(name); err != nil {
			return "", err
		}
		hostport = name
	}
	if port != "" {
		hostport += ":" + port
	}
	return hostport, nil
}

// checkDNSName accepts LDH host names and canonical dotted-quad IPv4. Names
// whose last label is numeric must be a canonical IPv4 address, which rules
// out "127.1", "0x7f.0.0.1", "2130706433" and friends. A trailing dot is
// rejected: "acme.com." is another origin to a browser.
func checkDNSName(name string) error {
	if len(name) > 253 {
		return badURL("host name too long")
	}
	labels := strings.Split(name, ".")
	last := labels[len(labels)-1]
	if last != "" && allDigits(last) || strings.HasPrefix(last, "0x") {
		addr, err := netip.ParseAddr(name)
		if err != nil || !addr.Is4() || addr.String() != name {
			return badURL("host %q is neither a DNS name nor a canonical IPv4 address", name)
		}
		return nil
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return badURL("bad host name %q", name)
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return badURL("bad host name %q", name)
			}
		}
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	addr, err := netip.ParseAddr(host)
	return err == nil && addr.IsLoopback()
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}
