package httpapi

import (
	"errors"
	"html/template"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/caplab/caplab/lambda/store"
	"github.com/caplab/caplab/policy"
)

// The device flow (Salesforce's shape, RFC 8628 names). A device
// authorization is two store.Code records: the device code's (keyed by the
// hash of the device_code, holding the initiating device event as its
// Authorize step) and the user code's (keyed by the hash of "uc:" and the
// normalized user_code, whose Nonce holds the device code's hash). At
// /setup/connect a GET only shows pages: every logged-in user confirms on a
// page naming the app, its scopes and their account (RFC 8628 §5.4), so a
// shared link never connects a device by itself. The confirmation's POST
// (CSRF-checked) claims the user code (so only the first decision counts)
// and is recorded as a grant whose id derives from the device code's hash,
// with the device event (user, consent) as its origin: an allow the engine
// grants is an interactive grant (the user's approval, like the authorize
// flow's), anything else a revoked one. Polling evaluates that origin event
// again and, when the engine grants it, claims the device code (single use).

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

// deviceGrantID is the id of the grant recording the decision on a device code.
func deviceGrantID(deviceHash string) string { return deviceDecisionGrant + deviceHash[:40] }

// normalUserCode is a user code without hyphens and spaces, upper case.
func normalUserCode(code string) string {
	return strings.ToUpper(strings.NewReplacer("-", "", " ", "").Replace(code))
}

func userCodeKey(code string) string { return hashToken("uc:" + normalUserCode(code)) }

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
		"verification_uri": t.o.issuer() + "/setup/connect",
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
		if ev.Consent == "deny" {
			// The user clicked Deny where the engine needed no consent (RFC 8628 §3.5).
			writeOAuthError(t.w, http.StatusBadRequest, policy.LiveErrAccessDenied, policy.LiveDescAccessDenied)
			return
		}
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

// Limits of the verification page.
const (
	// maxUserCodeChars bounds an entered user code before it is normalized
	// and hashed: a code is 9 characters; people add spaces.
	maxUserCodeChars = 32
)

// The verification page's extra templates. The confirmation page names the
// app, its scopes and the account, and shows the code, so a user who opened
// someone else's link sees what they are about to hand over (RFC 8628 §5.4).
var devicePages = template.Must(template.Must(pages.Clone()).Parse(`
{{define "usercode"}}{{template "head" .}}
<h1>Connect a device</h1>
{{if .Error}}<p class="err" role="alert">{{.Error}}</p>{{end}}
<form method="get" action="{{.Action}}">
<label for="user_code">Code shown on your device</label><input type="text" id="user_code" name="user_code" autocomplete="off" required>
<button type="submit">Connect</button>
</form>
{{template "foot" .}}{{end}}
{{define "deviceconfirm"}}{{template "head" .}}
<h1>Connect a device?</h1>
<p><strong>A device is asking to connect to your account ({{.Username}}).</strong></p>
<p>Only allow it if you started this yourself on a device that shows the code <code>{{.UserCode}}</code>. If someone sent you this link, click Deny.</p>
<p><strong>{{.App}}</strong> on that device will be able to:</p>
<ul>{{range .Scopes}}<li>{{.}}</li>{{end}}</ul>
<form method="post" action="{{.Action}}">
<input type="hidden" name="csrf" value="{{.CSRF}}">
<button type="submit" name="decision" value="deny">Deny</button>
<button type="submit" name="decision" value="allow">Allow</button>
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

// codeForm shows the user code form with an error.
func codeForm(w http.ResponseWriter, o *liveOrg, status int, msg string) {
	renderDevicePage(w, status, "usercode", map[string]any{"Title": "Connect a device", "Action": o.path(connectEndpoint), "Error": msg})
}

// userCode reads the user code's record; ok false means a page was shown.
func (s *Server) userCode(w http.ResponseWriter, r *http.Request, o *liveOrg, code string) (store.Code, bool) {
	if len(code) > maxUserCodeChars {
		codeForm(w, o, http.StatusOK, "That code is too long. Check the code on your device.")
		return store.Code{}, false
	}
	uc, err := s.st.GetCode(r.Context(), userCodeKey(code), s.cfg.Now())
	switch {
	case err == nil && uc.ScenarioID == o.id && uc.Nonce != "" && uc.UsedAt.IsZero():
		return uc, true
	case err == nil, errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrExpired):
		codeForm(w, o, http.StatusOK, "That code is invalid, expired or already used. Check the code on your device.")
	default:
		s.internal(w, r, err)
	}
	return store.Code{}, false
}

// lookupAllowed charges a user code lookup to the client IP (RFC 8628
// §5.1). Every fresh lookup is charged before it is made, right or wrong:
// charging only failures would either answer a throttled IP's right guess
// (telling it apart from a wrong one) or need a second lookup. A browser
// re-shown the page for the code its flow cookie was issued for is not
// charged: that cookie is only set after a successful lookup, so it reveals
// nothing. On false a 429 page was shown.
func (s *Server) lookupAllowed(w http.ResponseWriter, r *http.Request, o *liveOrg, code string) bool {
	if s.flowHasCode(r, o, code) {
		return true
	}
	ok, retry := s.limits.userCode.Allow(clientIP(r), s.cfg.Now())
	if !ok {
		secs := int(math.Ceil(retry.Seconds()))
		secs = max(secs, 1)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		codeForm(w, o, http.StatusTooManyRequests, "Too many codes were entered from your network. Try again in "+strconv.Itoa(secs)+" seconds.")
	}
	return ok
}

// flowHasCode says whether the request's verification flow cookie is valid
// and was issued for this user code.
func (s *Server) flowHasCode(r *http.Request, o *liveOrg, code string) bool {
	f, ok := s.readFlow(r, connectForm, o)
	if !ok {
		return false
	}
	q, err := url.ParseQuery(f.Query)
	return err == nil && q.Has("user_code") && userCodeKey(q.Get("user_code")) == userCodeKey(code)
}

// handleConnect is GET /setup/connect. It only ever shows a page: the user
// code form, the login form or the confirmation page. Opening a link never
// connects a device; the confirmation page's POST does.
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
		codeForm(w, o, http.StatusOK, "")
		return
	}
	if !s.lookupAllowed(w, r, o, code) {
		return
	}
	uc, ok := s.userCode(w, r, o, code)
	if !ok {
		return
	}
	raw := url.Values{"user_code": {code}}.Encode()
	user := s.session(r, o)
	if user == "" {
		csrf := s.newFlow(w, connectForm, o, raw)
		orgName := "the org"
		if org := o.sc.HomeOrg(o.sc.AppByConsumerKey(uc.ClientID)); org != nil {
			orgName = org.Name
		}
		renderPage(w, http.StatusOK, "login", map[string]any{"Title": "Login", "Org": orgName, "CSRF": csrf, "Action": o.path(connectEndpoint)})
		return
	}
	s.confirmDevice(w, r, o, uc, code, user)
}

// confirmDevice shows the confirmation page to a logged-in user, whether or
// not the engine needs their consent. Its scopes are those the engine would
// grant, else those the device asked for, else the app's.
func (s *Server) confirmDevice(w http.ResponseWriter, r *http.Request, o *liveOrg, uc store.Code, code, user string) {
	ev, err := s.deviceDecisionEvent(o, uc, user, "allow")
	if err != nil {
		s.internal(w, r, err)
		return
	}
	res, err := s.evaluate(r.Context(), o, []step{{at: s.cfg.Now(), ev: ev}})
	if err != nil {
		s.internal(w, r, err)
		return
	}
	app := o.sc.AppByConsumerKey(uc.ClientID)
	scopes := app.OAuth.Scopes
	switch {
	case res.Outcome == policy.Granted && res.Issued.Scope != "":
		scopes = splitScope(res.Issued.Scope)
	case ev.Scope != nil && strings.TrimSpace(*ev.Scope) != "":
		scopes = splitScope(*ev.Scope)
	}
	csrf := s.newFlow(w, connectForm, o, url.Values{"user_code": {code}}.Encode())
	renderDevicePage(w, http.StatusOK, "deviceconfirm", map[string]any{"Title": "Connect a device", "App": app.Name, "Username": user,
		"UserCode": displayUserCode(code), "Scopes": scopeLabels(scopes), "CSRF": csrf, "Action": o.path(connectEndpoint)})
}

// handleConnectPost takes the login and confirmation forms of
// /setup/connect. Their flow cookie is only set after a successful lookup
// of the code it carries, so these lookups are not charged to the IP.
func (s *Server) handleConnectPost(w http.ResponseWriter, r *http.Request) {
	o, ok := s.org(w, r)
	if !ok {
		return
	}
	f, ok := s.postedFlow(w, r, connectForm, o, "enter the code again")
	if !ok {
		return
	}
	fq, _ := url.ParseQuery(f.Query)
	uc, ok := s.userCode(w, r, o, fq.Get("user_code"))
	if !ok {
		return
	}
	if r.PostForm.Has("decision") {
		if user, d, ok := s.postedDecision(w, r, o); ok {
			s.deviceDecide(w, r, o, uc, user, d)
		}
		return
	}
	username := r.PostForm.Get("username")
	if refused, ok := s.checkLogin(w, r, o, username, r.PostForm.Get("password")); !ok {
		return
	} else if refused != nil {
		csrf := s.newFlow(w, connectForm, o, f.Query)
		w.Header().Set("Retry-After", refused.retryAfter)
		renderPage(w, refused.status, "login", map[string]any{"Title": "Login", "Org": "the org", "CSRF": csrf, "Action": o.path(connectEndpoint),
			"Username": username, "Error": refused.message})
		return
	}
	s.setSession(w, o, username)
	// Back to the GET, which shows the confirmation page: logging in decides nothing.
	pageHeaders(w)
	http.Redirect(w, r, o.path(connectEndpoint)+"?"+f.Query, http.StatusSeeOther)
}

// deviceDecisionEvent is the device event of the user's decision, with the
// scope the device asked for.
func (s *Server) deviceDecisionEvent(o *liveOrg, uc store.Code, user, consent string) (policy.Event, error) {
	dev, err := fromStoreStep(uc.Authorize)
	if err != nil {
		return policy.Event{}, err
	}
	ev := deviceEvent(o, uc.ClientID, user, consent, "", false)
	ev.Scope = dev.ev.Scope
	return ev, nil
}

// deviceDecide records the user's decision (allow or deny, posted from the
// confirmation page) for the poll: it claims the user code, so only the
// first decision counts, and evaluates the device event with that consent.
// An allow the engine grants is an interactive grant; anything else, a
// revoked one. A deny counts even when the engine needs no consent.
func (s *Server) deviceDecide(w http.ResponseWriter, r *http.Request, o *liveOrg, uc store.Code, user, decision string) {
	ctx := r.Context()
	now := s.cfg.Now()
	ev, err := s.deviceDecisionEvent(o, uc, user, decision)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	res, err := s.evaluate(ctx, o, []step{{at: now, ev: ev}})
	if err != nil {
		s.internal(w, r, err)
		return
	}
	if _, err := s.st.ClaimCode(ctx, uc.Hash, now); err != nil {
		if errors.Is(err, store.ErrAlreadyUsed) || errors.Is(err, store.ErrExpired) || errors.Is(err, store.ErrNotFound) {
			errorPage(w, http.StatusBadRequest, policy.LiveErrInvalidRequest, "this code was already used or has expired", "")
			return
		}
		s.internal(w, r, err)
		return
	}
	allowed := decision == "allow" && res.Outcome == policy.Granted
	app := o.sc.AppByConsumerKey(uc.ClientID)
	g := store.Grant{ID: deviceGrantID(uc.Nonce), ScenarioID: o.id, ClientID: uc.ClientID, Org: ev.Org, User: user, App: app.Name,
		Scope: res.Issued.Scope, Interactive: allowed, Origin: toStoreStep(step{at: now, ev: ev}),
		Status: store.GrantActive, CreatedAt: now}
	if !allowed {
		g.Status, g.RevokedAt, g.RevokedWhy = store.GrantRevoked, now, "the device authorization was denied"
	}
	if err := s.st.PutGrant(ctx, g); err != nil {
		s.internal(w, r, err)
		return
	}
	if allowed {
		if err := s.capApprovals(ctx, o, g, now); err != nil {
			s.internal(w, r, err)
			return
		}
	}
	switch {
	case decision == "deny":
		s.redirect(w, r, o.path(connectEndpoint)+"?done=deny", true)
	case !allowed:
		errorPage(w, res.HTTPStatus, res.Error, res.ErrorDescription, responseBody(res))
	default:
		s.redirect(w, r, o.path(connectEndpoint)+"?done=allow", true)
	}
}

// displayUserCode is an entered code as devices show it: upper case, a
// hyphen after the fourth character.
func displayUserCode(code string) string {
	c := normalUserCode(code)
	if len(c) == 8 {
		return c[:4] + "-" + c[4:]
	}
	return c
}

// scopeLabels names scopes as Setup's "Selected OAuth Scopes" list does;
// a scope it does not know is shown as is. Aliases share one line.
func scopeLabels(scopes []string) []string {
	var out []string
	for _, sc := range scopes {
		l, ok := scopeLabel[sc]
		if !ok {
			l = sc
		}
		if !slices.Contains(out, l) {
			out = append(out, l)
		}
	}
	return out
}

var scopeLabel = map[string]string{
	"api":                "Manage user data via APIs (api)",
	"web":                "Manage user data via Web browsers (web)",
	"full":               "Full access (full)",
	"refresh_token":      "Perform requests at any time (refresh_token, offline_access)",
	"offline_access":     "Perform requests at any time (refresh_token, offline_access)",
	"openid":             "Access unique user identifiers (openid)",
	"id":                 "Access the identity URL service (id, profile, email, address, phone)",
	"profile":            "Access the identity URL service (id, profile, email, address, phone)",
	"email":              "Access the identity URL service (id, profile, email, address, phone)",
	"address":            "Access the identity URL service (id, profile, email, address, phone)",
	"phone":              "Access the identity URL service (id, profile, email, address, phone)",
	"chatter_api":        "Access Connect REST API resources (chatter_api)",
	"custom_permissions": "Access custom permissions (custom_permissions)",
	"visualforce":        "Access Visualforce applications (visualforce)",
	"lightning":          "Access Lightning applications (lightning)",
	"content":            "Access content resources (content)",
	"wave_api":           "Access Analytics REST API resources (wave_api)",
	"eclair_api":         "Access Analytics REST API Charts Geodata resources (eclair_api)",
	"pardot_api":         "Access Pardot services (pardot_api)",
}
