package httpapi

import (
	"strconv"
	"time"

	"github.com/caplab/caplab/lambda/store"
	"github.com/caplab/caplab/policy"
)

// tokenRefresh uses a refresh token: the engine replays the token's history
// (the grant's origin and the requests after it) and decides; under
// rotation the token is claimed once, and reuse revokes the whole family.
// The token names its grant: both are read at once, and the claim (or the
// last use), the new tokens, the grant's use and the Login History row are
// one write.
func (s *Server) tokenRefresh(t *tokenRequest) {
	app, ev := t.clientEvent("refresh_token")
	ev.Use = "none"
	value := t.get("refresh_token")
	hash := hashToken(value)
	var tok store.Token
	var g *store.Grant
	if gid := grantOf(refreshPrefix, value); gid != "" {
		r, err := s.st.Lookup(t.r.Context(), store.Keys{OrgID: t.o.id, Token: hash, Grant: gid})
		if err != nil {
			s.internal(t.w, t.r, err)
			return
		}
		if r.Token != nil && r.Token.GrantID == gid {
			tok, g = *r.Token, r.Grant
		}
	}
	found := g != nil && tok.Kind == store.KindRefresh && tok.ScenarioID == t.o.id && tok.ClientID == t.c.id
	rotation := app != nil && app.OAuth.RefreshTokenRotation
	var steps []step
	var re *replay
	if found {
		var ok bool
		if steps, ok = s.refreshHistory(t, tok, *g, rotation, &ev); !ok {
			return
		}
		if !tok.UsedAt.IsZero() {
			re = &replay{check: policy.CheckRefresh, grant: g, why: whyRefreshReused}
		}
	} else {
		g = nil
	}
	res, ok := s.verdict(t, append(steps, step{at: t.now, ev: ev}), g, re)
	if !ok {
		return
	}
	w := store.Write{TouchRefresh: hash}
	if rotation {
		w = store.Write{ClaimRefresh: hash}
	}
	s.answerTokens(t, issue{app: app, grant: *g, chain: refreshChain(tok, rotation, ev, t.now), res: res}, nil, w,
		&claim{grant: g, why: whyRefreshReused, invalid: policy.LiveDescExpiredToken, expired: policy.LiveDescExpiredToken})
}

// refreshHistory is what the engine needs to judge a refresh token: the
// grant's origin and the requests after it as steps, then the token's
// revocation (its grant's) or its last use; ev uses the step that issued
// the token. ok false: the client got a 500.
func (s *Server) refreshHistory(t *tokenRequest, tok store.Token, g store.Grant, rotation bool, ev *policy.Event) ([]step, bool) {
	steps, err := history(g, tok)
	if err != nil {
		s.internal(t.w, t.r, err)
		return nil, false
	}
	last := len(steps) - 1
	switch {
	case store.CheckToken(tok, &g, t.now) == store.ErrRevoked:
		steps = append(steps, step{at: t.now, ev: policy.Event{Do: "revoke", Token: "refresh", Use: "prev"}})
	case !tok.UsedAt.IsZero():
		steps = append(steps, step{at: tok.UsedAt, ev: earlierUse("refresh_token", tok.ClientID)})
	case !rotation && tok.LastUsedAt.After(tok.IssuedAt):
		steps = append(steps, step{at: tok.LastUsedAt, ev: earlierUse("refresh_token", tok.ClientID)})
		last++
	}
	ev.Use = "s" + strconv.Itoa(last)
	return steps, true
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
