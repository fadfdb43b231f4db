package httpapi

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
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
func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	o, ok := s.org(w, r)
	if !ok {
		return
	}
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
	if res.Outcome == policy.Denied && !hasStep(res, "app.callbackUrl", policy.StepPass) {
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
	renderPage(w, status, "login", map[string]any{"Title": "Login", "Org": orgName, "CSRF": csrf,
		"Action": o.path(authorizeEndpoint), "Username": username, "Error": msg})
}

// handleAuthorizePost takes the login form (username, password) and the
// approval form (decision=allow|deny), each with its CSRF token.
func (s *Server) handleAuthorizePost(w http.ResponseWriter, r *http.Request) {
	o, ok := s.org(w, r)
	if !ok {
		return
	}
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
// answers: the approval page when consent is needed, else the engine's
// result in its channel (303 after a POST).
func (s *Server) decide(w http.ResponseWriter, r *http.Request, o *liveOrg, p authParams, user, consent string, post bool) {
	ctx := r.Context()
	redirectTo := p.redirectURI
	// Requests the engine does not model, answered once the callback is trusted.
	switch {
	case p.dup != "":
		s.redirectError(w, r, o, p, redirectTo, "", policy.LiveErrInvalidRequest, "duplicate parameter: "+p.dup, post)
		return
	case p.responseType != "code" && p.responseType != "token":
		s.redirectError(w, r, o, p, redirectTo, "", policy.LiveErrUnsupportedResponseType, policy.LiveDescUnsupportedResponse, post)
		return
	case p.challenge != "" && p.method != "S256" && !(p.method == "" && !o.rfc()):
		// Salesforce documents no code_challenge_method and takes a bare
		// challenge as S256 (jsforce and the Salesforce CLI send none); RFC
		// 7636 reads a missing method as plain, which rfc mode refuses.
		s.redirectError(w, r, o, p, redirectTo, "", policy.LiveErrInvalidRequest, "code_challenge_method must be S256 (plain is not supported)", post)
		return
	case p.challenge != "" && (len(p.challenge) < 43 || len(p.challenge) > 128):
		s.redirectError(w, r, o, p, redirectTo, "", policy.LiveErrInvalidRequest, "invalid code_challenge", post)
		return
	}
	org := orgFor(o, user, p.clientID)
	now := s.cfg.Now()
	probe := consent
	if probe == "" {
		probe = "deny"
	}
	ev := p.event(o, org, user, probe)
	res, err := s.evaluate(ctx, o, []step{{at: now, ev: ev}})
	if err != nil {
		s.internal(w, r, err)
		return
	}
	if consent == "" && res.Outcome == policy.Denied && failedRule(res) == "app.permittedUsers" && res.Error == "access_denied" {
		// The user must approve: show the approval page.
		csrf := s.newFlow(w, authorizeForm, o, p.raw)
		app := o.sc.AppByConsumerKey(p.clientID)
		scopes := app.OAuth.Scopes
		if p.hasScope {
			scopes = splitScope(p.scope)
		}
		renderPage(w, http.StatusOK, "consent", map[string]any{"Title": "Allow Access", "App": app.Name, "Username": user,
			"Scopes": scopes, "CSRF": csrf, "Action": o.path(authorizeEndpoint)})
		return
	}
	if consent == "" {
		ev.Consent = "" // no approval page was shown
	}
	s.auditAuthorize(r, o, user, p.clientID, res) // audit.go: Login History
	if res.Outcome == policy.Denied {
		s.deliverDenial(w, r, o, p, res, post)
		return
	}
	app := o.sc.AppByConsumerKey(p.clientID)
	g := store.Grant{ID: randomToken("g"), ScenarioID: o.id, ClientID: p.clientID, Org: org, User: user, App: app.Name,
		Scope: res.Issued.Scope, Interactive: true, Origin: toStoreStep(step{at: now, ev: ev}), Status: store.GrantActive, CreatedAt: now}
	if err := s.st.PutGrant(ctx, g); err != nil {
		s.internal(w, r, err)
		return
	}
	if err := s.capApprovals(ctx, o, g, now); err != nil {
		s.internal(w, r, err)
		return
	}
	q := url.Values{}
	sep := "?"
	if res.Delivery == policy.DeliverRedirectFragment {
		sep = "#"
		body, err := s.issueTokens(ctx, o, app, g, nil, res, now, "")
		if err != nil {
			s.internal(w, r, err)
			return
		}
		for k, v := range body {
			q.Set(k, stringValue(v))
		}
	} else {
		code := randomToken("aPrx")
		life := policy.LiveAuthCodeLifetime
		if o.rfc() {
			life = 10 * time.Minute
		}
		c := store.Code{Hash: hashToken(code), ScenarioID: o.id, ClientID: p.clientID, RedirectURI: p.redirectURI,
			Challenge: p.challenge, Nonce: p.nonce, Org: org, User: user, Scope: res.Issued.Scope,
			Authorize: g.Origin, GrantID: g.ID, IssuedAt: now, ExpiresAt: now.Add(life)}
		if err := s.st.PutCode(ctx, c); err != nil {
			s.internal(w, r, err)
			return
		}
		q.Set("code", code)
	}
	if p.state != "" {
		q.Set("state", p.state)
	}
	q.Set("iss", o.issuer())
	s.redirect(w, r, withParams(redirectTo, sep, q), post)
}

// capApprovals keeps five live approvals per user and app: a sixth revokes
// the oldest, as Salesforce does.
func (s *Server) capApprovals(ctx context.Context, o *liveOrg, g store.Grant, now time.Time) error {
	gs, err := s.st.ListApprovals(ctx, o.id, g.User)
	if err != nil {
		return err
	}
	var live []store.Grant
	for _, x := range gs {
		if x.Status == store.GrantActive && x.Org == g.Org && x.User == g.User && x.App == g.App {
			live = append(live, x)
		}
	}
	for i := 0; i < len(live)-5; i++ {
		if err := s.st.RevokeGrant(ctx, live[i].ID, "a sixth approval of the app by this user revoked the oldest", now); err != nil {
			return err
		}
	}
	return nil
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

func stringValue(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	}
	return ""
}
