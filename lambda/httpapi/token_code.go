package httpapi

import (
	"time"

	"github.com/caplab/caplab/lambda/store"
	"github.com/caplab/caplab/policy"
)

// tokenCode redeems an authorization code. Client authentication, the
// redirect URI and PKCE are checked (by the engine) before the code is
// claimed, so a failed attempt does not burn it; a replay revokes the
// grant. The code names its grant: both are read at once, and the claim,
// the refresh token, the grant's use and the Login History row are one
// write.
func (s *Server) tokenCode(t *tokenRequest) {
	app, ev := t.clientEvent("authorization_code")
	ev.Use = "none"
	hash := hashToken(t.get("code"))
	rec, g, found, ok := s.readCode(t, hash)
	if !ok {
		return
	}
	steps, at := []step(nil), t.now
	var re *replay
	if found {
		if steps, at, ok = s.codeHistory(t, rec, &ev); !ok {
			return
		}
		if !rec.UsedAt.IsZero() {
			re = &replay{check: policy.CheckCode, grant: g, why: whyCodeReplayed}
		}
	}
	res, ok := s.verdict(t, append(steps, step{at: at, ev: ev}), g, re)
	if !ok {
		return
	}
	if g == nil || g.Status != store.GrantActive {
		invalidGrant(t.w, policy.LiveDescInvalidCode)
		return
	}
	ev.Use, ev.RedirectURI = "prev", nil
	s.answerTokens(t, issue{app: app, grant: *g, chain: []store.Step{toStoreStep(step{at: at, ev: ev})}, res: res, nonce: rec.Nonce}, nil,
		store.Write{ClaimCode: hash}, &claim{grant: g, why: whyCodeReplayed, invalid: policy.LiveDescInvalidCode, expired: policy.LiveDescExpiredCode})
}

// readCode reads the record of the request's code and the grant it names,
// at once: found when this live org issued it (an expired one too: the
// engine says it expired). On a store error the client got a 500 and ok
// is false.
func (s *Server) readCode(t *tokenRequest, hash string) (rec store.Code, g *store.Grant, found, ok bool) {
	code := t.get("code")
	gid := grantOf(codePrefix, code)
	if gid == "" {
		return rec, nil, false, true
	}
	r, err := s.st.Lookup(t.r.Context(), store.Keys{OrgID: t.o.id, Code: hash, Grant: gid})
	if err != nil {
		s.internal(t.w, t.r, err)
		return rec, nil, false, false
	}
	if r.Code == nil || r.Code.ScenarioID != t.o.id || r.Code.GrantID != gid {
		return rec, nil, false, true
	}
	return *r.Code, r.Grant, true, true
}

// codeHistory is what the engine needs to judge a code's redemption: the
// authorize request that issued it (and an earlier redemption) as steps,
// this request's PKCE verifier and redirect_uri in ev, and when to judge
// it. ok false: the client has been answered.
func (s *Server) codeHistory(t *tokenRequest, rec store.Code, ev *policy.Event) (steps []step, at time.Time, ok bool) {
	a, err := fromStoreStep(rec.Authorize)
	if err != nil {
		s.internal(t.w, t.r, err)
		return nil, at, false
	}
	steps = []step{a}
	if !rec.UsedAt.IsZero() {
		steps = append(steps, step{at: rec.UsedAt, ev: earlierUse("authorization_code", rec.ClientID)})
	}
	ev.Use = "s0"
	if !codeVerifier(t, rec.Challenge, ev) { // verifier.go
		return nil, at, false
	}
	if t.has("redirect_uri") || t.o.rfc() {
		ev.RedirectURI = redeemedRedirect(t.get("redirect_uri"), rec.RedirectURI, a.ev.RedirectURI)
	}
	return steps, codeJudgedAt(rec, t.now), true
}

// redeemedRedirect is the token request's redirect_uri as the engine
// compares it with the authorize request's registered one: the URI the
// code was issued for reads as the registered callback it matched; the
// registered form of a loopback URI used with another port does not match
// (exact match only).
func redeemedRedirect(got, issuedFor string, registered *string) *string {
	reg := ""
	if registered != nil {
		reg = *registered
	}
	if got == issuedFor {
		got = reg
	} else if got == reg {
		got += " "
	}
	return &got
}

// codeJudgedAt is when the engine judges a code: now, but for a code past
// its store expiry (rfc mode keeps codes 10 minutes) no earlier than the
// end of Salesforce's lifetime, so that the engine says expired.
func codeJudgedAt(rec store.Code, now time.Time) time.Time {
	if end := rec.IssuedAt.Add(policy.LiveAuthCodeLifetime); !rec.ExpiresAt.After(now) && now.Before(end) {
		return end
	}
	return now
}
