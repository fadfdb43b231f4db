package httpapi

import (
	"errors"
	"strconv"
	"time"

	"github.com/caplab/caplab/lambda/store"
	"github.com/caplab/caplab/policy"
)

// tokenRefresh uses a refresh token: the engine replays the token's history
// (the grant's origin and the requests after it) and decides; under
// rotation the token is claimed once, and reuse revokes the whole family.
func (s *Server) tokenRefresh(t *tokenRequest) {
	app, ev := t.clientEvent("refresh_token")
	ev.Use = "none"
	hash := hashToken(t.get("refresh_token"))
	tok, terr := s.st.GetToken(t.r.Context(), hash, t.now)
	if terr != nil && !missing(terr) {
		s.internal(t.w, t.r, terr)
		return
	}
	found := t.get("refresh_token") != "" && !errors.Is(terr, store.ErrNotFound) &&
		tok.Kind == store.KindRefresh && tok.ScenarioID == t.o.id && tok.ClientID == t.c.id
	rotation := app != nil && app.OAuth.RefreshTokenRotation
	var steps []step
	var g store.Grant
	var re *replay
	if found {
		var ok bool
		if g, steps, ok = s.refreshHistory(t, tok, terr, rotation, &ev); !ok {
			return
		}
		if !tok.UsedAt.IsZero() {
			re = &replay{check: policy.CheckRefresh, grantID: g.ID, why: whyRefreshReused}
		}
	}
	res, ok := s.verdict(t, append(steps, step{at: t.now, ev: ev}), re)
	if !ok || !s.useRefresh(t, hash, g.ID, rotation) {
		return
	}
	s.answerTokens(t, app, g, refreshChain(tok, rotation, ev, t.now), res, "", nil)
}

// refreshHistory is what the engine needs to judge a refresh token: its
// grant, the grant's origin and the requests after it as steps, then the
// token's revocation or its last use; ev uses the step that issued the
// token. ok false: the client got a 500.
func (s *Server) refreshHistory(t *tokenRequest, tok store.Token, terr error, rotation bool, ev *policy.Event) (store.Grant, []step, bool) {
	g, err := s.st.GetGrant(t.r.Context(), tok.GrantID)
	var steps []step
	if err == nil {
		steps, err = history(g, tok)
	}
	if err != nil {
		s.internal(t.w, t.r, err)
		return g, nil, false
	}
	last := len(steps) - 1
	switch {
	case errors.Is(terr, store.ErrRevoked):
		steps = append(steps, step{at: t.now, ev: policy.Event{Do: "revoke", Token: "refresh", Use: "prev"}})
	case !tok.UsedAt.IsZero():
		steps = append(steps, step{at: tok.UsedAt, ev: earlierUse("refresh_token", tok.ClientID)})
	case !rotation && tok.LastUsedAt.After(tok.IssuedAt):
		steps = append(steps, step{at: tok.LastUsedAt, ev: earlierUse("refresh_token", tok.ClientID)})
		last++
	}
	ev.Use = "s" + strconv.Itoa(last)
	return g, steps, true
}

// useRefresh records a granted use of a refresh token: under rotation it is
// claimed once (a reuse that lost the race revokes the family), else its
// last use is noted. It returns false when it answered the client.
func (s *Server) useRefresh(t *tokenRequest, hash, grantID string, rotation bool) bool {
	if !rotation {
		if err := s.st.TouchToken(t.r.Context(), hash, t.now, time.Time{}); err != nil {
			s.internal(t.w, t.r, err)
			return false
		}
		return true
	}
	_, err := s.st.ClaimRefresh(t.r.Context(), hash, t.now)
	switch {
	case err == nil:
		return true
	case errors.Is(err, store.ErrAlreadyUsed):
		if !s.revoke(t, grantID, whyRefreshReused) {
			return false
		}
	case !missing(err):
		s.internal(t.w, t.r, err)
		return false
	}
	invalidGrant(t.w, policy.LiveDescExpiredToken)
	return false
}

// refreshChain is the new tokens' history: the requests up to the refresh
// token's redemption, then this refresh (under rotation one refresh step
// is enough to replay a rotated token).
func refreshChain(tok store.Token, rotation bool, ev policy.Event, now time.Time) []store.Step {
	chain := tok.Chain
	if n := len(chain); n > 0 && isRefreshStep(chain[n-1]) {
		chain = chain[:n-1]
	}
	chain = append([]store.Step(nil), chain...)
	if !rotation && tok.LastUsedAt.After(tok.IssuedAt) {
		chain = append(chain, toStoreStep(step{at: tok.LastUsedAt, ev: earlierUse("refresh_token", tok.ClientID)}))
	}
	ev.Use = "prev"
	return append(chain, toStoreStep(step{at: now, ev: ev}))
}

func isRefreshStep(ss store.Step) bool {
	st, err := fromStoreStep(ss)
	return err == nil && st.ev.Do == "token" && st.ev.Grant == "refresh_token"
}

// history is a token's requests: the grant's origin, then its chain, each
// using the one before.
func history(g store.Grant, tok store.Token) ([]step, error) {
	o, err := fromStoreStep(g.Origin)
	if err != nil {
		return nil, err
	}
	steps := []step{o}
	for _, ss := range tok.Chain {
		st, err := fromStoreStep(ss)
		if err != nil {
			return nil, err
		}
		st.ev.Use = "prev"
		steps = append(steps, st)
	}
	return steps, nil
}
