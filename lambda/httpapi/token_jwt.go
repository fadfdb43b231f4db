package httpapi

import "github.com/caplab/caplab/policy"

// tokenJWT is the JWT bearer flow: the RS256 assertion is verified against
// the certificate of the app its iss names; the engine gets the signature's
// state, the aud and the time claims (as offsets from now). In rfc mode an
// exp too far ahead and a replayed assertion are refused first.
func (s *Server) tokenJWT(t *tokenRequest) {
	assertion := t.get("assertion")
	cl, state := verifyAssertion(t.o.sc, assertion)
	ev := policy.Event{Do: "token", Grant: "jwt_bearer", ClientID: firstNonEmpty(cl.Iss, missingClient), User: cl.Sub,
		Org: orgFor(t.o, cl.Sub, cl.Iss), Assertion: state, Aud: s.audState(t.o, cl)}
	if state == "valid" {
		ev.AssertionNotBefore = claimOffset(cl.Nbf, t.now)
		ev.AssertionIssuedAt = claimOffset(cl.Iat, t.now)
		switch exp := cl.number(cl.Exp); {
		case exp == nil:
			ev.Assertion = "expired" // no exp: never valid
		case t.o.rfc() && secondsUntil(*exp, t.now) > rfcMaxAssertionAhead.Seconds():
			invalidGrant(t.w, "assertion exp is more than 3 minutes ahead (RFC 7523 §3)")
			return
		default:
			ev.AssertionExpiresIn = claimOffset(cl.Exp, t.now)
			if secondsUntil(*exp, t.now) > 0 {
				replayed, ok := s.assertionReplayed(t, cl, assertion, *exp)
				if !ok {
					return
				}
				if replayed && t.o.rfc() {
					invalidGrant(t.w, "assertion already used (jti replay, RFC 7523 §3)")
					return
				}
				ev.AssertionReplayed = replayed
			}
		}
	}
	s.direct(t, ev, cl.Sub, ev.Org)
}
