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
// refuses a later exp, and Salesforce mode only notes replays. Two first
// presentations racing each other may both pass: the store has no
// insert-if-absent. On a store error the client has been answered.
func (s *Server) assertionReplayed(t *tokenRequest, cl assertionClaims, assertion string, exp float64) (replayed, ok bool) {
	key := "assertion\x00" + assertion
	if len(cl.Jti) > 0 && string(cl.Jti) != "null" {
		key = "jti\x00" + cl.Iss + "\x00" + string(cl.Jti)
	}
	hash := hashToken(key)
	ctx := t.r.Context()
	_, err := s.st.ClaimCode(ctx, hash, t.now)
	switch {
	case errors.Is(err, store.ErrAlreadyUsed):
		return true, true
	case err == nil:
		return false, true // an unclaimed record: replay records are put claimed, so none exists
	case !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrExpired):
		s.internal(t.w, t.r, err)
		return false, false
	}
	until := t.now.Add(rfcMaxAssertionAhead)
	if secs := secondsUntil(exp, t.now); secs < rfcMaxAssertionAhead.Seconds() {
		until = t.now.Add(time.Duration(secs * float64(time.Second)))
	}
	rec := store.Code{Hash: hash, ScenarioID: jtiScope + t.o.id, ClientID: cl.Iss, RedirectURI: "jwt-replay",
		IssuedAt: t.now, ExpiresAt: until, UsedAt: t.now}
	if err := s.st.PutCode(ctx, rec); err != nil {
		s.internal(t.w, t.r, err)
		return false, false
	}
	return false, true
}
