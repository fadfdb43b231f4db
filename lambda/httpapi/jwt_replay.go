package httpapi

import (
	"errors"
	"time"

	"github.com/caplab/caplab/lambda/store"
)

// jtiScope marks replay records in the code table: their ScenarioID is
// jtiScope + the live org id, which no code lookup of a live org (they
// compare ScenarioID with the org id) ever accepts.
const jtiScope = "jwt-replay:"

// assertionReplayed records a validly signed, unexpired assertion and says
// whether it was presented before (RFC 7523 §3: jti values, kept until the
// assertion's exp). The key is iss and jti or, without a jti, the assertion
// itself. A record lives until exp, at most rfcMaxAssertionAhead: rfc mode
// refuses a later exp, and Salesforce mode only notes replays. The record
// is a conditional put: of two presentations at once, exactly one is the
// first. On a store error the client has been answered.
func (s *Server) assertionReplayed(t *tokenRequest, cl assertionClaims, assertion string, exp float64) (replayed, ok bool) {
	key := "assertion\x00" + assertion
	if len(cl.Jti) > 0 && string(cl.Jti) != "null" {
		key = "jti\x00" + cl.Iss + "\x00" + string(cl.Jti)
	}
	until := t.now.Add(rfcMaxAssertionAhead)
	if secs := secondsUntil(exp, t.now); secs < rfcMaxAssertionAhead.Seconds() {
		until = t.now.Add(time.Duration(secs * float64(time.Second)))
	}
	rec := store.Code{Hash: hashToken(key), ScenarioID: jtiScope + t.o.id, ClientID: cl.Iss, RedirectURI: "jwt-replay",
		IssuedAt: t.now, ExpiresAt: until, UsedAt: t.now}
	switch err := s.st.Commit(t.r.Context(), store.Write{OrgID: t.o.id, Now: t.now, Codes: []store.Code{rec}}); {
	case errors.Is(err, store.ErrExists):
		return true, true
	case err != nil:
		s.internal(t.w, t.r, err)
		return false, false
	}
	return false, true
}
