package httpapi

import (
	"context"
	"net/http"
	"strings"

	"github.com/caplab/caplab/lambda/store"
	"github.com/caplab/caplab/policy"
)

// bearer is the access token of an Authorization: Bearer header.
func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "Bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// session is a valid access token with its grant.
type accessSession struct {
	tok   store.Token
	grant store.Grant
	id    identity
}

// checkAccess validates an access token (or a SOAP login() session ID,
// which the REST API takes alike): it exists for this live org, is
// not revoked (nor its grant) and has not idled out. Like a Salesforce
// session, its expiry slides: a use after half the timeout restarts it.
func (s *Server) checkAccess(ctx context.Context, o *liveOrg, token string) (accessSession, error) {
	if token == "" {
		return accessSession{}, store.ErrNotFound
	}
	now := s.cfg.Now()
	tok, err := s.st.GetToken(ctx, hashToken(token), now)
	if err != nil {
		return accessSession{}, err
	}
	if (tok.Kind != store.KindAccess && tok.Kind != store.KindSession) || tok.ScenarioID != o.id {
		return accessSession{}, store.ErrNotFound
	}
	g, err := s.st.GetGrant(ctx, tok.GrantID)
	if err != nil {
		return accessSession{}, err
	}
	last := tok.IssuedAt
	if tok.LastUsedAt.After(last) {
		last = tok.LastUsedAt
	}
	if tok.Timeout > 0 && now.Sub(last) >= tok.Timeout/2 {
		if err := s.st.TouchToken(ctx, tok.Hash, now, now.Add(tok.Timeout)); err != nil {
			return accessSession{}, err
		}
	}
	return accessSession{tok: tok, grant: g, id: s.identityOf(o, g.Org, g.User)}, nil
}

// invalidSession is the REST API's 401.
func invalidSession(w http.ResponseWriter) {
	noStore(w)
	w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
	writeJSON(w, http.StatusUnauthorized, []map[string]string{{"message": policy.LiveDescSessionExpired, "errorCode": policy.LiveErrInvalidSessionID}})
}

// accessOr401 checks the request's bearer token (Authorization header)
// and answers 401 when it is not a valid session.
func (s *Server) accessOr401(w http.ResponseWriter, r *http.Request, o *liveOrg) (accessSession, bool) {
	return s.sessionOr401(w, r, o, bearer(r))
}

// sessionOr401 is accessOr401 for a token found elsewhere (the identity
// URL also takes ?oauth_token=).
func (s *Server) sessionOr401(w http.ResponseWriter, r *http.Request, o *liveOrg, token string) (accessSession, bool) {
	a, err := s.checkAccess(r.Context(), o, token)
	if err == nil {
		return a, true
	}
	if missing(err) {
		invalidSession(w)
		return a, false
	}
	s.internal(w, r, err)
	return a, false
}
