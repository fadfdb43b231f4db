package httpapi

import (
	"context"
	"net/http"
	"strings"
	"time"

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

// accessSession is a valid access token (or login() session ID) with its
// grant.
type accessSession struct {
	tok   store.Token
	grant store.Grant
	id    identity
}

// checkAccess validates an access token (or a SOAP login() session ID,
// which the REST API takes alike): issued by this live org, not revoked
// (alone or with its grant) and not idled out, which one read of its grant
// and mark tells. Like a Salesforce session, its expiry slides: a use after
// half the timeout restarts it (a write to its mark, then).
func (s *Server) checkAccess(ctx context.Context, o *liveOrg, token string) (accessSession, error) {
	now := s.cfg.Now()
	tok, g, err := s.readToken(ctx, o, token, now)
	if err != nil {
		return accessSession{}, err
	}
	if tok.Kind != store.KindAccess && tok.Kind != store.KindSession {
		return accessSession{}, store.ErrNotFound
	}
	last := tok.IssuedAt
	if tok.LastUsedAt.After(last) {
		last = tok.LastUsedAt
	}
	if tok.Timeout > 0 && now.Sub(last) >= tok.Timeout/2 {
		m := store.Mark{Key: tok.Hash, OrgID: o.id, LastUsedAt: now, ExpiresAt: now.Add(tok.Timeout)}
		// Activity is bookkeeping: no answer waits on it (store.Write.Behind).
		if err := s.st.Commit(ctx, store.Write{OrgID: o.id, Now: now, Marks: []store.Mark{m}, Behind: true}); err != nil {
			return accessSession{}, err
		}
		tok.LastUsedAt, tok.ExpiresAt = now, m.ExpiresAt
	}
	return accessSession{tok: tok, grant: *g, id: s.identityOf(o, g.Org, g.User)}, nil
}

// readToken reads a token of this live org (an access token or session ID,
// or a refresh token) with its grant, in one round trip, and applies the
// read rules: ErrNotFound for one it did not issue (g nil); ErrRevoked
// (the token or its grant; g nil when the grant is gone) or ErrExpired,
// with the record.
func (s *Server) readToken(ctx context.Context, o *liveOrg, v string, now time.Time) (tok store.Token, g *store.Grant, err error) {
	if c, ok := s.readAccess(v); ok {
		if c.Org != o.id {
			return tok, nil, store.ErrNotFound
		}
		r, err := s.st.Lookup(ctx, store.Keys{OrgID: o.id, Grant: c.Grant, Mark: c.markKey()})
		if err != nil {
			return tok, nil, err
		}
		if c.grantless() {
			r.Grant = c.grant(o)
		}
		tok = c.token(r.Grant, r.Mark)
		return tok, r.Grant, store.CheckToken(tok, r.Grant, now)
	}
	gid := grantOf(refreshPrefix, v)
	if gid == "" {
		return tok, nil, store.ErrNotFound
	}
	r, err := s.st.Lookup(ctx, store.Keys{OrgID: o.id, Token: hashToken(v), Grant: gid})
	if err != nil {
		return tok, nil, err
	}
	if r.Token == nil || r.Token.GrantID != gid || r.Token.ScenarioID != o.id {
		return tok, nil, store.ErrNotFound
	}
	return *r.Token, r.Grant, store.CheckToken(*r.Token, r.Grant, now)
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
