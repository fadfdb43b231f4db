package policy

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
)

// Names and literals of the base scenario. Credentials are literals so that
// events can send the old value after a password reset, or a wrong one.
const (
	tNow      = "2026-03-01T09:00:00Z"
	tOrg      = "Acme"
	tUser     = "ana@acme.test"
	tApp      = "Acme Sync"
	tCallback = "https://app.acme.test/cb"
	tKey      = "acmeSyncConsumerKey"
	tSecret   = "acmeSyncConsumerSecret"
	tPassword = "ana-password-1"
	tToken    = "anaSecurityToken1"
	tProfile  = "Standard User"
	tCert     = "-----BEGIN CERTIFICATE-----\nMIIBtest\n-----END CERTIFICATE-----"
	tInside   = "198.51.100.7" // inside tRange
	tOutside  = "203.0.113.9"
)

var tRange = IPRange{Start: "198.51.100.0", End: "198.51.100.255"}

func ptr[T any](v T) *T { return &v }

// baseScenario is one production org "Acme" (created 2024-02-01, My Domain
// acme) with a profile that has API Enabled, the user ana@acme.test, and
// one org-owned connected app "Acme Sync" (callback tCallback, scopes api
// refresh_token); the clock starts at 2026-03-01T09:00:00Z. No events.
func baseScenario() *Scenario {
	return &Scenario{
		SchemaVersion: 1,
		Title:         "caplab test",
		Now:           tNow,
		Orgs: []Org{{
			Name: tOrg, Type: "production", MyDomain: "acme", CreatedAt: "2024-02-01",
			Profiles: []Profile{{Name: tProfile, Permissions: []string{"apiEnabled"}}},
			Users:    []User{{Username: tUser, Profile: tProfile, Password: tPassword, SecurityToken: tToken}},
		}},
		Apps: []App{{
			Name: tApp, OwnerOrg: tOrg,
			OAuth: OAuthConfig{ConsumerKey: tKey, ConsumerSecret: tSecret,
				CallbackURLs: []string{tCallback}, Scopes: []string{"api", "refresh_token"}},
		}},
	}
}

// sopt changes a scenario under construction.
type sopt func(*Scenario)

// scen builds the base scenario, applies the options in order and appends
// the events.
func scen(events []Event, opts ...sopt) *Scenario {
	s := baseScenario()
	for _, o := range opts {
		o(s)
	}
	s.Events = append(s.Events, events...)
	return s
}

// evs is shorthand for an event list.
func evs(e ...Event) []Event { return e }

// Options on the first org, app and user, the clock and the org's profile.
func withOrg(f func(o *Org)) sopt   { return func(s *Scenario) { f(&s.Orgs[0]) } }
func withApp(f func(a *App)) sopt   { return func(s *Scenario) { f(&s.Apps[0]) } }
func withUser(f func(u *User)) sopt { return func(s *Scenario) { f(&s.Orgs[0].Users[0]) } }
func withProfile(f func(p *Profile)) sopt {
	return func(s *Scenario) { f(&s.Orgs[0].Profiles[0]) }
}
func at(now string) sopt       { return func(s *Scenario) { s.Now = now } }
func created(date string) sopt { return withOrg(func(o *Org) { o.CreatedAt = date }) }
func perms(p ...string) sopt {
	return withProfile(func(pr *Profile) { pr.Permissions = append(pr.Permissions, p...) })
}
func ipRanges(r ...IPRange) sopt { return withProfile(func(p *Profile) { p.LoginIPRanges = r }) }
func scopes(sc ...string) sopt   { return withApp(func(a *App) { a.OAuth.Scopes = sc }) }
func policies(p Policies) sopt   { return withApp(func(a *App) { a.Policies = p }) }
func approved() sopt             { return withUser(func(u *User) { u.ApprovedApps = []string{tApp} }) }
func certificate() sopt          { return withApp(func(a *App) { a.OAuth.Certificate = tCert }) }
func allowPassword() sopt {
	return withOrg(func(o *Org) { o.Settings.AllowUsernamePasswordFlows = ptr(true) })
}
func allowUserAgent() sopt {
	return withOrg(func(o *Org) { o.Settings.AllowUserAgentFlows = ptr(true) })
}
func sandbox() sopt       { return withOrg(func(o *Org) { o.Type = "sandbox" }) }
func eca() sopt           { return withApp(func(a *App) { a.Kind = "externalClientApp" }) }
func adminApproved() sopt { return policies(Policies{PermittedUsers: "adminApproved"}) }
func onProfile() sopt     { return withProfile(func(p *Profile) { p.ConnectedApps = []string{tApp} }) }

// foreignApp makes the app one defined in another org (an ISV's), so it is
// not installed in Acme.
func foreignApp() sopt { return withApp(func(a *App) { a.OwnerOrg = "Acme ISV" }) }

// installed records the app as installed in Acme with the given policies.
func installed(p Policies) sopt {
	return withOrg(func(o *Org) { o.InstalledApps = append(o.InstalledApps, InstalledApp{App: tApp, Policies: p}) })
}

// clientCreds enables the client credentials flow running as ana.
func clientCreds() sopt {
	return withApp(func(a *App) { a.OAuth.ClientCredentials = ClientCredentials{Enabled: true, RunAs: tUser} })
}

// addUser adds a second user with their own profile.
func addUser(username string, profilePerms ...string) sopt {
	return func(s *Scenario) {
		o := &s.Orgs[0]
		prof := "Profile of " + username
		o.Profiles = append(o.Profiles, Profile{Name: prof, Permissions: profilePerms})
		o.Users = append(o.Users, User{Username: username, Profile: prof, Password: "pw-" + username, SecurityToken: "tok-" + username})
	}
}

// addPermSet adds a permission set, optionally assigned to ana.
func addPermSet(name string, assign bool, apps []string, ps ...string) sopt {
	return func(s *Scenario) {
		o := &s.Orgs[0]
		o.PermissionSets = append(o.PermissionSets, PermissionSet{Name: name, Permissions: ps, ConnectedApps: apps})
		if assign {
			o.Users[0].PermissionSets = append(o.Users[0].PermissionSets, name)
		}
	}
}

// addGroup adds a permission set group of the named permission sets,
// optionally assigned to ana, with an optional muting permission set.
func addGroup(name string, assign bool, muting *MutingPermissionSet, permSets ...string) sopt {
	return func(s *Scenario) {
		o := &s.Orgs[0]
		o.PermissionSetGroups = append(o.PermissionSetGroups, PermissionSetGroup{Name: name, PermissionSets: permSets, MutingPermissionSet: muting})
		if assign {
			o.Users[0].PermissionSetGroups = append(o.Users[0].PermissionSetGroups, name)
		}
	}
}

// eopt changes an event under construction.
type eopt func(*Event)

func mk(e Event, opts []eopt) Event {
	for _, o := range opts {
		o(&e)
	}
	return e
}

func id(s string) eopt              { return func(e *Event) { e.ID = s } }
func use(s string) eopt             { return func(e *Event) { e.Use = s } }
func host(h string) eopt            { return func(e *Event) { e.Host = h } }
func redirect(u string) eopt        { return func(e *Event) { e.RedirectURI = &u } }
func noRedirect() eopt              { return func(e *Event) { e.RedirectURI = nil } }
func scope(sc string) eopt          { return func(e *Event) { e.Scope = &sc } }
func withState(st string) eopt      { return func(e *Event) { e.State = st } }
func consent(c string) eopt         { return func(e *Event) { e.Consent = c } }
func pkce(on bool) eopt             { return func(e *Event) { e.PKCE = &on } }
func from(ip string) eopt           { return func(e *Event) { e.FromIP = ip } }
func secret(s string) eopt          { return func(e *Event) { e.ClientSecret = s } }
func verifier(v string) eopt        { return func(e *Event) { e.CodeVerifier = v } }
func password(p string) eopt        { return func(e *Event) { e.Password = p } }
func secToken(tok string) eopt      { return func(e *Event) { e.SecurityToken = tok } }
func clientID(k string) eopt        { return func(e *Event) { e.ClientID = k } }
func asUser(u string) eopt          { return func(e *Event) { e.User = u } }
func aud(a string) eopt             { return func(e *Event) { e.Aud = a } }
func assertion(a string) eopt       { return func(e *Event) { e.Assertion = a } }
func appName(a string) eopt         { return func(e *Event) { e.App = a } }
func tokenKind(k string) eopt       { return func(e *Event) { e.Token = k } }
func withEvent(f func(*Event)) eopt { return f }

// webServer is an authorization request of the web server flow by ana,
// to the registered callback, with state "xyz", consent allow.
func webServer(opts ...eopt) Event {
	return mk(Event{Do: "authorize", Flow: "webServer", User: tUser, RedirectURI: ptr(tCallback), State: "xyz", Consent: "allow"}, opts)
}

// userAgent is the same request in the user-agent flow.
func userAgent(opts ...eopt) Event {
	e := webServer(opts...)
	e.Flow = "userAgent"
	return e
}

func codeGrant(opts ...eopt) Event {
	return mk(Event{Do: "token", Grant: "authorization_code"}, opts)
}

func refreshGrant(opts ...eopt) Event { return mk(Event{Do: "token", Grant: "refresh_token"}, opts) }

// passwordGrant sends ana's password and security token as literals.
func passwordGrant(opts ...eopt) Event {
	return mk(Event{Do: "token", Grant: "password", User: tUser, Password: tPassword, SecurityToken: tToken}, opts)
}

func jwtGrant(opts ...eopt) Event {
	return mk(Event{Do: "token", Grant: "jwt_bearer", User: tUser}, opts)
}

func samlGrant(opts ...eopt) Event {
	return mk(Event{Do: "token", Grant: "saml_bearer", User: tUser}, opts)
}

func ccGrant(opts ...eopt) Event {
	return mk(Event{Do: "token", Grant: "client_credentials", Host: "myDomain"}, opts)
}

func deviceGrant(opts ...eopt) Event {
	return mk(Event{Do: "token", Grant: "device", User: tUser}, opts)
}

func exchangeGrant(opts ...eopt) Event {
	return mk(Event{Do: "token", Grant: "token_exchange", User: tUser}, opts)
}

func wait(d string) Event            { return Event{Do: "wait", For: d} }
func apiCallEv(opts ...eopt) Event   { return mk(Event{Do: "api"}, opts) }
func revokeEv(opts ...eopt) Event    { return mk(Event{Do: "revoke"}, opts) }
func soapLoginEv(opts ...eopt) Event { return mk(Event{Do: "soapLogin", User: tUser}, opts) }

func adminEv(action string, opts ...eopt) Event {
	return mk(Event{Do: "admin", Action: action}, opts)
}

// codeFlow is an authorization (a1) and its code redemption (t1).
func codeFlow(authOpts ...eopt) []Event {
	return []Event{webServer(append([]eopt{id("a1")}, authOpts...)...), codeGrant(id("t1"), use("a1"))}
}

// evalScenario marshals the scenario, decodes it (so validation runs) and
// evaluates it, fixes included. An invalid scenario fails the test.
func evalScenario(t testing.TB, s *Scenario) *Result {
	t.Helper()
	data, err := json.Marshal(s)
	if err != nil {
		t.Fatalf("marshal scenario: %v", err)
	}
	dec, err := Decode(data)
	if err != nil {
		t.Fatalf("scenario does not decode:\n%v\n%s", err, data)
	}
	return Evaluate(dec, Options{})
}

// evalEvent evaluates the scenario and returns event n's result (n < 0
// counts from the end: -1 is the last event).
func evalEvent(t testing.TB, s *Scenario, n int) EventResult {
	t.Helper()
	res := evalScenario(t, s)
	if n < 0 {
		n += len(res.Results)
	}
	if n < 0 || n >= len(res.Results) {
		t.Fatalf("no event %d: the scenario has %d", n, len(res.Results))
	}
	return res.Results[n]
}

// want is the answer expected of one event.
type want struct {
	outcome, err, desc, delivery string
	status                       int
}

func grantedAs(delivery string, status int) want {
	return want{outcome: Granted, delivery: delivery, status: status}
}

var (
	okRedirect = grantedAs(DeliverRedirect, 302)
	okFragment = grantedAs(DeliverRedirectFragment, 302)
	okJSON     = grantedAs(DeliverJSON, 200)
	okSession  = grantedAs(DeliverSession, 200)
	okAdmin    = grantedAs(DeliverNone, 0)
	okWait     = grantedAs(DeliverNone, 0)
)

func deniedAs(delivery string, status int, err, desc string) want {
	return want{outcome: Denied, err: err, desc: desc, delivery: delivery, status: status}
}

func noRedirectErr(err, desc string) want      { return deniedAs(DeliverRedirect, 302, err, desc) }
func fragmentErr(err, desc string) want        { return deniedAs(DeliverRedirectFragment, 302, err, desc) }
func jsonErr(err, desc string) want            { return deniedAs(DeliverJSON, 400, err, desc) }
func pageErr(err, desc string) want            { return deniedAs(DeliverErrorPage, 200, err, desc) }
func soapErr(err, desc string) want            { return deniedAs(DeliverSoapFault, 500, err, desc) }
func apiErr(status int, err, desc string) want { return deniedAs(DeliverJSON, status, err, desc) }

// checkResult compares outcome, error, description, delivery and status.
func checkResult(t testing.TB, got EventResult, w want) {
	t.Helper()
	var bad []string
	cmp := func(field, g, w string) {
		if g != w {
			bad = append(bad, field+": got "+quote(g)+", want "+quote(w))
		}
	}
	cmp("outcome", got.Outcome, w.outcome)
	cmp("error", got.Error, w.err)
	cmp("errorDescription", got.ErrorDescription, w.desc)
	cmp("delivery", got.Delivery, w.delivery)
	if got.HTTPStatus != w.status {
		bad = append(bad, "httpStatus: got "+strconv.Itoa(got.HTTPStatus)+", want "+strconv.Itoa(w.status))
	}
	if len(bad) > 0 {
		t.Errorf("event %d (%s):\n  %s\n%s", got.Event, got.Do, strings.Join(bad, "\n  "), traceText(got))
	}
}

// traceText renders a result's trace for failure messages.
func traceText(r EventResult) string {
	var b strings.Builder
	for _, s := range r.Trace {
		b.WriteString("    " + s.Rule + " " + s.Outcome + ": " + s.Because + "\n")
	}
	return b.String()
}

// stepOf returns the outcome of the first trace step of rule ("" if none).
func stepOf(r EventResult, rule string) string {
	for _, s := range r.Trace {
		if s.Rule == rule {
			return s.Outcome
		}
	}
	return ""
}
