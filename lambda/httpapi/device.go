package httpapi

import (
	"context"
	"crypto/sha256"
	"errors"
	"html/template"
	"math"
	"net/http"
	"net/url"
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
	grantDeviceCode    = "urn:ietf:params:oauth:grant-type:device_code"
	grantTokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange"
	tokenTypeAccess    = "urn:ietf:params:oauth:token-type:access_token"
	deviceCodeLifetime = 10 * time.Minute
	devicePollInterval = 5
	errAuthPending     = "authorization_pending" // RFC 8628; Salesforce's string UNCONFIRMED
	descAuthPending    = "the user has not approved or denied the device yet"
	userCodeAlphabet   = "BCDFGHJKLMNPQRSTVWXZ" // no vowels, no look-alikes (RFC 8628 §6.1)
	deviceFlowCookie   = "caplab_device"
)

// deviceGrantID is the id of the grant recording the decision on a device
// code: derived from the code's hash, so the poll reads the code and the
// decision at once (and the refresh tokens it issues name it).
func deviceGrantID(deviceHash string) string {
	sum := sha256.Sum256([]byte("device decision:" + deviceHash))
	return tokenEncoding.EncodeToString(sum[:grantIDBytes])
}

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

// deviceEvent is the engine's device event for this client (and user),
// with the scope the device asked for (nil: none sent).
func deviceEvent(o *liveOrg, clientID, user, consent string, scope *string) policy.Event {
	return policy.Event{Do: "token", Grant: "device", ClientID: clientID, Org: orgFor(o, user, clientID), User: user, Consent: consent, Scope: scope}
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
<button type="submit" class="btn btn-brand btn-block">Connect</button>
</form>
{{template "foot" .}}{{end}}
{{define "deviceconfirm"}}{{template "head" .}}
<h1>Connect a device?</h1>
<p><strong>A device is asking to connect to your account ({{.Username}}).</strong></p>
<p>Only allow it if you started this yourself on a device that shows the code <code>{{.UserCode}}</code>. If someone sent you this link, click Deny.</p>
<p><strong>{{.App}}</strong> on that device will be able to:</p>
<ul>{{range .Scopes}}<li>{{.}}</li>{{end}}</ul>
<form method="post" action="{{.Action}}" class="actions">
<input type="hidden" name="csrf" value="{{.CSRF}}">
<button type="submit" name="decision" value="deny" class="btn">Deny</button>
<button type="submit" name="decision" value="allow" class="btn btn-brand">Allow</button>
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
	rec, err := s.st.Lookup(r.Context(), store.Keys{Code: userCodeKey(code)})
	if err != nil {
		s.internal(w, r, err)
		return store.Code{}, false
	}
	if uc := rec.Code; uc != nil && uc.ScenarioID == o.id && uc.Nonce != "" && uc.UsedAt.IsZero() && store.CheckCode(*uc, s.cfg.Now()) == nil {
		return *uc, true
	}
	codeForm(w, o, http.StatusOK, "That code is invalid, expired or already used. Check the code on your device.")
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
func (s *Server) handleConnect(w http.ResponseWriter, r *http.Request, o *liveOrg) {
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
		renderPage(w, http.StatusOK, "login", withUsers(o, map[string]any{"Title": "Login", "Org": orgName, "CSRF": csrf, "Action": o.path(connectEndpoint)}))
		return
	}
	s.confirmDevice(w, r, o, uc, code, user)
}

// confirmDevice shows the confirmation page to a logged-in user, whether or
// not the engine needs their consent. Its scopes are those the engine would
// grant, else those the device asked for, else the app's.
func (s *Server) confirmDevice(w http.ResponseWriter, r *http.Request, o *liveOrg, uc store.Code, code, user string) {
	ev, res, err := s.evaluateDecision(r.Context(), o, uc, user, "allow", s.cfg.Now())
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
		"UserCode": displayUserCode(code), "Scopes": policy.ScopeLabelList(scopes), "CSRF": csrf, "Action": o.path(connectEndpoint)})
}

// handleConnectPost takes the login and confirmation forms of
// /setup/connect. Their flow cookie is only set after a successful lookup
// of the code it carries, so these lookups are not charged to the IP.
func (s *Server) handleConnectPost(w http.ResponseWriter, r *http.Request, o *liveOrg) {
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
		renderPage(w, refused.status, "login", withUsers(o, map[string]any{"Title": "Login", "Org": "the org", "CSRF": csrf, "Action": o.path(connectEndpoint),
			"Username": username, "Error": refused.message}))
		return
	}
	s.setSession(w, o, username)
	// Back to the GET, which shows the confirmation page: logging in decides nothing.
	pageHeaders(w)
	http.Redirect(w, r, o.path(connectEndpoint)+"?"+f.Query, http.StatusSeeOther)
}

// evaluateDecision evaluates the device event of the user's decision (a
// consent of allow or deny), with the scope the device asked for.
func (s *Server) evaluateDecision(ctx context.Context, o *liveOrg, uc store.Code, user, consent string, now time.Time) (policy.Event, policy.EventResult, error) {
	dev, err := fromStoreStep(uc.Authorize)
	if err != nil {
		return policy.Event{}, policy.EventResult{}, err
	}
	ev := deviceEvent(o, uc.ClientID, user, consent, dev.ev.Scope)
	res, err := s.evaluate(ctx, o, []step{{at: now, ev: ev}})
	return ev, res, err
}

// deviceDecide records the user's decision (allow or deny, posted from the
// confirmation page) for the poll: it claims the user code, so only the
// first decision counts, and evaluates the device event with that consent.
// An allow the engine grants is an interactive grant; anything else, a
// revoked one. A deny counts even when the engine needs no consent.
func (s *Server) deviceDecide(w http.ResponseWriter, r *http.Request, o *liveOrg, uc store.Code, user, decision string) {
	ctx, now := r.Context(), s.cfg.Now()
	ev, res, err := s.evaluateDecision(ctx, o, uc, user, decision, now)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	allowed := decision == "allow" && res.Outcome == policy.Granted
	write, err := s.decisionWrite(ctx, o, uc, step{at: now, ev: ev}, res, allowed)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	write.ClaimCode = uc.Hash
	if err := s.st.Commit(ctx, write); errors.Is(err, store.ErrAlreadyUsed) || missing(err) || errors.Is(err, store.ErrExists) {
		errorPage(w, http.StatusBadRequest, policy.LiveErrInvalidRequest, "this code was already used or has expired", "")
		return
	} else if err != nil {
		s.internal(w, r, err)
		return
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

// decisionWrite stores the grant the poll reads: an allowed decision is
// the user's approval (counted with their others, the oldest beyond five
// revoked); any other is revoked.
func (s *Server) decisionWrite(ctx context.Context, o *liveOrg, uc store.Code, decision step, res policy.EventResult, allowed bool) (store.Write, error) {
	now := decision.at
	app := o.sc.AppByConsumerKey(uc.ClientID)
	g := store.Grant{ID: deviceGrantID(uc.Nonce), ScenarioID: o.id, ClientID: uc.ClientID, Org: decision.ev.Org, User: decision.ev.User, App: app.Name,
		Scope: res.Issued.Scope, Interactive: allowed, Origin: toStoreStep(decision), Status: store.GrantActive, CreatedAt: now}
	w := store.Write{OrgID: o.id, Now: now, Grant: &g}
	if !allowed {
		g.Status, g.RevokedAt, g.RevokedWhy = store.GrantRevoked, now, "the device authorization was denied"
		return w, nil
	}
	var err error
	w.Revoke, err = s.capApprovals(ctx, o, g)
	return w, err
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
