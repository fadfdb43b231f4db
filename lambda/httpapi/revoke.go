package httpapi

import (
	"errors"
	"net/http"
	"strings"

	"github.com/caplab/caplab/lambda/store"
	"github.com/caplab/caplab/policy"
)

// handleRevoke is POST /services/oauth2/revoke (token=…): an access token
// is invalidated; a refresh token is revoked with its whole grant (every
// access token of it). Unknown or already revoked tokens get Salesforce's
// 400 invalid_token, or RFC 7009's 200 in rfc mode.
func (s *Server) handleRevoke(w http.ResponseWriter, r *http.Request) {
	o, ok := s.org(w, r)
	if !ok {
		return
	}
	noStore(w)
	if !strings.HasPrefix(strings.ToLower(r.Header.Get("Content-Type")), "application/x-www-form-urlencoded") {
		writeOAuthError(w, http.StatusBadRequest, policy.LiveErrInvalidRequest, "Content-Type must be application/x-www-form-urlencoded")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	if err := r.ParseForm(); err != nil {
		writeOAuthError(w, http.StatusBadRequest, policy.LiveErrInvalidRequest, "malformed form body")
		return
	}
	token := r.PostForm.Get("token")
	if token == "" {
		writeOAuthError(w, http.StatusBadRequest, policy.LiveErrInvalidRequest, "missing token parameter")
		return
	}
	ctx := r.Context()
	now := s.cfg.Now()
	tok, err := s.st.GetToken(ctx, hashToken(token), now)
	switch {
	case err == nil && tok.ScenarioID == o.id:
		if tok.Kind == store.KindRefresh {
			err = s.st.RevokeGrant(ctx, tok.GrantID, "the refresh token was revoked", now)
		} else {
			err = s.st.RevokeToken(ctx, tok.Hash, now)
		}
		if err != nil {
			s.internal(w, r, err)
			return
		}
	case err == nil, errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrRevoked), errors.Is(err, store.ErrExpired):
		if !o.rfc() {
			writeOAuthError(w, http.StatusBadRequest, policy.LiveErrInvalidToken, policy.LiveDescInvalidToken)
			return
		}
	default:
		s.internal(w, r, err)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// handleIntrospect is RFC 7662 introspection: the client authenticates, and
// sees its own tokens only.
func (s *Server) handleIntrospect(w http.ResponseWriter, r *http.Request) {
	o, ok := s.org(w, r)
	if !ok {
		return
	}
	noStore(w)
	t, ok := s.parseTokenRequest(w, r, o)
	if !ok {
		return
	}
	app := o.sc.AppByConsumerKey(t.c.id)
	if app == nil || secretState(app, t.c) != "correct" {
		s.clientError(w, o, http.StatusBadRequest, policy.LiveErrInvalidClient, policy.LiveDescInvalidClientCreds)
		return
	}
	token := t.get("token")
	inactive := map[string]any{"active": false}
	if token == "" {
		writeJSON(w, http.StatusOK, inactive)
		return
	}
	tok, err := s.st.GetToken(r.Context(), hashToken(token), t.now)
	if err != nil || tok.ScenarioID != o.id || tok.ClientID != t.c.id {
		if err != nil && !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrRevoked) && !errors.Is(err, store.ErrExpired) {
			s.internal(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, inactive)
		return
	}
	g, err := s.st.GetGrant(r.Context(), tok.GrantID)
	if err != nil {
		writeJSON(w, http.StatusOK, inactive)
		return
	}
	id := s.identityOf(o, g.Org, g.User)
	m := map[string]any{
		"active": true, "scope": tok.Scope, "client_id": tok.ClientID, "username": g.User,
		"sub": s.idURL(o, id), "token_type": tok.Kind + "_token", "iat": tok.IssuedAt.Unix(), "nbf": tok.IssuedAt.Unix(),
	}
	if !tok.ExpiresAt.IsZero() {
		m["exp"] = tok.ExpiresAt.Unix()
	}
	writeJSON(w, http.StatusOK, m)
}
