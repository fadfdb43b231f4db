package httpapi

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/caplab/caplab/lambda/store"
	"github.com/caplab/caplab/policy"
)

// handleRevoke is POST /services/oauth2/revoke (token=…): an access token
// is invalidated; a refresh token is revoked with its whole grant (every
// access token of it). Unknown or already revoked tokens get Salesforce's
// 400 invalid_token, or RFC 7009's 200 in rfc mode. In salesforce mode the
// errors are form-encoded, as Salesforce sends them, and GET ?token= works
// too (Salesforce keeps it for old clients): the one GET that changes
// state, harmless since the token in it is itself the only credential that
// could revoke it.
func (s *Server) handleRevoke(w http.ResponseWriter, r *http.Request, o *liveOrg) {
	noStore(w)
	token, ok := revokedToken(w, r, o)
	if !ok {
		return
	}
	c, ok := s.revokingClient(w, r, o)
	if !ok {
		return
	}
	ctx := r.Context()
	now := s.cfg.Now()
	tok, g, err := s.readToken(ctx, o, token, now)
	if (err == nil || errors.Is(err, store.ErrRevoked) || errors.Is(err, store.ErrExpired)) && tok.Kind == store.KindSession && g != nil {
		s.refuseSessionRevoke(w, r, o, tok, *g) // soap.go: a login() session ID is no OAuth token
		return
	}
	if err == nil && o.rfc() && tok.ClientID != c.id {
		writeOAuthError(w, http.StatusBadRequest, errUnauthorizedClient, "the token was not issued to this client")
		return
	}
	switch {
	case err == nil:
		// A refresh token is revoked with its grant (every token of it);
		// an access token alone, by its mark.
		write := store.Write{OrgID: o.id, Now: now, Marks: []store.Mark{{Key: tok.Hash, OrgID: o.id, Revoked: true, ExpiresAt: tok.ExpiresAt}}}
		if tok.Kind == store.KindRefresh {
			write.Marks, write.Revoke = nil, []store.Revocation{{GrantID: g.ID, User: g.User, Why: "the refresh token was revoked"}}
		}
		if err := s.st.Commit(ctx, write); err != nil && !errors.Is(err, store.ErrNotFound) {
			s.internal(w, r, err)
			return
		}
	case err == nil || missing(err):
		if !o.rfc() {
			revokeError(w, o, http.StatusBadRequest, policy.LiveErrInvalidToken, policy.LiveDescInvalidToken)
			return
		}
	default:
		s.internal(w, r, err)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// revokedToken reads the token parameter of a revocation (the form, or
// the query of a GET in salesforce mode); ok false: the client has been
// answered.
func revokedToken(w http.ResponseWriter, r *http.Request, o *liveOrg) (token string, ok bool) {
	fail := func(desc string) { revokeError(w, o, http.StatusBadRequest, policy.LiveErrInvalidRequest, desc) }
	switch {
	case r.Method == http.MethodGet && o.rfc():
		w.Header().Set("Allow", "POST")
		writeOAuthError(w, http.StatusMethodNotAllowed, policy.LiveErrInvalidRequest, "use POST (RFC 7009 §2.1)")
		return "", false
	case r.Method == http.MethodGet:
		token = r.URL.Query().Get("token")
	case !strings.HasPrefix(strings.ToLower(r.Header.Get("Content-Type")), "application/x-www-form-urlencoded"):
		fail("Content-Type must be application/x-www-form-urlencoded")
		return "", false
	default:
		r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
		if err := r.ParseForm(); err != nil {
			fail("malformed form body")
			return "", false
		}
		token = r.PostForm.Get("token")
	}
	if token == "" {
		fail("missing token parameter")
		return "", false
	}
	return token, true
}

// revokingClient authenticates the client of a revocation in rfc mode (RFC
// 7009 §2.1: a confidential one with its secret; it may revoke only tokens
// issued to it). Salesforce mode asks for none. ok false: the client has
// been answered.
func (s *Server) revokingClient(w http.ResponseWriter, r *http.Request, o *liveOrg) (client, bool) {
	if !o.rfc() {
		return client{}, true
	}
	c, bad := clientCreds(r)
	if bad == "" {
		app := o.sc.AppByConsumerKey(c.id)
		if app == nil || (c.hasSecret && secretState(app, c) != "correct") || (!c.hasSecret && !publicClient(app)) {
			bad = policy.LiveDescInvalidClientCreds
		}
	}
	if bad != "" {
		s.clientError(w, o, http.StatusBadRequest, policy.LiveErrInvalidClient, bad)
		return c, false
	}
	return c, true
}

// revokeError answers a revocation error: form-encoded in salesforce mode
// (what Salesforce's revoke endpoint sends), JSON in rfc mode.
func revokeError(w http.ResponseWriter, o *liveOrg, status int, code, desc string) {
	if o.rfc() {
		writeOAuthError(w, status, code, desc)
		return
	}
	noStore(w)
	w.Header().Set("Content-Type", "application/x-www-form-urlencoded;charset=UTF-8")
	w.WriteHeader(status)
	w.Write([]byte(url.Values{"error": {code}, "error_description": {desc}}.Encode()))
}

// errUnauthorizedClient is RFC 6749's error for a client that may not do
// what it asked (here: revoke another client's token, in rfc mode).
const errUnauthorizedClient = "unauthorized_client"

// publicClient says whether the app authenticates with its client_id alone
// (no secret required for the web server flow, as PKCE clients are set up).
func publicClient(app *policy.App) bool {
	return app.OAuth.RequireSecretForWebServerFlow != nil && !*app.OAuth.RequireSecretForWebServerFlow
}

// introspection is RFC 7662's answer for an active token.
type introspection struct {
	Active    bool   `json:"active"`
	Scope     string `json:"scope"`
	ClientID  string `json:"client_id"`
	Username  string `json:"username"`
	Sub       string `json:"sub"`
	TokenType string `json:"token_type"`
	Iat       int64  `json:"iat"`
	Nbf       int64  `json:"nbf"`
	Exp       int64  `json:"exp,omitempty"`
}

// handleIntrospect is RFC 7662 introspection: the client authenticates, and
// sees its own tokens only.
func (s *Server) handleIntrospect(w http.ResponseWriter, r *http.Request, o *liveOrg) {
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
	tok, g, err := s.readToken(r.Context(), o, token, t.now)
	if err != nil || tok.ClientID != t.c.id {
		if err != nil && !missing(err) {
			s.internal(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, inactive)
		return
	}
	id := s.identityOf(o, g.Org, g.User)
	m := introspection{Active: true, Scope: tok.Scope, ClientID: tok.ClientID, Username: g.User, Sub: s.idURL(o, id),
		TokenType: tok.Kind + "_token", Iat: tok.IssuedAt.Unix(), Nbf: tok.IssuedAt.Unix()}
	if !tok.ExpiresAt.IsZero() {
		m.Exp = tok.ExpiresAt.Unix()
	}
	writeJSON(w, http.StatusOK, m)
}
