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

// codeVerifier tells the engine the state of the request's code_verifier
// for a code issued with this challenge ("" for none). It returns false
// when it answered the client: a verifier for a code issued without a
// challenge in rfc mode (a downgrade, RFC 9700 §4.8.2), or a malformed one
// (checkVerifierShape).
func codeVerifier(t *tokenRequest, challenge string, ev *policy.Event) bool {
	verifier := t.get("code_verifier")
	switch {
	case challenge == "" && verifier != "" && t.o.rfc():
		invalidGrant(t.w, "code_verifier sent but the authorization request had no code_challenge")
		return false
	case challenge == "" && verifier != "":
		ev.CodeVerifier = "correct" // ignored by Salesforce
	case challenge == "":
	case verifier == "":
		ev.CodeVerifier = "missing"
	case equalSecret(s256(verifier), challenge):
		ev.CodeVerifier = "correct"
	default:
		ev.CodeVerifier = "wrong"
	}
	return challenge == "" || verifier == "" || checkVerifierShape(t, ev, verifier)
}

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
