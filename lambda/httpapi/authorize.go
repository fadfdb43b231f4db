package httpapi

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/caplab/caplab/lambda/store"
	"github.com/caplab/caplab/policy"
)

// authParams is an authorization request.
type authParams struct {
	raw          string // the raw query, replayed after login
	responseType string
	clientID     string
	redirectURI  string
	hasRedirect  bool
	scope        string
	hasScope     bool
	state        string
	challenge    string
	method       string
	nonce        string
	immediate    bool
	dup          string // a parameter sent more than once
}

func parseAuthParams(raw string) authParams {
	q, err := url.ParseQuery(raw)
	p := authParams{raw: raw}
	if err != nil {
		p.dup = "query"
		return p
	}
	for k, v := range q {
		if len(v) > 1 {
			p.dup = k
		}
	}
	p.responseType = q.Get("response_type")
	p.clientID = q.Get("client_id")
	p.redirectURI, p.hasRedirect = q.Get("redirect_uri"), q.Has("redirect_uri")
	p.scope, p.hasScope = q.Get("scope"), q.Has("scope")
	p.state = q.Get("state")
	p.challenge = q.Get("code_challenge")
	p.method = q.Get("code_challenge_method")
	p.nonce = q.Get("nonce")
	p.immediate = q.Get("immediate") == "true"
	return p
}

// missingClient stands for an absent client_id: no consumer key matches it.
const missingClient = "(no client_id)"

// event is the authorize event the engine evaluates for these parameters.
func (p authParams) event(o *liveOrg, org, user, consent string) policy.Event {
	ev := policy.Event{Do: "authorize", Flow: "webServer", Org: org, User: user, ClientID: p.clientID,
		State: p.state, Immediate: p.immediate, Consent: consent}
	if p.responseType == "token" {
		ev.Flow = "userAgent"
	}
	if ev.ClientID == "" {
		ev.ClientID = missingClient
	}
	redirect := p.redirectURI
	if app := o.sc.AppByConsumerKey(p.clientID); app != nil {
		redirect = registeredRedirect(app.OAuth.CallbackURLs, redirect)
	}
	ev.RedirectURI = &redirect
	if p.hasScope {
		sc := p.scope
		ev.Scope = &sc
	}
	pkce := p.challenge != ""
	ev.PKCE = &pkce
	return ev
}

// registeredRedirect maps a loopback redirect URI to the registered
// callback it matches with any port (RFC 8252 §7.3: only http://127.0.0.1
// and http://[::1]); any other URI is returned as is for exact matching.
func registeredRedirect(callbacks []string, got string) string {
	if slices.Contains(callbacks, got) {
		return got
	}
	u, err := url.Parse(got)
	if err != nil || u.Scheme != "http" || (u.Hostname() != "127.0.0.1" && u.Hostname() != "::1") || u.User != nil || u.Fragment != "" || u.RawFragment != "" {
		return got
	}
	for _, c := range callbacks {
		cu, err := url.Parse(c)
		if err != nil || cu.Scheme != "http" || cu.Hostname() != u.Hostname() {
			continue
		}
		if cu.EscapedPath() == u.EscapedPath() && cu.RawQuery == u.RawQuery && cu.User == nil {
			return c
		}
	}
	return got
}

// orgFor is the org of a user (by username), else the app's home org.
func orgFor(o *liveOrg, username, clientID string) string {
	if org, _ := o.sc.FindUser(username); org != nil {
		return org.Name
	}
	if org := o.sc.HomeOrg(o.sc.AppByConsumerKey(clientID)); org != nil {
		return org.Name
	}
	return ""
}

// handleAuthorize is GET /services/oauth2/authorize.
func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request, o *liveOrg) {
	p := parseAuthParams(r.URL.RawQuery)
	if !s.precheck(w, r, o, p) {
		return
	}
	if user := s.session(r, o); user != "" {
		s.decide(w, r, o, p, user, "", false)
		return
	}
	if p.immediate {
		// immediate=true forbids a login page; Salesforce's answer is shown,
		// never redirected, to a visitor not logged in here (immediate.go).
		s.immediatePage(w, o, p)
		return
	}
	s.showLogin(w, o, p, "", "")
}

// precheck validates the client_id / redirect_uri pair with the engine,
// before anyone logs in: until the callback is trusted, errors are shown
// on the org's page and never redirected.
func (s *Server) precheck(w http.ResponseWriter, r *http.Request, o *liveOrg, p authParams) bool {
	if p.dup == "client_id" || p.dup == "redirect_uri" || p.dup == "query" {
		errorPage(w, http.StatusBadRequest, policy.LiveErrInvalidRequest, "duplicate or malformed parameter: "+p.dup, "")
		return false
	}
	if why := rfcRedirectProblem(o, p.redirectURI); why != "" {
		errorPage(w, http.StatusBadRequest, policy.LiveErrInvalidRequest, why, "") // redirect_rules.go
		return false
	}
	pre := p
	if pre.responseType != "token" {
		pre.responseType = "code"
	}
	res, err := s.evaluate(r.Context(), o, []step{{at: s.cfg.Now(), ev: pre.event(o, orgFor(o, "", p.clientID), "", "")}})
	if err != nil {
		s.internal(w, r, err)
		return false
	}
	if res.Outcome == policy.Denied && !res.Passed(policy.CheckCallbackURL) {
		errorPage(w, res.HTTPStatus, res.Error, res.ErrorDescription, responseBody(res))
		return false
	}
	return true
}

func responseBody(res policy.EventResult) string {
	if res.Response != nil {
		return res.Response.Body
	}
	return ""
}

func (s *Server) showLogin(w http.ResponseWriter, o *liveOrg, p authParams, username, msg string) {
	s.showLoginStatus(w, o, p, username, msg, http.StatusOK)
}

func (s *Server) showLoginStatus(w http.ResponseWriter, o *liveOrg, p authParams, username, msg string, status int) {
	csrf := s.newFlow(w, authorizeForm, o, p.raw)
	orgName := "the org"
	if app := o.sc.AppByConsumerKey(p.clientID); app != nil {
		if org := o.sc.HomeOrg(app); org != nil {
			orgName = org.Name
		}
	}
	renderPage(w, status, "login", withUsers(o, map[string]any{"Title": "Login", "Org": orgName, "CSRF": csrf,
		"Action": o.path(authorizeEndpoint), "Username": username, "Error": msg}))
}

// handleAuthorizePost takes the login form (username, password) and the
// approval form (decision=allow|deny), each with its CSRF token.
func (s *Server) handleAuthorizePost(w http.ResponseWriter, r *http.Request, o *liveOrg) {
	f, ok := s.postedFlow(w, r, authorizeForm, o, "start the authorization again")
	if !ok {
		return
	}
	p := parseAuthParams(f.Query)
	if !s.precheck(w, r, o, p) {
		return
	}
	if r.PostForm.Has("decision") {
		if user, d, ok := s.postedDecision(w, r, o); ok {
			s.decide(w, r, o, p, user, d, true)
		}
		return
	}
	username := r.PostForm.Get("username")
	if refused, ok := s.checkLogin(w, r, o, username, r.PostForm.Get("password")); !ok {
		return
	} else if refused != nil {
		w.Header().Set("Retry-After", refused.retryAfter)
		s.showLoginStatus(w, o, p, username, refused.message, refused.status)
		return
	}
	s.setSession(w, o, username)
	pageHeaders(w)
	http.Redirect(w, r, o.path(authorizeEndpoint)+"?"+p.raw, http.StatusSeeOther)
}

// decide evaluates the authorization request for a logged-in user and
// answers: the approval page when the engine shows the user the consent
// screen and they have not answered it yet (consent ""), else the engine's
// result in its channel (303 after a POST).
func (s *Server) decide(w http.ResponseWriter, r *http.Request, o *liveOrg, p authParams, user, consent string, post bool) {
	if code, desc := unmodelled(o, p); code != "" {
		s.redirectError(w, r, o, p, p.redirectURI, "", code, desc, post)
		return
	}
	origin := step{at: s.cfg.Now(), ev: p.event(o, orgFor(o, user, p.clientID), user, consent)}
	res, err := s.evaluate(r.Context(), o, []step{origin})
	if err != nil {
		s.internal(w, r, err)
		return
	}
	if consent == "" && res.ConsentScreen {
		s.showConsent(w, o, p, user)
		return
	}
	s.auditAuthorize(r, o, user, p.clientID, res) // audit.go: Login History
	if res.Outcome == policy.Denied {
		s.deliverDenial(w, r, o, p, res, post)
		return
	}
	s.approve(w, r, o, p, origin, res, post)
}

// unmodelled is the error of a request the engine does not model ("" when
// there is none), answered once the callback is trusted.
func unmodelled(o *liveOrg, p authParams) (code, desc string) {
	switch {
	case p.dup != "":
		return policy.LiveErrInvalidRequest, "duplicate parameter: " + p.dup
	case p.responseType != "code" && p.responseType != "token":
		return policy.LiveErrUnsupportedResponseType, policy.LiveDescUnsupportedResponse
	case p.challenge != "" && p.method != "S256" && !(p.method == "" && !o.rfc()):
		// Salesforce documents no code_challenge_method and takes a bare
		// challenge as S256 (jsforce and the Salesforce CLI send none); RFC
		// 7636 reads a missing method as plain, which rfc mode refuses.
		return policy.LiveErrInvalidRequest, "code_challenge_method must be S256 (plain is not supported)"
	case p.challenge != "" && (len(p.challenge) < 43 || len(p.challenge) > 128):
		return policy.LiveErrInvalidRequest, "invalid code_challenge"
	}
	return "", ""
}

// showConsent shows the approval page: the app and the scopes asked for
// (else the app's).
func (s *Server) showConsent(w http.ResponseWriter, o *liveOrg, p authParams, user string) {
	csrf := s.newFlow(w, authorizeForm, o, p.raw)
	app := o.sc.AppByConsumerKey(p.clientID)
	scopes := app.OAuth.Scopes
	if p.hasScope {
		scopes = splitScope(p.scope)
	}
	renderPage(w, http.StatusOK, "consent", map[string]any{"Title": "Allow Access", "App": app.Name, "Username": user,
		"Scopes": policy.ScopeLabelList(scopes), "CSRF": csrf, "Action": o.path(authorizeEndpoint)})
}

// approve records the user's approval (the granted authorize request,
// origin) as a grant and sends the callback its code, or in the
// user-agent flow its tokens, with state and iss. The grant, the oldest
// approval it displaces, and the code or tokens are one write.
func (s *Server) approve(w http.ResponseWriter, r *http.Request, o *liveOrg, p authParams, origin step, res policy.EventResult, post bool) {
	ctx, now := r.Context(), origin.at
	app := o.sc.AppByConsumerKey(p.clientID)
	g := store.Grant{ID: newGrantID(), ScenarioID: o.id, ClientID: p.clientID, Org: origin.ev.Org, User: origin.ev.User, App: app.Name,
		Scope: res.Issued.Scope, Interactive: true, Origin: toStoreStep(origin), Status: store.GrantActive, CreatedAt: now}
	revoke, err := s.capApprovals(ctx, o, g)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	write := store.Write{OrgID: o.id, Now: now, Grant: &g, Revoke: revoke}
	q, sep := url.Values{}, "?"
	if res.Delivery == policy.DeliverRedirectFragment {
		body, tokens, err := s.issueTokens(o, issue{app: app, grant: g, res: res}, now)
		if err != nil {
			s.internal(w, r, err)
			return
		}
		q = body.fragment()
		sep, write.Tokens, write.UseGrant = "#", tokens, g.ID
	} else {
		code, c := s.newCode(o, p, g, res, now)
		q.Set("code", code)
		write.Codes = []store.Code{c}
	}
	if err := s.st.Commit(ctx, write); err != nil {
		s.internal(w, r, err)
		return
	}
	if p.state != "" {
		q.Set("state", p.state)
	}
	q.Set("iss", o.issuer())
	s.redirect(w, r, withParams(p.redirectURI, sep, q), post)
}

// newCode is a new authorization code of grant g and its record. It lives
// Salesforce's lifetime, or 10 minutes in rfc mode.
func (s *Server) newCode(o *liveOrg, p authParams, g store.Grant, res policy.EventResult, now time.Time) (string, store.Code) {
	code := namedToken(codePrefix, g.ID)
	life := policy.LiveAuthCodeLifetime
	if o.rfc() {
		life = 10 * time.Minute
	}
	return code, store.Code{Hash: hashToken(code), ScenarioID: o.id, ClientID: p.clientID, RedirectURI: p.redirectURI,
		Challenge: p.challenge, Nonce: p.nonce, Org: g.Org, User: g.User, Scope: res.Issued.Scope,
		Authorize: g.Origin, GrantID: g.ID, IssuedAt: now, ExpiresAt: now.Add(life)}
}

// maxApprovalsPerApp is how many live approvals a user keeps per app: a
// sixth revokes the oldest, as Salesforce does.
const maxApprovalsPerApp = 5

// capApprovals are the revocations a new approval g brings: the user's
// oldest approvals of the app beyond maxApprovalsPerApp with g.
func (s *Server) capApprovals(ctx context.Context, o *liveOrg, g store.Grant) ([]store.Revocation, error) {
	gs, err := s.st.ListApprovals(ctx, o.id, g.User)
	if err != nil {
		return nil, err
	}
	var live []store.Grant
	for _, x := range gs {
		if x.Status == store.GrantActive && x.Org == g.Org && x.User == g.User && x.App == g.App {
			live = append(live, x)
		}
	}
	var out []store.Revocation
	for i := 0; i < len(live)+1-maxApprovalsPerApp; i++ {
		out = append(out, store.Revocation{GrantID: live[i].ID, User: live[i].User, Why: "a sixth approval of the app by this user revoked the oldest"})
	}
	return out, nil
}

// deliverDenial answers an engine denial in its channel.
func (s *Server) deliverDenial(w http.ResponseWriter, r *http.Request, o *liveOrg, p authParams, res policy.EventResult, post bool) {
	switch res.Delivery {
	case policy.DeliverRedirect:
		s.redirectError(w, r, o, p, p.redirectURI, "", res.Error, res.ErrorDescription, post)
	case policy.DeliverRedirectFragment:
		s.redirectError(w, r, o, p, p.redirectURI, "#", res.Error, res.ErrorDescription, post)
	default:
		errorPage(w, res.HTTPStatus, res.Error, res.ErrorDescription, responseBody(res))
	}
}

// redirectError sends an error to the (validated) callback, with state and iss.
func (s *Server) redirectError(w http.ResponseWriter, r *http.Request, o *liveOrg, p authParams, to, sep, code, desc string, post bool) {
	s.redirect(w, r, s.errorLocation(o, p, to, sep, code, desc), post)
}

// errorLocation is the callback URL carrying an error, with state and iss.
func (s *Server) errorLocation(o *liveOrg, p authParams, to, sep, code, desc string) string {
	if sep == "" {
		sep = "?"
		if p.responseType == "token" {
			sep = "#"
		}
	}
	q := url.Values{"error": {code}, "error_description": {desc}}
	if p.state != "" {
		q.Set("state", p.state)
	}
	q.Set("iss", o.issuer())
	return withParams(to, sep, q)
}

// redirect answers 302, or 303 after a POST.
func (s *Server) redirect(w http.ResponseWriter, r *http.Request, to string, post bool) {
	pageHeaders(w)
	status := http.StatusFound
	if post {
		status = http.StatusSeeOther
	}
	w.Header().Set("Location", to)
	w.WriteHeader(status)
}

func withParams(base, sep string, q url.Values) string {
	if sep == "?" && strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + q.Encode()
}
