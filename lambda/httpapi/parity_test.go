package httpapi_test

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/caplab/caplab/policy"
)

// minParityEvents is how many preset events must be compared with
// policy.Evaluate over HTTP; the test fails below it.
const minParityEvents = 60

// artefact is what an event handed out, as the live org gave it.
type artefact struct {
	skipped                  bool // the engine issued something the live test could not obtain
	code, verifier, redirect string
	clientID                 string
	access, refresh          string
	session                  bool
}

// TestPresetParity walks every preset over HTTP: each event the live org
// can express (authorize, token with the code, refresh, password, JWT
// bearer, client credentials and device grants, SOAP login(), revoke, api,
// wait) is sent to the
// live endpoints, and the answer must equal policy.Evaluate's outcome,
// error and error_description (and status or channel). Events with no HTTP
// form are skipped with a logged reason; after an admin event the rest of
// that preset is skipped, since the live org's state no longer follows.
func TestPresetParity(t *testing.T) {
	compared, skipped := 0, map[string]int{}
	for _, p := range policy.Presets() {
		t.Run(p.Name, func(t *testing.T) {
			c, sk := parityPreset(t, p.Name)
			compared += c
			for k, v := range sk {
				skipped[k] += v
			}
		})
	}
	reasons := make([]string, 0, len(skipped))
	total := 0
	for r, n := range skipped {
		reasons = append(reasons, fmt.Sprintf("%3d  %s", n, r))
		total += n
	}
	sort.Strings(reasons)
	t.Logf("compared %d events; skipped %d:\n%s", compared, total, strings.Join(reasons, "\n"))
	if compared < minParityEvents {
		t.Fatalf("compared only %d events; want at least %d", compared, minParityEvents)
	}
}

func parityPreset(t *testing.T, name string) (int, map[string]int) {
	data, _ := policy.Preset(name)
	_, cert := keys(t)
	// The engine only checks that a certificate is present; the live org
	// verifies signatures, so presets' placeholder certificates become the
	// test key's.
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if apps, ok := doc["apps"].([]any); ok {
		for _, a := range apps {
			if o, ok := a.(map[string]any)["oauth"].(map[string]any); ok && o["certificate"] != nil {
				o["certificate"] = cert
			}
		}
	}
	data, _ = json.Marshal(doc)
	sc, err := policy.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now().UTC().Truncate(time.Second)
	want := policy.Evaluate(sc, policy.Options{Now: t0, NoFixes: true})
	e := newEnv(t, envOpt{scenario: data, fixed: t0})
	key, _ := keys(t)
	wrongKey, _ := rsa.GenerateKey(rand.Reader, 2048)

	skips := map[string]int{}
	compared := 0
	arts := make([]*artefact, len(sc.Events))
	stop := ""
	browsers := map[string]*browser{} // one per user: login sessions persist
	skip := func(i int, why string) {
		skips[why]++
		t.Logf("event %d (%s %s%s): skipped: %s", i, sc.Events[i].Do, sc.Events[i].Flow, sc.Events[i].Grant, why)
		if w := want.Results[i]; w.Outcome == policy.Granted && (w.Issued.Code || w.Issued.AccessToken || w.Issued.RefreshToken || w.Issued.SessionID) {
			arts[i] = &artefact{skipped: true}
		}
	}
	// used finds the artefact an event uses: by id, else the latest that matches.
	used := func(i int, match func(a *artefact, w policy.EventResult) bool) (*artefact, bool) {
		ev := sc.Events[i]
		for j := i - 1; j >= 0; j-- {
			if ev.Use != "" {
				if sc.Events[j].ID != ev.Use {
					continue
				}
				return arts[j], arts[j] == nil || !arts[j].skipped
			}
			if arts[j] != nil && (arts[j].skipped || match(arts[j], want.Results[j])) {
				return arts[j], !arts[j].skipped
			}
		}
		return nil, true
	}
	for i, ev := range sc.Events {
		w := want.Results[i]
		if stop != "" {
			skip(i, stop)
			continue
		}
		app := appOf(sc, ev)
		if why := inexpressible(sc, ev, w); why != "" {
			skip(i, why)
			if ev.Do == "admin" {
				stop = "after an admin event the live org's state no longer follows the timeline"
			}
			continue
		}
		var got outcome
		var art *artefact
		switch {
		case ev.Do == "wait":
			d, _ := policy.ParseDuration(ev.For)
			e.clock.Advance(d)
			continue
		case ev.Do == "authorize":
			b := browsers[ev.User]
			if b == nil && ev.Immediate {
				skip(i, "immediate=true needs a browser already logged in as the user")
				continue
			}
			if b == nil {
				b = e.browser()
				browsers[ev.User] = b
			}
			got, art = liveAuthorize(t, e, b, sc, ev, app)
		case ev.Do == "token" && ev.Grant == "authorization_code":
			a, ok := used(i, func(a *artefact, _ policy.EventResult) bool { return a.code != "" })
			if !ok {
				skip(i, "it uses a code the live test could not obtain")
				continue
			}
			got, art = liveCode(t, e, ev, app, a)
		case ev.Do == "token" && ev.Grant == "refresh_token":
			a, ok := used(i, func(a *artefact, _ policy.EventResult) bool { return a.refresh != "" })
			if !ok {
				skip(i, "it uses a refresh token the live test could not obtain")
				continue
			}
			form := url.Values{"grant_type": {"refresh_token"}}
			if a != nil {
				form.Set("refresh_token", a.refresh)
			}
			clientForm(form, ev, app)
			got, art = liveToken(t, e, form)
			if art != nil && art.refresh == "" && a != nil {
				art.refresh = a.refresh // no rotation: the same refresh token stays
			}
		case ev.Do == "token" && ev.Grant == "password":
			_, u := sc.FindUser(ev.User)
			form := url.Values{"grant_type": {"password"}, "username": {ev.User}, "password": {passwordFor(u, ev)}}
			if ev.Scope != nil {
				form.Set("scope", *ev.Scope)
			}
			clientForm(form, ev, app)
			got, art = liveToken(t, e, form)
		case ev.Do == "token" && ev.Grant == "jwt_bearer":
			iss := firstNonEmptyStr(ev.ClientID, keyOf(app))
			aud := firstNonEmptyStr(ev.Aud, e.issuer)
			exp, k := e.clock.Now().Add(3*time.Minute), key
			switch ev.Assertion {
			case "badSignature":
				k = wrongKey
			case "expired":
				exp = e.clock.Now().Add(-time.Minute)
			}
			form := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {signAssertion(t, iss, ev.User, aud, exp, k)}}
			got, art = liveToken(t, e, form)
		case ev.Do == "token" && ev.Grant == "device":
			if _, u := sc.FindUser(ev.User); u == nil {
				skip(i, "nobody can log in as a user the scenario lacks")
				continue
			}
			b := browsers[ev.User]
			if b == nil {
				b = e.browser()
				browsers[ev.User] = b
			}
			got, art = liveDevice(t, e, b, sc, ev, app)
		case ev.Do == "token" && ev.Grant == "client_credentials":
			form := url.Values{"grant_type": {"client_credentials"}}
			if ev.Scope != nil {
				form.Set("scope", *ev.Scope)
			}
			clientForm(form, ev, app)
			got, art = liveToken(t, e, form)
		case ev.Do == "soapLogin":
			got, art = liveSoapLogin(t, e, sc, ev)
		case ev.Do == "revoke":
			kind := ev.Token
			a, ok := used(i, func(a *artefact, _ policy.EventResult) bool {
				if kind == "access" {
					return a.access != "" || a.session
				}
				return a.refresh != "" || (kind == "" && (a.access != "" || a.session))
			})
			if !ok || (a != nil && a.session && a.access == "") {
				skip(i, "it revokes a token or session the live test could not obtain")
				continue
			}
			tok := "unknown-token"
			if a != nil {
				tok = a.access
				if kind == "refresh" || (kind == "" && a.refresh != "") {
					tok = a.refresh
				}
				if tok == "" {
					tok = "unknown-token"
				}
			}
			st, _, m := postForm(t, e.endpoint("revoke"), url.Values{"token": {tok}}, "", "")
			got = outcome{status: st, err: str(m["error"]), desc: str(m["error_description"]), granted: st == 200, channel: policy.DeliverJSON}
		case ev.Do == "api":
			a, ok := used(i, func(a *artefact, _ policy.EventResult) bool { return a.access != "" || a.session })
			if !ok || (a != nil && a.session && a.access == "") {
				skip(i, "it uses a session the live test could not obtain")
				continue
			}
			tok := ""
			if a != nil {
				tok = a.access
			}
			st, body := getBearer(t, e.issuer+"/services/data/v62.0/query?q=SELECT+Id+FROM+Organization", tok)
			got = outcome{status: st, granted: st == 200, channel: policy.DeliverJSON}
			var errs []map[string]string
			if json.Unmarshal([]byte(body), &errs) == nil && len(errs) == 1 {
				got.err, got.desc = errs[0]["errorCode"], errs[0]["message"]
			}
		default:
			skip(i, "no HTTP form")
			continue
		}
		compared++
		if msg := got.differs(w); msg != "" {
			t.Errorf("event %d (%s %s%s): %s", i, ev.Do, ev.Flow, ev.Grant, msg)
		}
		if w.Outcome == policy.Granted && art != nil {
			arts[i] = art
		} else if w.Outcome == policy.Granted {
			arts[i] = &artefact{skipped: true}
		}
	}
	return compared, skips
}

// inexpressible says why an event has no faithful HTTP form, or "".
func inexpressible(sc *policy.Scenario, ev policy.Event, w policy.EventResult) string {
	switch ev.Do {
	case "admin":
		return "admin actions have no HTTP form"
	case "outboundMessage", "visualforceSession":
		return ev.Do + " has no HTTP form on the live org"
	case "soapLogin", "token":
		if (ev.Do == "soapLogin" || ev.Grant == "password") && hasLoginIPRanges(sc, ev.User) {
			return "a password login from 127.0.0.1 meets the profile's login IP ranges, which the event's fromIp decides"
		}
		if ev.LockedOut {
			return "lockedOut stands for wrong passwords before the timeline, which the live org's store has not seen"
		}
		if _, u := sc.FindUser(ev.User); u != nil && u.SecurityToken == "" && ev.SecurityToken == "missing" {
			return "a missing security token of a user without one has no HTTP form"
		}
	}
	if ev.Grant == "saml_bearer" && ev.Assertion != "badSignature" {
		return "the live org verifies no XML signature, so it answers every SAML bearer assertion as one whose signature does not verify"
	}
	if ev.Do == "token" && ev.Grant == "token_exchange" {
		return "token exchange needs a subject access token of the event's user, which the parity harness does not mint"
	}
	if ev.Host != "" && ev.Host != "myDomain" {
		return "the live org is the org's My Domain; host " + ev.Host + " has no HTTP form"
	}
	if ev.Do == "token" && ev.Grant == "client_credentials" && ev.Host == "" {
		return "client credentials to login.salesforce.com: the live org is the org's My Domain"
	}
	for _, st := range w.Trace {
		if st.Rule == "host.login" && st.Outcome == policy.StepFail {
			return "the login host matters here; the live org is the org's My Domain"
		}
	}
	if ev.LoginAs {
		return "\"Login As\" has no HTTP form"
	}
	if ev.FromIP != "" {
		for _, st := range w.Trace {
			if (st.Rule == "user.loginIpRanges" && st.Outcome != policy.StepSkip) || (st.Rule == "user.credentials" && strings.Contains(st.Because, "IP ranges")) {
				return "the source address (fromIp) has no HTTP form on loopback"
			}
		}
	}
	if ev.CodeChallengeMethod == "plain" {
		return "the live org accepts S256 challenges only"
	}
	if ev.Do == "authorize" {
		if _, u := sc.FindUser(ev.User); u == nil {
			return "nobody can log in as a user the scenario lacks"
		}
	}
	if ev.Do == "token" && ev.Grant == "password" && ev.SecurityToken == "missing" {
		if _, u := sc.FindUser(ev.User); u != nil && u.SecurityToken == "" {
			return "a missing security token of a user without one has no HTTP form"
		}
	}
	return ""
}

// outcome is a live answer reduced to what policy.Evaluate predicts.
type outcome struct {
	granted   bool
	status    int
	err, desc string
	channel   string
	body      string
}

func (o outcome) differs(w policy.EventResult) string {
	got := fmt.Sprintf("%v %s %q via %s", o.granted, o.err, o.desc, o.channel)
	exp := fmt.Sprintf("%v %s %q via %s", w.Outcome == policy.Granted, w.Error, w.ErrorDescription, w.Delivery)
	if o.channel == policy.DeliverErrorPage && w.Delivery == policy.DeliverErrorPage {
		if !strings.Contains(o.body, w.Error) || !strings.Contains(o.body, w.ErrorDescription) || o.status != w.HTTPStatus {
			return fmt.Sprintf("live error page %d does not show %s %q (status %d):\n%s", o.status, w.Error, w.ErrorDescription, w.HTTPStatus, o.body)
		}
		return ""
	}
	if got != exp {
		return "live " + got + ", engine " + exp
	}
	if (w.Delivery == policy.DeliverJSON || w.Delivery == policy.DeliverSoapFault) && o.status != w.HTTPStatus {
		return fmt.Sprintf("live status %d, engine %d", o.status, w.HTTPStatus)
	}
	return ""
}

func appOf(sc *policy.Scenario, ev policy.Event) *policy.App {
	if ev.ClientID != "" {
		if a := sc.AppByConsumerKey(ev.ClientID); a != nil {
			return a
		}
	}
	return sc.AppNamed(ev.App)
}

func keyOf(app *policy.App) string {
	if app == nil {
		return "unknown-client"
	}
	return app.ConsumerKey()
}

func secretOf(app *policy.App) string {
	if app == nil || app.OAuth.ConsumerSecret == "" {
		return "correct"
	}
	return app.OAuth.ConsumerSecret
}

// clientForm adds client_id and the client_secret the event describes.
func clientForm(form url.Values, ev policy.Event, app *policy.App) {
	form.Set("client_id", firstNonEmptyStr(ev.ClientID, keyOf(app)))
	switch ev.ClientSecret {
	case "", "correct":
		form.Set("client_secret", secretOf(app))
	case "wrong":
		form.Set("client_secret", "not-the-secret")
	case "missing":
	default:
		form.Set("client_secret", ev.ClientSecret)
	}
}

func passwordFor(u *policy.User, ev policy.Event) string {
	pw, tok := "password", ""
	if u != nil {
		pw = firstNonEmptyStr(u.Password, "password")
		tok = u.SecurityToken
	}
	switch ev.Password {
	case "", "correct":
	case "wrong":
		pw = "not-the-password"
	case "missing":
		return ""
	default:
		pw = ev.Password
	}
	switch ev.SecurityToken {
	case "", "correct":
	case "wrong":
		tok = "NOTTHETOKEN"
	case "missing":
		tok = ""
	default:
		tok = ev.SecurityToken
	}
	return pw + tok
}

func liveAuthorize(t *testing.T, e *env, b *browser, sc *policy.Scenario, ev policy.Event, app *policy.App) (outcome, *artefact) {
	q := url.Values{"response_type": {"code"}, "client_id": {firstNonEmptyStr(ev.ClientID, keyOf(app))}}
	if ev.Flow == "userAgent" {
		q.Set("response_type", "token")
	}
	redirect := ""
	if ev.RedirectURI != nil {
		redirect = *ev.RedirectURI
	} else if app != nil && len(app.OAuth.CallbackURLs) > 0 {
		redirect = app.OAuth.CallbackURLs[0]
	}
	q.Set("redirect_uri", redirect)
	if ev.Scope != nil {
		q.Set("scope", *ev.Scope)
	}
	if ev.State != "" {
		q.Set("state", ev.State)
	}
	if ev.Immediate {
		q.Set("immediate", "true")
	}
	art := &artefact{redirect: redirect, clientID: q.Get("client_id")}
	if ev.PKCE != nil && *ev.PKCE {
		art.verifier = oauth2.GenerateVerifier()
		q.Set("code_challenge", oauth2.S256ChallengeFromVerifier(art.verifier))
		q.Set("code_challenge_method", "S256")
	}
	_, u := sc.FindUser(ev.User)
	decision := "allow"
	if ev.Consent == "deny" {
		decision = "deny"
	}
	p := b.authorize(e.endpoint("authorize")+"?"+q.Encode(), u.Username, firstNonEmptyStr(u.Password, "password"), decision)
	if p.location == "" {
		return outcome{status: p.status, channel: policy.DeliverErrorPage, body: html.UnescapeString(p.body)}, nil
	}
	lu, err := url.Parse(p.location)
	if err != nil {
		t.Fatal(err)
	}
	o := outcome{status: p.status, channel: policy.DeliverRedirect}
	params := lu.Query()
	if lu.Fragment != "" {
		o.channel = policy.DeliverRedirectFragment
		params, _ = url.ParseQuery(lu.Fragment)
	}
	if params.Get("iss") != e.issuer || params.Get("state") != ev.State {
		t.Errorf("redirect %s: iss or state missing", p.location)
	}
	o.err, o.desc = params.Get("error"), params.Get("error_description")
	o.granted = o.err == ""
	art.code, art.access, art.refresh = params.Get("code"), params.Get("access_token"), params.Get("refresh_token")
	return o, art
}

func liveCode(t *testing.T, e *env, ev policy.Event, app *policy.App, a *artefact) (outcome, *artefact) {
	form := url.Values{"grant_type": {"authorization_code"}, "code": {"no-such-code"}}
	if a != nil {
		form.Set("code", a.code)
		form.Set("redirect_uri", a.redirect)
		if app == nil || ev.ClientID == "" {
			app = nil
			form.Set("client_id", a.clientID)
		}
		switch ev.CodeVerifier {
		case "", "correct":
			if a.verifier != "" {
				form.Set("code_verifier", a.verifier)
			}
		case "wrong":
			form.Set("code_verifier", oauth2.GenerateVerifier())
		case "missing":
		default:
			form.Set("code_verifier", ev.CodeVerifier)
		}
	}
	if ev.RedirectURI != nil {
		form.Set("redirect_uri", *ev.RedirectURI)
	}
	if app == nil && a != nil {
		app = e.appByKey(a.clientID)
	}
	clientForm(form, ev, app)
	if ev.ClientID == "" && a != nil {
		form.Set("client_id", a.clientID)
	}
	return liveToken(t, e, form)
}

func (e *env) appByKey(key string) *policy.App {
	st, body := getBearer(e.t.(*testing.T), e.base+"/api/scenarios/"+e.id, "")
	if st != 200 {
		return nil
	}
	sc, err := policy.Decode([]byte(body))
	if err != nil {
		return nil
	}
	return sc.AppByConsumerKey(key)
}

func liveToken(t *testing.T, e *env, form url.Values) (outcome, *artefact) {
	st, h, m := postForm(t, e.endpoint("token"), form, "", "")
	if h.Get("Cache-Control") != "no-store" {
		t.Errorf("token response without no-store")
	}
	o := outcome{status: st, granted: st == http.StatusOK, err: str(m["error"]), desc: str(m["error_description"]), channel: policy.DeliverJSON}
	if !o.granted {
		return o, nil
	}
	return o, &artefact{access: str(m["access_token"]), refresh: str(m["refresh_token"])}
}

func str(v any) string { s, _ := v.(string); return s }

func firstNonEmptyStr(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}

// liveDevice runs the device flow: device code, the user's login and
// decision at /setup/connect, then one poll. An error page at /setup/connect
// is the engine's errorPage channel.
func liveDevice(t *testing.T, e *env, b *browser, sc *policy.Scenario, ev policy.Event, app *policy.App) (outcome, *artefact) {
	cid := firstNonEmptyStr(ev.ClientID, keyOf(app))
	start := url.Values{"response_type": {"device_code"}, "client_id": {cid}}
	if ev.Scope != nil {
		start.Set("scope", *ev.Scope)
	}
	st, _, m := postForm(t, e.endpoint("token"), start, "", "")
	if st != http.StatusOK {
		return outcome{status: st, err: str(m["error"]), desc: str(m["error_description"]), channel: policy.DeliverJSON}, nil
	}
	_, u := sc.FindUser(ev.User)
	decision := "allow"
	if ev.Consent == "deny" {
		decision = "deny"
	}
	p := b.authorize(e.issuer+"/setup/connect?user_code="+url.QueryEscape(str(m["user_code"])), u.Username, firstNonEmptyStr(u.Password, "password"), decision)
	if !strings.Contains(p.body, "Device connected") && !strings.Contains(p.body, "Access denied") {
		return outcome{status: p.status, channel: policy.DeliverErrorPage, body: html.UnescapeString(p.body)}, nil
	}
	return liveToken(t, e, url.Values{"grant_type": {"device"}, "code": {str(m["device_code"])}, "client_id": {cid}})
}

// hasLoginIPRanges says whether the user's profile restricts login IPs.
func hasLoginIPRanges(sc *policy.Scenario, username string) bool {
	org, u := sc.FindUser(username)
	if u == nil {
		return false
	}
	for _, p := range org.Profiles {
		if p.Name == u.Profile && len(p.LoginIPRanges) > 0 {
			return true
		}
	}
	return false
}

// liveSoapLogin calls login() as jsforce does, at the event's API version
// (64.0 when it names none); a session ID is the artefact.
func liveSoapLogin(t *testing.T, e *env, sc *policy.Scenario, ev policy.Event) (outcome, *artefact) {
	_, u := sc.FindUser(ev.User)
	r := e.soap(t, "u", firstNonEmptyStr(ev.APIVersion, "64.0"), jsforceLogin(ev.User, passwordFor(u, ev)))
	if res := r.env.Body.Login; r.status == http.StatusOK && res != nil {
		return outcome{status: r.status, granted: true, channel: policy.DeliverSession}, &artefact{access: res.SessionID, session: true}
	}
	o := outcome{status: r.status, channel: policy.DeliverSoapFault}
	if f := r.env.Body.Fault; f != nil && f.Detail != nil {
		o.err, o.desc = f.Detail.Fault.Code, f.Detail.Fault.Message
	}
	return o, nil
}
