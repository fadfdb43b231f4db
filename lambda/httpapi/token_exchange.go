package httpapi

import (
	"net/http"
	"slices"
	"strings"

	"github.com/caplab/caplab/lambda/store"
	"github.com/caplab/caplab/policy"
)

// tokenExchange exchanges an access token issued by this live org (the
// subject) for a new access token of the same user, as the engine's
// token_exchange event decides (RFC 8693). The new token can never do
// more than the subject: its scope is the subject's scope narrowed to what
// the exchanging app may have, and it joins the subject's grant, so
// revoking that grant (a refresh-token revocation, an admin revoke, a code
// replay) revokes what was derived from it too.
func (s *Server) tokenExchange(t *tokenRequest) {
	ctx := t.r.Context()
	subject := t.get("subject_token")
	if subject == "" {
		writeOAuthError(t.w, http.StatusBadRequest, policy.LiveErrInvalidRequest, "subject_token is required")
		return
	}
	if tt := t.get("subject_token_type"); tt != "" && tt != tokenTypeAccess {
		writeOAuthError(t.w, http.StatusBadRequest, policy.LiveErrInvalidRequest, "subject_token_type must be "+tokenTypeAccess)
		return
	}
	tok, gp, err := s.readToken(ctx, t.o, subject, t.now)
	if err != nil && !missing(err) {
		s.internal(t.w, t.r, err)
		return
	}
	if err != nil || tok.Kind != store.KindAccess {
		invalidGrant(t.w, "invalid subject token")
		return
	}
	if len(tok.Chain) >= maxChainSteps {
		invalidGrant(t.w, "the subject token was exchanged too many times already")
		return
	}
	g := *gp
	app, ev := t.clientEvent("token_exchange")
	ev.Org, ev.User = g.Org, g.User
	res, ok := s.granted(t, ev)
	if !ok {
		return
	}
	scope := intersectScopes(res.Issued.Scope, tok.Scope)
	if scope == "" {
		writeOAuthError(t.w, http.StatusBadRequest, policy.LiveErrInvalidScope,
			"the subject token's scopes ("+tok.Scope+") include none of "+app.Name+"'s ("+res.Issued.Scope+")")
		return
	}
	res.Issued.Scope = scope
	chain := append(slices.Clone(tok.Chain), toStoreStep(step{at: t.now, ev: ev}))
	s.answerTokens(t, issue{app: app, grant: g, client: ev.ClientID, chain: chain, res: res},
		func(b *tokenBody) { b.IssuedTokenType = tokenTypeAccess }, store.Write{}, // RFC 8693 §2.2.1
		&claim{invalid: "invalid subject token", expired: "invalid subject token"})
}

// intersectScopes is the scopes of a that b also has, in a's order.
func intersectScopes(a, b string) string {
	have := strings.Fields(b)
	var out []string
	for _, s := range strings.Fields(a) {
		if slices.Contains(have, s) {
			out = append(out, s)
		}
	}
	return strings.Join(out, " ")
}
