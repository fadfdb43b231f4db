package httpapi

import (
	"net/http"
	"unicode/utf8"

	"github.com/caplab/caplab/policy"
)

// RFC 7636 §4.1: a code_verifier is 43 to 128 unreserved characters.
const (
	minVerifierLen = 43
	maxVerifierLen = 128
)

// checkVerifierShape judges the form of a code_verifier sent for a code
// issued with a challenge. rfc mode refuses a malformed one (the client has
// been answered when it returns false); Salesforce mode tells the engine a
// length outside 43-128, whose trace notes it (Salesforce's check is
// UNCONFIRMED) and accepts it.
func checkVerifierShape(t *tokenRequest, ev *policy.Event, verifier string) bool {
	n := utf8.RuneCountInString(verifier)
	if t.o.rfc() && (n < minVerifierLen || n > maxVerifierLen || !unreserved(verifier)) {
		writeOAuthError(t.w, http.StatusBadRequest, policy.LiveErrInvalidGrant,
			"invalid code_verifier: RFC 7636 requires 43-128 characters of A-Z a-z 0-9 - . _ ~")
		return false
	}
	if n < minVerifierLen || n > maxVerifierLen {
		ev.CodeVerifierLength = n
	}
	return true
}

// unreserved reports whether s has only RFC 3986 unreserved characters.
func unreserved(s string) bool {
	for i := range len(s) {
		switch c := s[i]; {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '.', c == '_', c == '~':
		default:
			return false
		}
	}
	return true
}
