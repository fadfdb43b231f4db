package relay

import (
	"net/url"
	"unicode/utf8"
)

// params reads the named parameters of a query or form body, each at most
// once: a repeated parameter is an error (parameter pollution), as is a
// malformed query. Parameters not named are ignored.
func params(raw string, names ...string) (map[string]string, bool) {
	v, err := url.ParseQuery(raw)
	if err != nil {
		return nil, false
	}
	out := make(map[string]string, len(names))
	for _, n := range names {
		switch vs := v[n]; len(vs) {
		case 0:
		case 1:
			out[n] = vs[0]
		default:
			return nil, false
		}
	}
	return out, true
}

// plain reports whether s is at most max bytes of valid UTF-8 without
// control characters.
func plain(s string, max int) bool {
	if len(s) > max || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}
