package httpapi

import (
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/caplab/caplab/lambda/store"
	"github.com/caplab/caplab/policy"
)

// The device flow (Salesforce's shape, RFC 8628 names). A device
// authorization is two store.Code records: the device code's (keyed by the
// hash of the device_code, holding the initiating device event as its
// Authorize step) and the user code's (keyed by the hash of "uc:" and the
// normalized user_code, whose Nonce holds the device code's hash). The
// user's decision at /setup/connect claims the user code (so only the first
// decision counts) and is recorded as a grant whose id derives from the
// device code's hash, with the device event (user, consent) as its origin:
// an allow is an interactive grant (the user's approval, like the authorize
// flow's), a deny a revoked one. Polling evaluates that origin event again
// and, when the engine grants it, claims the device code (single use).

const (
	grantDeviceCode     = "urn:ietf:params:oauth:grant-type:device_code"
	grantTokenExchange  = "urn:ietf:params:oauth:grant-type:token-exchange"
	tokenTypeAccess     = "urn:ietf:params:oauth:token-type:access_token"
	deviceCodeLifetime  = 10 * time.Minute
	devicePollInterval  = 5
	errAuthPending      = "authorization_pending" // RFC 8628; Salesforce's string UNCONFIRMED
	descAuthPending     = "the user has not approved or denied the device yet"
	userCodeAlphabet    = "BCDFGHJKLMNPQRSTVWXZ" // no vowels, no look-alikes (RFC 8628 §6.1)
	deviceFlowCookie    = "caplab_device"
	deviceDecisionGrant = "gdev"
)

func connectPath(id string) string { return "/o/" + id + "/setup/connect" }

// deviceGrantID is the id of the grant recording the decision on a device code.
func deviceGrantID(deviceHash string) string { return deviceDecisionGrant + deviceHash[:40] }

func userCodeKey(code string) string {
	c := strings.ToUpper(strings.NewReplacer("-", "", " ", "").Replace(code))
	return hashToken("uc:" + c)
}

func newUserCode() string {
	b := randomBytes(8)
	out := make([]byte, 0, 9)
	for i, x := range b {
		if i == 4 {
			out = append(out, '-')
		}
		out = append(out, userCodeAlphabet[int(x)%len(userCodeAlphabet)])
	}
	return string(out)
}

// deviceEvent is the engine's device event for this client (and user).
func deviceEvent(o *liveOrg, clientID, user, consent, scope string, hasScope bool) policy.Event {
	ev := policy.Event{Do: "token", Grant: "device", ClientID: clientID, Org: orgFor(o, user, clientID), User: user, Consent: consent}
	if hasScope {
		ev.Scope = &scope
	}
	return ev
}

// deviceAuthorize is POST /token with response_type=device_code: the
// engine's device event is evaluated up to the app's checks (client known,
// Enable for Device Flow), whose denial is the answer.
func (s *Server) deviceAuthorize(t *tokenRequest) {
	ctx := t.r.Context()
	cid := t.c.clientID()
	ev := deviceEvent(t.o, cid, "", "", t.get("scope"), t.has("scope"))
	res, err := s.evaluate(ctx, t.o, []step{{at: t.now, ev: ev}})
	if err != nil {
		s.internal(t.w, t.r, err)
		return
	}
	if res.Outcome != policy.Granted && !hasStep(res, "app.deviceFlow", policy.StepPass) {
		s.deny(t, res)
		return
	}
	device := randomToken("dv")
	user := newUserCode()
	dh := hashToken(device)
	exp := t.now.Add(deviceCodeLifetime)
	dc := store.Code{Hash: dh, ScenarioID: t.o.id, ClientID: cid, RedirectURI: "device", Org: ev.Org, Scope: t.get("scope"),
		Authorize: toStoreStep(step{at: t.now, ev: ev}), IssuedAt: t.now, ExpiresAt: exp}
	uc := dc
	uc.Hash, uc.Nonce = userCodeKey(user), dh
	if err := s.st.PutCode(ctx, dc); err != nil {
		s.internal(t.w, t.r, err)
		return
	}
	if err := s.st.PutCode(ctx, uc); err != nil {
		s.internal(t.w, t.r, err)
		return
	}
	writeJSON(t.w, http.StatusOK, map[string]any{
		"device_code":      device,
		"user_code":        user,
		"verification_uri": s.issuer(t.o.id) + "/setup/connect",
		"interval":         devicePollInterval,
	})
}

// tokenDevice is the device grant's poll.
func (s *Server) tokenDevice(t *tokenRequest) {
	ctx := t.r.Context()
	code := t.get("code")
	if t.get("grant_type") == grantDeviceCode || code == "" {
		code = firstNonEmpty(t.get("device_code"), code)
	}
	cid := t.c.clientID()
	hash := hashToken(code)
	rec, err := s.st.GetCode(ctx, hash, t.now)
	switch {
	case err == nil, errors.Is(err, store.ErrExpired):
	case errors.Is(err, store.ErrNotFound):
	default:
		s.internal(t.w, t.r, err)
		return
	}
	if code == "" || errors.Is(err, store.ErrNotFound) || rec.ScenarioID != t.o.id || rec.RedirectURI != "device" || rec.Nonce != "" {
		// No such device code: the engine's app checks first, then invalid_grant.
		res, err := s.evaluate(ctx, t.o, []step{{at: t.now, ev: deviceEvent(t.o, cid, "", "", "", false)}})
		if err != nil {
			s.internal(t.w, t.r, err)
			return
		}
		if res.Outcome != policy.Granted && !hasStep(res, "app.deviceFlow", policy.StepPass) {
			s.deny(t, res)
			return
		}
		writeOAuthError(t.w, http.StatusBadRequest, policy.LiveErrInvalidGrant, policy.LiveDescInvalidCode)
		return
	}
	if rec.ClientID != cid {
		writeOAuthError(t.w, http.StatusBadRequest, policy.LiveErrInvalidGrant, policy.LiveDescInvalidCode)
		return
	}
	if errors.Is(err, store.ErrExpired) {
		writeOAuthError(t.w, http.StatusBadRequest, policy.LiveErrInvalidGrant, policy.LiveDescExpiredCode)
		return
	}
	g, gerr := s.st.GetGrant(ctx, deviceGrantID(hash))
	if errors.Is(gerr, store.ErrNotFound) {
		writeOAuthError(t.w, http.StatusBadRequest, errAuthPending, descAuthPending)
		return
	}
	if gerr != nil {
		s.internal(t.w, t.r, gerr)
		return
	}
	if !rec.UsedAt.IsZero() {
		// A replayed device code revokes its grant, as a replayed code does.
		if err := s.st.RevokeGrant(ctx, g.ID, "its device code was replayed", t.now); err != nil && !errors.Is(err, store.ErrNotFound) {
			s.internal(t.w, t.r, err)
			return
		}
		writeOAuthError(t.w, http.StatusBadRequest, policy.LiveErrInvalidGrant, policy.LiveDescInvalidCode)
		return
	}
	origin, err := fromStoreStep(g.Origin)
	if err != nil {
		s.internal(t.w, t.r, err)
		return
	}
	ev := origin.ev
	res, ok := s.granted(t, ev)
	if !ok {
		return
	}
	if g.Status != store.GrantActive {
		writeOAuthError(t.w, http.StatusBadRequest, policy.LiveErrInvalidGrant, policy.LiveDescInvalidCode)
		return
	}
	if !s.claimCode(t, hash, g.ID, "its device code was replayed") {
		return
	}
	app := t.o.sc.AppByConsumerKey(cid)
	body, err := s.issueTokens(ctx, t.o, app, g, nil, res, t.now, "")
	if err != nil {
		s.internal(t.w, t.r, err)
		return
	}
	writeJSON(t.w, http.StatusOK, body)
}

// tokenExchange exchanges an access token issued by this live org (the
// subject) for a new access token of the same user, as the engine's
// token_exchange event decides.
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
	tok, err := s.st.GetToken(ctx, hashToken(subject), t.now)
	switch {
	case err == nil:
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrExpired), errors.Is(err, store.ErrRevoked):
		writeOAuthError(t.w, http.StatusBadRequest, policy.LiveErrInvalidGrant, "invalid subject token")
		return
	default:
		s.internal(t.w, t.r, err)
		return
	}
	if tok.Kind != store.KindAccess || tok.ScenarioID != t.o.id {
		writeOAuthError(t.w, http.StatusBadRequest, policy.LiveErrInvalidGrant, "invalid subject token")
		return
	}
	g, err := s.st.GetGrant(ctx, tok.GrantID)
	if err != nil {
		s.internal(t.w, t.r, err)
		return
	}
	app := t.o.sc.AppByConsumerKey(t.c.id)
	ev := policy.Event{Do: "token", Grant: "token_exchange", Org: g.Org, User: g.User, ClientID: t.c.clientID(), ClientSecret: secretState(app, t.c)}
	res, ok := s.granted(t, ev)
	if !ok {
		return
	}
	ng := store.Grant{ID: randomToken("g"), ScenarioID: t.o.id, ClientID: ev.ClientID, Org: g.Org, User: g.User, App: app.Name,
		Scope: res.Issued.Scope, Origin: toStoreStep(step{at: t.now, ev: ev}), Status: store.GrantActive, CreatedAt: t.now}
	if err := s.st.PutGrant(ctx, ng); err != nil {
		s.internal(t.w, t.r, err)
		return
	}
	body, err := s.issueTokens(ctx, t.o, app, ng, nil, res, t.now, "")
	if err != nil {
		s.internal(t.w, t.r, err)
		return
	}
	body["issued_token_type"] = tokenTypeAccess // RFC 8693 §2.2.1
	writeJSON(t.w, http.StatusOK, body)
}

// The verification page's extra templates.
var devicePages = template.Must(template.Must(pages.Clone()).Parse(`
{{define "usercode"}}{{template "head" .}}
<h1>Connect a device</h1>
{{if .Error}}<p class="err" role="alert">{{.Error}}</p>{{end}}
<form method="get" action="{{.Action}}">
<label for="user_code">Code shown on your device</label><input type="text" id="user_code" name="user_code" autocomplete="off" required>
<button type="submit">Connect</button>
</form>
{{template "foot" .}}{{end}}
{{define "devicedone"}}{{template "head" .}}
<h1>{{.Title}}</h1>
<p>{{.Message}}</p>
{{template "foot" .}}{{end}}
`))

func renderDevicePage(w http.ResponseWriter, status int, name string, data map[string]any) {
	pageHeaders(w)
	w.Header().Set("Content-Type", "text/html;charset=UTF-8")
	w.WriteHeader(status)
	_ = devicePages.ExecuteTemplate(w, name, data)
}

// userCode reads the user code's record and its device code's; ok false
// means an error page was shown.
func (s *Server) userCode(w http.ResponseWriter, r *http.Request, o *liveOrg, code string) (store.Code, bool) {
	uc, err := s.st.GetCode(r.Context(), userCodeKey(code), s.cfg.Now())
	switch {
	case err == nil && uc.ScenarioID == o.id && uc.Nonce != "" && uc.UsedAt.IsZero():
		return uc, true
	case err == nil, errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrExpired):
		renderDevicePage(w, http.StatusOK, "usercode", map[string]any{"Title": "Connect a device", "Action": connectPath(o.id),
			"Error": "That code is invalid, expired or already used. Check the code on your device."})
	default:
		s.internal(w, r, err)
	}
	return store.Code{}, false
}

// handleConnect is GET /setup/connect: the user code form, the login form,
// then the approval form.
func (s *Server) handleConnect(w http.ResponseWriter, r *http.Request) {
	o, ok := s.org(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	switch q.Get("done") {
	case "allow":
		renderDevicePage(w, http.StatusOK, "devicedone", map[string]any{"Title": "Device connected", "Message": "You can return to your device."})
		return
	case "deny":
		renderDevicePage(w, http.StatusOK, "devicedone", map[string]any{"Title": "Access denied", "Message": "The device was not connected."})
		return
	}
	code := q.Get("user_code")
	if code == "" {
		renderDevicePage(w, http.StatusOK, "usercode", map[string]any{"Title": "Connect a device", "Action": connectPath(o.id)})
		return
	}
	uc, ok := s.userCode(w, r, o, code)
	if !ok {
		return
	}
	raw := url.Values{"user_code": {code}}.Encode()
	user := s.session(r, o.id)
	if user == "" {
		csrf := s.newFlow(w, connectForm, o.id, raw)
		orgName := "the org"
		if org := o.sc.HomeOrg(o.sc.AppByConsumerKey(uc.ClientID)); org != nil {
			orgName = org.Name
		}
		renderPage(w, http.StatusOK, "login", map[string]any{"Title": "Login", "Org": orgName, "CSRF": csrf, "Action": connectPath(o.id)})
		return
	}
	s.deviceDecide(w, r, o, uc, raw, user, "", false)
}

// handleConnectPost takes the login and approval forms of /setup/connect.
func (s *Server) handleConnectPost(w http.ResponseWriter, r *http.Request) {
	o, ok := s.org(w, r)
	if !ok {
		return
	}
	f, ok := s.postedFlow(w, r, connectForm, o.id, "enter the code again")
	if !ok {
		return
	}
	fq, _ := url.ParseQuery(f.Query)
	uc, ok := s.userCode(w, r, o, fq.Get("user_code"))
	if !ok {
		return
	}
	if r.PostForm.Has("decision") {
		if user, d, ok := s.postedDecision(w, r, o.id); ok {
			s.deviceDecide(w, r, o, uc, f.Query, user, d, true)
		}
		return
	}
	username := r.PostForm.Get("username")
	if !s.checkLogin(o, username, r.PostForm.Get("password")) {
		csrf := s.newFlow(w, connectForm, o.id, f.Query)
		renderPage(w, http.StatusOK, "login", map[string]any{"Title": "Login", "Org": "the org", "CSRF": csrf, "Action": connectPath(o.id),
			"Username": username, "Error": policy.LiveDescLoginFailed})
		return
	}
	s.setSession(w, o.id, username)
	pageHeaders(w)
	http.Redirect(w, r, connectPath(o.id)+"?"+f.Query, http.StatusSeeOther)
}

// deviceDecide evaluates the device event for the logged-in user: the
// approval page when consent is needed, else the decision (the user's, or
// none when the engine needs no consent) is recorded for the poll.
func (s *Server) deviceDecide(w http.ResponseWriter, r *http.Request, o *liveOrg, uc store.Code, raw, user, consent string, post bool) {
	ctx := r.Context()
	now := s.cfg.Now()
	dev, err := fromStoreStep(uc.Authorize)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	probe := firstNonEmpty(consent, "deny")
	ev := deviceEvent(o, uc.ClientID, user, probe, "", false)
	ev.Scope = dev.ev.Scope
	res, err := s.evaluate(ctx, o, []step{{at: now, ev: ev}})
	if err != nil {
		s.internal(w, r, err)
		return
	}
	app := o.sc.AppByConsumerKey(uc.ClientID)
	if consent == "" && res.Outcome == policy.Denied && failedRule(res) == "app.permittedUsers" && res.Error == "access_denied" {
		csrf := s.newFlow(w, connectForm, o.id, raw)
		scopes := app.OAuth.Scopes
		if ev.Scope != nil {
			scopes = splitScope(*ev.Scope)
		}
		renderPage(w, http.StatusOK, "consent", map[string]any{"Title": "Allow Access", "App": app.Name, "Username": user,
			"Scopes": scopes, "CSRF": csrf, "Action": connectPath(o.id)})
		return
	}
	ev.Consent = consent
	if _, err := s.st.ClaimCode(ctx, uc.Hash, now); err != nil {
		if errors.Is(err, store.ErrAlreadyUsed) || errors.Is(err, store.ErrExpired) || errors.Is(err, store.ErrNotFound) {
			errorPage(w, http.StatusBadRequest, policy.LiveErrInvalidRequest, "this code was already used or has expired", "")
			return
		}
		s.internal(w, r, err)
		return
	}
	g := store.Grant{ID: deviceGrantID(uc.Nonce), ScenarioID: o.id, ClientID: uc.ClientID, Org: ev.Org, User: user, App: app.Name,
		Scope: res.Issued.Scope, Interactive: res.Outcome == policy.Granted, Origin: toStoreStep(step{at: now, ev: ev}),
		Status: store.GrantActive, CreatedAt: now}
	if res.Outcome != policy.Granted {
		g.Status, g.RevokedAt, g.RevokedWhy = store.GrantRevoked, now, "the device authorization was denied"
	}
	if err := s.st.PutGrant(ctx, g); err != nil {
		s.internal(w, r, err)
		return
	}
	if g.Interactive {
		if err := s.capApprovals(ctx, o, g, now); err != nil {
			s.internal(w, r, err)
			return
		}
	}
	if res.Outcome != policy.Granted {
		if consent == "deny" {
			s.redirect(w, r, connectPath(o.id)+"?done=deny", post)
			return
		}
		errorPage(w, res.HTTPStatus, res.Error, res.ErrorDescription, responseBody(res))
		return
	}
	s.redirect(w, r, connectPath(o.id)+"?done=allow", post)
}
