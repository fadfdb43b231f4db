package httpapi

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/caplab/caplab/lambda/store"
	"github.com/caplab/caplab/policy"
)

// The token endpoint, as fosite builds one: handleToken parses the request
// and the client's credentials, then hands it to its grant type's handler
// (token_*.go). Each handler builds the engine's event (with the earlier
// requests that matter), and answers with the shared steps below: the
// engine's denial, or a claim of what it redeems and the tokens it issues
// (token_issue.go).

const grantJWTBearer = "urn:ietf:params:oauth:grant-type:jwt-bearer"

// tokenGrants are the handlers of each grant_type.
var tokenGrants = map[string]func(*Server, *tokenRequest){
	"authorization_code": (*Server).tokenCode,              // token_code.go
	"refresh_token":      (*Server).tokenRefresh,           // token_refresh.go
	"password":           (*Server).tokenPassword,          // token_password.go
	grantJWTBearer:       (*Server).tokenJWT,               // token_jwt.go
	"client_credentials": (*Server).tokenClientCredentials, // token_client_credentials.go
	"device":             (*Server).tokenDevice,            // token_device.go
	grantDeviceCode:      (*Server).tokenDevice,
	grantTokenExchange:   (*Server).tokenExchange, // token_exchange.go
	grantSAML2Bearer:     (*Server).tokenSAML,     // token_saml.go
}

// tokenRequest is one POST to the token endpoint.
type tokenRequest struct {
	o    *liveOrg
	w    http.ResponseWriter
	r    *http.Request
	c    client
	now  time.Time
	form map[string][]string
}

func (t *tokenRequest) get(k string) string {
	if v := t.form[k]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func (t *tokenRequest) has(k string) bool { _, ok := t.form[k]; return ok }

// clientEvent is the engine's token event of this grant type for the
// request's client (with its secret's state), and the client's app (nil
// when no app has its client_id).
func (t *tokenRequest) clientEvent(grant string) (*policy.App, policy.Event) {
	app := t.o.sc.AppByConsumerKey(t.c.id)
	return app, policy.Event{Do: "token", Grant: grant, ClientID: t.c.clientID(), ClientSecret: secretState(app, t.c)}
}

// scope is the scope parameter for the engine: nil when it was not sent.
func (t *tokenRequest) scope() *string {
	if !t.has("scope") {
		return nil
	}
	sc := t.get("scope")
	return &sc
}

// handleToken is POST /services/oauth2/token.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request, o *liveOrg) {
	noStore(w)
	t, ok := s.parseTokenRequest(w, r, o)
	if !ok {
		return
	}
	gt := t.get("grant_type")
	if h, ok := tokenGrants[gt]; ok {
		h(s, t)
		return
	}
	switch {
	case gt == "" && t.get("response_type") == "device_code":
		s.deviceAuthorize(t) // token_device.go
	case gt == "":
		// The engine's answer to a request without grant_type.
		s.direct(t, policy.Event{Do: "token", ClientID: t.c.clientID()}, "", "")
	default:
		writeOAuthError(w, http.StatusBadRequest, policy.LiveErrUnsupportedGrantType, policy.LiveDescUnsupportedGrantType)
	}
}

// parseTokenRequest reads a form body (query parameters are ignored) and
// the client authentication.
func (s *Server) parseTokenRequest(w http.ResponseWriter, r *http.Request, o *liveOrg) (*tokenRequest, bool) {
	ct := r.Header.Get("Content-Type")
	if !strings.HasPrefix(strings.ToLower(strings.TrimSpace(ct)), "application/x-www-form-urlencoded") {
		writeOAuthError(w, http.StatusBadRequest, policy.LiveErrInvalidRequest, "Content-Type must be application/x-www-form-urlencoded")
		return nil, false
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeOAuthError(w, http.StatusRequestEntityTooLarge, policy.LiveErrInvalidRequest, "request body too large")
			return nil, false
		}
		writeOAuthError(w, http.StatusBadRequest, policy.LiveErrInvalidRequest, "malformed form body")
		return nil, false
	}
	for k, v := range r.PostForm {
		if len(v) > 1 {
			writeOAuthError(w, http.StatusBadRequest, policy.LiveErrInvalidRequest, "parameter sent more than once: "+k)
			return nil, false
		}
	}
	c, bad := clientCreds(r)
	if bad != "" {
		s.clientError(w, o, http.StatusBadRequest, policy.LiveErrInvalidClient, bad)
		return nil, false
	}
	return &tokenRequest{o: o, w: w, r: r, c: c, now: s.cfg.Now(), form: r.PostForm}, true
}

// clientError answers an invalid_client: 400 as Salesforce does, or 401
// with WWW-Authenticate in rfc mode.
func (s *Server) clientError(w http.ResponseWriter, o *liveOrg, status int, code, desc string) {
	if o.rfc() && code == policy.LiveErrInvalidClient {
		w.Header().Set("WWW-Authenticate", `Basic realm="`+o.issuer()+`", error="invalid_client"`)
		status = http.StatusUnauthorized
	}
	writeOAuthError(w, status, code, desc)
}

// invalidGrant answers invalid_grant with Salesforce's description desc.
func invalidGrant(w http.ResponseWriter, desc string) {
	writeOAuthError(w, http.StatusBadRequest, policy.LiveErrInvalidGrant, desc)
}

// deny answers an engine denial at the token endpoint.
func (s *Server) deny(t *tokenRequest, res policy.EventResult) {
	status := res.HTTPStatus
	if status < 400 {
		status = http.StatusBadRequest
	}
	s.clientError(t.w, t.o, status, res.Error, res.ErrorDescription)
}

// Why a grant is revoked when what it issued is redeemed twice.
const (
	whyCodeReplayed       = "its authorization code was replayed"
	whyDeviceCodeReplayed = "its device code was replayed"
	whyRefreshReused      = "a rotated-out refresh token was reused"
)

// replay is a code or refresh token the request redeems a second time:
// when the engine's check of it refuses the request, the grant behind it
// is revoked.
type replay struct {
	check policy.Check
	grant *store.Grant
	why   string
}

// verdict evaluates steps (the request itself last), with known the grant
// they continue (nil for a new one: the approvals they need are read).
// Unless the engine grants the request, the client has been answered and
// ok is false: with the engine's denial (after revoking re's grant when
// re's check refused it; re is nil for a first redemption), or a store
// error.
func (s *Server) verdict(t *tokenRequest, steps []step, known *store.Grant, re *replay) (res policy.EventResult, ok bool) {
	res, err := s.evaluateKnown(t.r.Context(), t.o, steps, known)
	if err != nil {
		s.internal(t.w, t.r, err)
		return res, false
	}
	if res.Outcome == policy.Granted {
		return res, true
	}
	if re != nil && res.DeniedBy() == re.check && !s.revoke(t, re.grant, re.why) {
		return res, false
	}
	s.deny(t, res)
	return res, false
}

// granted is the verdict on one event now.
func (s *Server) granted(t *tokenRequest, ev policy.Event) (policy.EventResult, bool) {
	return s.verdict(t, []step{{at: t.now, ev: ev}}, nil, nil)
}

// revoke revokes a grant with what it issued (none, or one gone already,
// needs nothing); on a store error the client got a 500 and it returns
// false.
func (s *Server) revoke(t *tokenRequest, g *store.Grant, why string) bool {
	if g == nil {
		return true
	}
	w := store.Write{OrgID: t.o.id, Now: t.now, Revoke: []store.Revocation{{GrantID: g.ID, User: g.User, Why: why}}}
	if err := s.st.Commit(t.r.Context(), w); err != nil && !errors.Is(err, store.ErrNotFound) {
		s.internal(t.w, t.r, err)
		return false
	}
	return true
}

// claim is what a refused claim of the request's write means: a lost race
// or second use is a replay, which revokes grant; the client is told
// invalid (used, unknown, revoked) or expired.
type claim struct {
	grant   *store.Grant
	why     string
	invalid string
	expired string
}

// refused answers a write the store refused.
func (s *Server) refused(t *tokenRequest, err error, c *claim) {
	switch {
	case c == nil || !missing(err) && !errors.Is(err, store.ErrAlreadyUsed):
		s.internal(t.w, t.r, err)
	case errors.Is(err, store.ErrAlreadyUsed):
		if s.revoke(t, c.grant, c.why) {
			invalidGrant(t.w, c.invalid)
		}
	case errors.Is(err, store.ErrExpired):
		invalidGrant(t.w, c.expired)
	default:
		invalidGrant(t.w, c.invalid)
	}
}

// direct evaluates a grant without a code or refresh token and, when the
// engine grants it, starts a new grant with its tokens.
func (s *Server) direct(t *tokenRequest, ev policy.Event, user, org string) {
	if res, ok := s.granted(t, ev); ok {
		s.startGrant(t, ev, res, user, org)
	}
}

// startGrant starts the new grant of a granted direct request, with its
// tokens: the grant (counted against the live org's quota), its first use
// and the Login History row, in one write. Client credentials store no
// grant (tokens.go): the write is the row alone.
func (s *Server) startGrant(t *tokenRequest, ev policy.Event, res policy.EventResult, user, org string) {
	app := t.o.sc.AppByConsumerKey(ev.ClientID)
	g := store.Grant{ID: newGrantID(), ScenarioID: t.o.id, ClientID: ev.ClientID, Org: org, User: user, App: app.Name,
		Scope: res.Issued.Scope, Origin: toStoreStep(step{at: t.now, ev: ev}), Status: store.GrantActive, CreatedAt: t.now}
	w := store.Write{Grant: &g}
	var more func(*tokenBody)
	if ev.Grant == "client_credentials" {
		// Salesforce's client-credentials answer also names the API host.
		more = func(b *tokenBody) { b.APIInstanceURL = t.o.issuer() }
		if !res.Issued.RefreshToken {
			g.ID, w.Grant = "", nil
		}
	}
	s.answerTokens(t, issue{app: app, grant: g, res: res, bearer: ev.Grant == "jwt_bearer"}, more, w, nil)
}

// answerTokens issues the tokens the engine's result says to issue and
// writes them with w (the request's claims, a new grant), a use of their
// grant and the Login History row, in one write; then it answers 200 with
// them (and what more adds to the body). A refused write is answered as c
// says.
func (s *Server) answerTokens(t *tokenRequest, is issue, more func(*tokenBody), w store.Write, c *claim) {
	body, tokens, err := s.issueTokens(t.o, is, t.now)
	if err != nil {
		s.internal(t.w, t.r, err)
		return
	}
	w.OrgID, w.Now, w.UseGrant = t.o.id, t.now, is.grant.ID
	w.Tokens = append(w.Tokens, tokens...)
	w.Logins = append(w.Logins, s.grantedLogin(t.r)...)
	// Only a write of bookkeeping alone (client credentials: the Login
	// History row) may be committed behind the answer; the store decides.
	w.Behind = true
	if err := s.st.Commit(t.r.Context(), w); err != nil {
		s.refused(t, err, c)
		return
	}
	if more != nil {
		more(body)
	}
	writeJSON(t.w, http.StatusOK, body)
}

// earlierUse is an earlier redemption of a code or refresh token by the
// client it was issued to, for the engine's history.
func earlierUse(grant, clientID string) policy.Event {
	return policy.Event{Do: "token", Grant: grant, ClientID: clientID, Use: "prev"}
}
