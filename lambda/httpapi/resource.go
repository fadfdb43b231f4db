package httpapi

import (
	"context"
	"errors"
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

// session is a valid access token with its grant.
type accessSession struct {
	tok   store.Token
	grant store.Grant
	id    identity
}

// checkAccess validates an access token: it exists for this live org, is
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
	if tok.Kind != store.KindAccess || tok.ScenarioID != o.id {
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

func (s *Server) accessOr401(w http.ResponseWriter, r *http.Request, o *liveOrg) (accessSession, bool) {
	a, err := s.checkAccess(r.Context(), o, bearer(r))
	if err == nil {
		return a, true
	}
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrRevoked) || errors.Is(err, store.ErrExpired) {
		invalidSession(w)
		return a, false
	}
	s.internal(w, r, err)
	return a, false
}

// apiVersion is the REST API version the live org serves.
const apiVersion = "62.0"

// handleData is the minimal REST API under /services/data/.
func (s *Server) handleData(w http.ResponseWriter, r *http.Request) {
	o, ok := s.org(w, r)
	if !ok {
		return
	}
	rest := strings.TrimSuffix(r.PathValue("rest"), "/")
	base := "/o/" + o.id + "/services/data/v" + apiVersion
	if rest == "" {
		writeJSON(w, http.StatusOK, []map[string]string{{"label": "Winter '25", "url": strings.TrimPrefix(base, ""), "version": apiVersion}})
		return
	}
	if rest != "v"+apiVersion && rest != "v"+apiVersion+"/query" {
		writeJSON(w, http.StatusNotFound, []map[string]string{{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}})
		return
	}
	a, ok := s.accessOr401(w, r, o)
	if !ok {
		return
	}
	// The engine decides the API call (scopes, user, API Enabled) on the
	// token's history.
	steps, err := history(a.grant, a.tok)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	at := a.tok.IssuedAt
	steps = append(steps, step{at: at, ev: policy.Event{Do: "api", Use: "prev"}})
	res, err := s.evaluate(r.Context(), o, steps)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	if res.Outcome != policy.Granted {
		noStore(w)
		writeJSON(w, res.HTTPStatus, []map[string]string{{"message": res.ErrorDescription, "errorCode": res.Error}})
		return
	}
	if rest == "v"+apiVersion {
		writeJSON(w, http.StatusOK, map[string]string{"query": base + "/query", "sobjects": base + "/sobjects", "limits": base + "/limits"})
		return
	}
	if r.URL.Query().Get("q") == "" {
		writeJSON(w, http.StatusBadRequest, []map[string]string{{"message": "missing required parameter q", "errorCode": "MALFORMED_QUERY"}})
		return
	}
	orgName := ""
	if a.id.org != nil {
		orgName = a.id.org.Name
	}
	writeJSON(w, http.StatusOK, map[string]any{"totalSize": 1, "done": true, "records": []map[string]any{{
		"attributes": map[string]string{"type": "Organization", "url": base + "/sobjects/Organization/" + a.id.orgID},
		"Id":         a.id.orgID, "Name": orgName,
	}}})
}

// handleUserinfo is the OIDC UserInfo endpoint.
func (s *Server) handleUserinfo(w http.ResponseWriter, r *http.Request) {
	o, ok := s.org(w, r)
	if !ok {
		return
	}
	a, ok := s.accessOr401(w, r, o)
	if !ok {
		return
	}
	noStore(w)
	writeJSON(w, http.StatusOK, s.userClaims(o, a))
}

func (s *Server) userClaims(o *liveOrg, a accessSession) map[string]any {
	m := map[string]any{
		"sub": s.idURL(o, a.id), "user_id": a.id.userID, "organization_id": a.id.orgID,
		"preferred_username": a.grant.User, "nickname": strings.Split(a.grant.User, "@")[0], "name": a.grant.User,
		"user_type": "STANDARD", "active": a.id.user != nil && a.id.user.IsActive(),
		"updated_at": time.Unix(0, 0).UTC().Format(time.RFC3339),
	}
	if strings.Contains(a.grant.User, "@") {
		m["email"], m["email_verified"] = a.grant.User, true
	}
	return m
}

// handleIdentity is the identity service /id/{orgId}/{userId}.
func (s *Server) handleIdentity(w http.ResponseWriter, r *http.Request) {
	o, ok := s.org(w, r)
	if !ok {
		return
	}
	a, ok := s.accessOr401(w, r, o)
	if !ok {
		return
	}
	noStore(w)
	if r.PathValue("orgId") != a.id.orgID || r.PathValue("userId") != a.id.userID {
		writeJSON(w, http.StatusForbidden, []map[string]string{{"message": "Bad_Id", "errorCode": "FORBIDDEN"}})
		return
	}
	m := s.userClaims(o, a)
	m["id"] = s.idURL(o, a.id)
	m["username"] = a.grant.User
	m["display_name"] = a.grant.User
	m["asserted_user"] = true
	m["urls"] = map[string]string{
		"rest":  s.issuer(o.id) + "/services/data/v{version}/",
		"query": s.issuer(o.id) + "/services/data/v{version}/query/",
	}
	writeJSON(w, http.StatusOK, m)
}
