package policy

import (
	"slices"
	"strings"
	"testing"
)

// ruleCase is one scenario and the answer expected of one of its events.
type ruleCase struct {
	name string
	n    int    // 1-based number of the event checked; 0 = the last event
	step string // outcome of the table's rule in that event's trace ("" = not checked)
	want want
	s    *Scenario
	also func(t *testing.T, res *Result) // further checks on the whole result
}

func rc(name, step string, w want, s *Scenario) ruleCase {
	return ruleCase{name: name, step: step, want: w, s: s}
}

// event checks event n (1-based) instead of the last.
func (c ruleCase) event(n int) ruleCase { c.n = n; return c }

// then adds checks on the whole result.
func (c ruleCase) then(fs ...func(t *testing.T, res *Result)) ruleCase {
	c.also = func(t *testing.T, res *Result) {
		for _, f := range fs {
			f(t, res)
		}
	}
	return c
}

// ruleTable is the table of one rule, by its name in the trace.
type ruleTable struct {
	rule  string
	cases func() []ruleCase
}

var ruleTables = []ruleTable{
	{"host.https", casesHostHTTPS},
	{"host.login", casesHostLogin},
	{"host.myDomainRequired", casesMyDomainRequired},
	{"client.known", casesClientKnown},
	{"client.secret", casesClientSecret},
	{"org.allowUserAgentFlows", casesAllowUserAgent},
	{"org.allowUsernamePasswordFlows", casesAllowUsernamePassword},
	{"app.ecaNoUsernamePassword", casesECANoPassword},
	{"app.requirePkce", casesRequirePKCE},
	{"app.clientCredentials", casesClientCredentials},
	{"app.deviceFlow", casesDeviceFlow},
	{"app.tokenExchange", casesTokenExchange},
	{"app.callbackUrl", casesCallbackURL},
	{"app.installed", casesInstalled},
	{"app.blocked", casesBlocked},
	{"user.active", casesUserActive},
	{"user.canApprove", casesCanApprove},
	{"user.frozen", casesFrozen},
	{"user.lockout", casesLockout},
	{"user.loginHours", casesLoginHours},
	{"user.credentials", casesCredentials},
	{"user.loginIpRanges", casesLoginIP},
	{"app.permittedUsers", casesPermittedUsers},
	{"app.highAssurance", casesHighAssurance},
	{"scope.requested", casesScopes},
	{"scope.clientCredentials", casesClientCredentialScopes},
	{"code.valid", casesCodeValid},
	{"code.redirectUri", casesCodeRedirect},
	{"code.pkce", casesCodePKCE},
	{"refresh.valid", casesRefreshValid},
	{"jwt.certificate", casesJWTCertificate},
	{"jwt.assertion", casesJWTAssertion},
	{"jwt.lifetime", casesJWTLifetime},
	{"jwt.audience", casesJWTAudience},
	{"jwt.approvedScopes", casesJWTApprovedScopes},
	{"soap.apiVersion", casesSoapAPIVersion},
	{"org.soapApiLogin", casesSoapLogin},
	{"user.apiEnabled", casesSoapAPIEnabled},
	{"user.useAnyApiAuth", casesUseAnyAPIAuth},
	{"outbound.sessionId", casesOutbound},
	{"visualforce.context", casesVisualforce},
}

func TestRules(t *testing.T) {
	for _, tb := range ruleTables {
		t.Run(tb.rule, func(t *testing.T) { runRuleTable(t, tb.rule, tb.cases()) })
	}
}

func runRuleTable(t *testing.T, rule string, cases []ruleCase) {
	var granted, denied int
	for _, c := range cases {
		if c.want.outcome == Granted {
			granted++
		} else {
			denied++
		}
		t.Run(c.name, func(t *testing.T) {
			res := evalScenario(t, c.s)
			n := len(res.Results) - 1
			if c.n > 0 {
				n = c.n - 1
			}
			got := res.Results[n]
			checkResult(t, got, c.want)
			if c.step != "" {
				if s := stepOf(got, rule); s != c.step {
					t.Errorf("trace step %s: got %q, want %q\n%s", rule, s, c.step, traceText(got))
				}
				if c.step == StepFail {
					if last := got.Trace[len(got.Trace)-1]; last.Rule != rule || last.Outcome != StepFail {
						t.Errorf("the denial should come from %s, got %s %s", rule, last.Rule, last.Outcome)
					}
				}
			}
			if c.also != nil {
				c.also(t, res)
			}
		})
	}
	if granted == 0 || denied == 0 {
		t.Errorf("table %s has %d granted and %d denied cases; it needs at least one of each", rule, granted, denied)
	}
}

// TestEveryRuleHasATable keeps the tables complete as rules are added.
func TestEveryRuleHasATable(t *testing.T) {
	lists := [][]rule{webServerRules, userAgentRules, codeRules, refreshRules, passwordRules, jwtRules,
		clientCredentialRules, deviceRules, tokenExchangeRules, soapLoginRules, {ruleOutboundSessionID}}
	have := map[string]bool{}
	for _, tb := range ruleTables {
		have[tb.rule] = true
	}
	for _, l := range lists {
		for _, r := range l {
			if !have[r.name] {
				t.Errorf("rule %s has no table in ruleTables", r.name)
			}
		}
	}
}

// resultAt checks event n (1-based) of a result.
func resultAt(t *testing.T, res *Result, n int, w want) EventResult {
	t.Helper()
	got := res.Results[n-1]
	checkResult(t, got, w)
	return got
}

func locationHasPrefix(n int, prefix string) func(t *testing.T, res *Result) {
	return func(t *testing.T, res *Result) {
		t.Helper()
		loc := ""
		if r := res.Results[n-1].Response; r != nil {
			loc = r.Location
		}
		if !strings.HasPrefix(loc, prefix) {
			t.Errorf("Location %q; want prefix %q", loc, prefix)
		}
	}
}

// Salesforce's strings (fact sheet §6) and caplab's documented choices.
const (
	dLoginFailed  = "Please check your username and password. If you still can't log in, contact your Salesforce administrator."
	dInsuffPrivs  = "You do not have the level of access necessary to perform the operation you requested. Please contact the owner of the record or your administrator if access is necessary."
	dInvalidLogin = "Invalid username, password, security token; or user locked out."
	dMustUseToken = dInvalidLogin + " Are you at a new location? When accessing Salesforce--either via a desktop client or the API--from outside of your company’s trusted networks, you must add a security token to your password to log in. To get your new security token, log in to Salesforce. From your personal settings, enter Reset My Security Token in the Quick Find box, then select Reset My Security Token."
	errorPageURL  = "https://acme.my.salesforce.com/setup/secur/RemoteAccessErrorPage.apexp?"
)

func casesHostHTTPS() []ruleCase {
	httpHost := "http://acme.my.salesforce.com"
	return []ruleCase{
		rc("named host login", StepPass, okRedirect, scen(evs(webServer()))),
		rc("https My Domain URL", StepPass, okRedirect, scen(evs(webServer(host("https://acme.my.salesforce.com"))))),
		rc("plain http at authorize", StepFail, pageErr("invalid_request", "HTTPS required"),
			scen(evs(webServer(host(httpHost))))),
		rc("plain http at token", StepFail, jsonErr("invalid_request", "HTTPS required"),
			scen(evs(webServer(id("a1")), codeGrant(use("a1"), host(httpHost))))),
	}
}

func casesHostLogin() []ruleCase {
	fail := pageErr("login_failed", dLoginFailed)
	return []ruleCase{
		rc("production at login", StepPass, okRedirect, scen(evs(webServer(host("login"))))),
		rc("production at My Domain", StepPass, okRedirect, scen(evs(webServer(host("myDomain"))))),
		rc("production at its My Domain URL", StepPass, okRedirect, scen(evs(webServer(host("https://acme.my.salesforce.com"))))),
		rc("production at test", StepFail, fail, scen(evs(webServer(host("test"))))),
		rc("sandbox at test", StepPass, okRedirect, scen(evs(webServer(host("test"))), sandbox())),
		rc("sandbox by default at test", StepPass, okRedirect, scen(evs(webServer()), sandbox())),
		rc("sandbox at login", StepFail, fail, scen(evs(webServer(host("login"))), sandbox())),
		rc("sandbox at its My Domain URL", StepPass, okRedirect,
			scen(evs(webServer(host("https://acme.sandbox.my.salesforce.com"))), sandbox())),
		rc("another org's My Domain", StepFail, fail, scen(evs(webServer(host("https://globex.my.salesforce.com"))))),
		rc("Experience Cloud site", StepInfo, okRedirect, scen(evs(webServer(host("https://acme.my.site.com"))))),
		rc("password grant at test", StepFail, jsonErr("invalid_grant", "authentication failure"),
			scen(evs(passwordGrant(host("test"))), allowPassword())),
	}
}

func casesMyDomainRequired() []ruleCase {
	wrong := jsonErr("invalid_grant", "request not supported on this domain")
	return []ruleCase{
		rc("My Domain", StepPass, okJSON, scen(evs(ccGrant()), clientCreds())),
		rc("My Domain URL", StepPass, okJSON, scen(evs(ccGrant(host("https://acme.my.salesforce.com"))), clientCreds())),
		rc("login.salesforce.com", StepFail, wrong, scen(evs(ccGrant(host("login"))), clientCreds())),
		rc("test.salesforce.com", StepFail, wrong, scen(evs(ccGrant(host("test"))), clientCreds())),
		rc("another org's My Domain", StepFail, wrong, scen(evs(ccGrant(host("https://globex.my.salesforce.com"))), clientCreds())),
	}
}

func casesClientKnown() []ruleCase {
	unknown := "client identifier invalid"
	notFound := "External client app is not installed in this org"
	return []ruleCase{
		rc("consumer key", StepPass, okRedirect, scen(evs(webServer(clientID(tKey))))),
		rc("unknown key at authorize", StepFail, pageErr("invalid_client_id", unknown), scen(evs(webServer(clientID("noSuchKey1"))))),
		rc("unknown key at token", StepFail, jsonErr("invalid_client_id", unknown),
			scen(evs(webServer(id("a1")), codeGrant(use("a1"), clientID("noSuchKey1"))))),
		rc("external client app local to the org", StepPass, okRedirect, scen(evs(webServer()), eca())),
		rc("external client app installed", StepPass, okRedirect, scen(evs(webServer()), eca(), foreignApp(), installed(Policies{}))),
		rc("external client app not installed, token", StepFail, jsonErr("app_not_found", notFound),
			scen(evs(jwtGrant()), eca(), foreignApp(), certificate(), approved())),
		rc("external client app not installed, authorize", StepFail, pageErr("app_not_found", notFound),
			scen(evs(webServer()), eca(), foreignApp())),
	}
}

func casesClientSecret() []ruleCase {
	bad := jsonErr("invalid_client", "invalid client credentials")
	optionalWS := withApp(func(a *App) { a.OAuth.RequireSecretForWebServerFlow = ptr(false) })
	optionalRT := withApp(func(a *App) { a.OAuth.RequireSecretForRefreshTokenFlow = ptr(false) })
	code := func(o ...eopt) []Event {
		return evs(webServer(id("a1")), codeGrant(append([]eopt{use("a1")}, o...)...))
	}
	refresh := func(o ...eopt) []Event { return append(codeFlow(), refreshGrant(append([]eopt{use("t1")}, o...)...)) }
	return []ruleCase{
		rc("correct literal", StepPass, okJSON, scen(code(secret(tSecret)))),
		rc("omitted means correct", StepPass, okJSON, scen(code())),
		rc("wrong", StepFail, bad, scen(code(secret("wrong")))),
		rc("wrong literal", StepFail, bad, scen(code(secret("notTheSecret")))),
		rc("missing when required", StepFail, bad, scen(code(secret("missing")))),
		rc("missing when optional", StepPass, okJSON, scen(code(secret("missing")), optionalWS)),
		rc("wrong when optional is still validated", StepFail, bad, scen(code(secret("wrong")), optionalWS)),
		rc("refresh: missing when required", StepFail, bad, scen(refresh(secret("missing")))),
		rc("refresh: missing when optional", StepPass, okJSON, scen(refresh(secret("missing")), optionalRT)),
		rc("refresh: wrong when optional is still validated", StepFail, bad, scen(refresh(secret("wrong")), optionalRT)),
		rc("password grant: missing", StepFail, bad, scen(evs(passwordGrant(secret("missing"))), allowPassword())),
		rc("client credentials: wrong", StepFail, bad, scen(evs(ccGrant(secret("wrong"))), clientCreds())),
	}
}

func casesAllowUserAgent() []ruleCase {
	blocked := pageErr("unsupported_response_type", "response type is not supported")
	return []ruleCase{
		rc("org created 2023-06-09: on by default", StepPass, okFragment, scen(evs(userAgent()), created("2023-06-09"))),
		rc("org created 2023-06-10: off by default", StepFail, blocked, scen(evs(userAgent()), created("2023-06-10"))),
		rc("turned on", StepPass, okFragment, scen(evs(userAgent()), allowUserAgent())),
		rc("turned off in an old org", StepFail, blocked,
			scen(evs(userAgent()), created("2020-01-01"), withOrg(func(o *Org) { o.Settings.AllowUserAgentFlows = ptr(false) }))),
	}
}

func casesAllowUsernamePassword() []ruleCase {
	blocked := jsonErr("invalid_grant", "authentication failure")
	return []ruleCase{
		rc("org created 2023-06-09: on by default", StepPass, okJSON, scen(evs(passwordGrant()), created("2023-06-09"))),
		rc("org created 2023-06-10: off by default", StepFail, blocked, scen(evs(passwordGrant()), created("2023-06-10"))),
		rc("turned on", StepPass, okJSON, scen(evs(passwordGrant()), allowPassword())),
		rc("turned off in an old org", StepFail, blocked,
			scen(evs(passwordGrant()), created("2023-01-01"), withOrg(func(o *Org) { o.Settings.AllowUsernamePasswordFlows = ptr(false) }))),
	}
}

func casesECANoPassword() []ruleCase {
	return []ruleCase{
		rc("connected app", StepSkip, okJSON, scen(evs(passwordGrant()), allowPassword())),
		rc("external client app", StepFail, jsonErr("unsupported_grant_type", "grant type not supported"),
			scen(evs(passwordGrant()), allowPassword(), eca())),
	}
}

func casesRequirePKCE() []ruleCase {
	missing := deniedAs(DeliverErrorPage, 400, "invalid_request", "missing required code challenge")
	appOn := withApp(func(a *App) { a.OAuth.RequirePkce = true })
	orgOn := withOrg(func(o *Org) { o.Settings.RequirePkce = ptr(true) })
	return []ruleCase{
		rc("app requires, challenge sent", StepPass, okRedirect, scen(evs(webServer(pkce(true))), appOn)),
		rc("app requires, none sent", StepFail, missing, scen(evs(webServer()), appOn)).then(func(t *testing.T, res *Result) {
			if r := res.Results[0].Response; r == nil || r.Body != "error=invalid_request&error_description=missing+required+code+challenge" {
				t.Errorf("response %+v; want the raw error body", r)
			}
		}),
		rc("app requires, pkce false", StepFail, missing, scen(evs(webServer(pkce(false))), appOn)),
		rc("org requires, none sent", StepFail, missing, scen(evs(webServer()), orgOn)),
		rc("org requires, challenge sent", StepPass, okRedirect, scen(evs(webServer(pkce(true))), orgOn)),
		rc("not required, none sent", StepSkip, okRedirect, scen(evs(webServer()))),
		rc("not required, challenge sent", StepPass, okRedirect, scen(evs(webServer(pkce(true))))),
	}
}

func casesClientCredentials() []ruleCase {
	noUser := jsonErr("invalid_grant", "no client credentials user enabled")
	return []ruleCase{
		rc("enabled with a Run As user", StepPass, okJSON, scen(evs(ccGrant()), clientCreds())),
		rc("disabled", StepFail, noUser, scen(evs(ccGrant()))),
		rc("enabled without a Run As user", StepFail, noUser,
			scen(evs(ccGrant()), withApp(func(a *App) { a.OAuth.ClientCredentials.Enabled = true }))),
		rc("Run As user not in the org", StepFail, noUser,
			scen(evs(ccGrant()), withApp(func(a *App) { a.OAuth.ClientCredentials = ClientCredentials{Enabled: true, RunAs: "ghost@acme.test"} }))),
		rc("app not installed in the org", StepFail, noUser, scen(evs(ccGrant()), clientCreds(), foreignApp())),
		rc("app installed in the org", StepPass, okJSON, scen(evs(ccGrant()), clientCreds(), foreignApp(), installed(Policies{}))),
	}
}

func casesDeviceFlow() []ruleCase {
	on := withApp(func(a *App) { a.OAuth.DeviceFlow = true })
	return []ruleCase{
		rc("enabled", StepPass, okJSON, scen(evs(deviceGrant()), on)).then(func(t *testing.T, res *Result) {
			if is := res.Results[0].Issued; !is.AccessToken || !is.RefreshToken {
				t.Errorf("issued %+v; want access and refresh tokens", is)
			}
		}),
		rc("disabled", StepFail, jsonErr("invalid_grant", "device flow not enabled for this app"), scen(evs(deviceGrant()))),
	}
}

func casesTokenExchange() []ruleCase {
	on := withApp(func(a *App) { a.OAuth.TokenExchange = true })
	return []ruleCase{
		rc("enabled, user approved", StepPass, okJSON, scen(evs(exchangeGrant()), on, approved())),
		rc("disabled", StepFail, jsonErr("invalid_grant", "token exchange not enabled for this app"), scen(evs(exchangeGrant()), approved())),
	}
}

func casesCallbackURL() []ruleCase {
	mismatch := pageErr("redirect_uri_mismatch", "redirect_uri must match configuration")
	onPage := locationHasPrefix(1, errorPageURL+"error=redirect_uri_mismatch&")
	second := withApp(func(a *App) { a.OAuth.CallbackURLs = append(a.OAuth.CallbackURLs, "myapp://oauth/done") })
	c := func(name, uri string) ruleCase {
		return rc(name, StepFail, mismatch, scen(evs(webServer(redirect(uri))))).then(onPage)
	}
	return []ruleCase{
		rc("exact match", StepPass, okRedirect, scen(evs(webServer()))).then(locationHasPrefix(1, tCallback+"?code=")),
		rc("second callback URL", StepPass, okRedirect, scen(evs(webServer(redirect("myapp://oauth/done"))), second)).
			then(locationHasPrefix(1, "myapp://oauth/done?code=")),
		rc("omitted: the first callback URL", StepPass, okRedirect, scen(evs(webServer(noRedirect())))),
		rc("http on localhost, registered", StepPass, okRedirect,
			scen(evs(webServer(redirect("http://localhost:1717/OauthRedirect"))),
				withApp(func(a *App) { a.OAuth.CallbackURLs = []string{"http://localhost:1717/OauthRedirect"} }))).
			then(noteSays(1, "app.callbackUrl", "UNCONFIRMED")),
		c("trailing slash", tCallback+"/"),
		c("path case", "https://app.acme.test/CB"),
		c("host case", "https://APP.acme.test/cb"),
		c("port", "https://app.acme.test:8443/cb"),
		c("http instead of https", "http://app.acme.test/cb"),
		c("extra query", tCallback+"?tenant=1"),
		c("other path", "https://app.acme.test/cb2"),
		rc("missing", StepFail, pageErr("redirect_uri_missing", "Redirect_uri not provided"), scen(evs(webServer(redirect(""))))).
			then(locationHasPrefix(1, errorPageURL+"error=redirect_uri_missing&")),
		rc("user-agent mismatch is not redirected either", StepFail, mismatch,
			scen(evs(userAgent(redirect(tCallback+"/"))), allowUserAgent())).then(onPage),
	}
}

func casesInstalled() []ruleCase {
	mustInstall := pageErr("invalid_client", "app must be installed into org")
	ws := evs(webServer())
	deviceOn := withApp(func(a *App) { a.OAuth.DeviceFlow = true })
	apiControl := withOrg(func(o *Org) { o.Settings.APIAccessControl = ptr(true) })
	return []ruleCase{
		rc("installed", StepPass, okRedirect, scen(ws, foreignApp(), installed(Policies{}))),
		rc("org-owned", StepPass, okRedirect, scen(ws)),
		rc("uninstalled, 1s before 2025-09-02", StepPass, okRedirect, scen(ws, foreignApp(), at("2025-09-01T23:59:59Z"))),
		rc("uninstalled, from 2025-09-02", StepFail, mustInstall, scen(ws, foreignApp(), at("2025-09-02T00:00:00Z"))).
			then(locationHasPrefix(1, errorPageURL+"error=invalid_client&error_description=app+must+be+installed+into+org")),
		rc("uninstalled, now", StepFail, mustInstall, scen(ws, foreignApp())),
		rc("org created 2025-08-28: enforced from creation", StepFail, mustInstall,
			scen(ws, foreignApp(), created("2025-08-28"), at("2025-08-30T00:00:00Z"))),
		rc("org created 2025-08-27: not yet enforced", StepPass, okRedirect,
			scen(ws, foreignApp(), created("2025-08-27"), at("2025-08-30T00:00:00Z"))),
		rc("Approve Uninstalled Connected Apps", StepPass, okRedirect, scen(ws, foreignApp(), perms("approveUninstalledConnectedApps"))),
		rc("Approve Uninstalled via a permission set", StepPass, okRedirect,
			scen(ws, foreignApp(), addPermSet("Uninstalled Apps", true, nil, "approveUninstalledConnectedApps"))),
		rc("Approve Uninstalled is not enough with API Access Control", StepFail, mustInstall,
			scen(ws, foreignApp(), perms("approveUninstalledConnectedApps"), apiControl)),
		rc("Use Any API Client, interactive, 1s before 2025-12-08", StepPass, okRedirect,
			scen(ws, foreignApp(), perms("useAnyApiClient"), at("2025-12-07T23:59:59Z"))),
		rc("Use Any API Client, interactive, from 2025-12-08", StepFail, mustInstall,
			scen(ws, foreignApp(), perms("useAnyApiClient"), at("2025-12-08T00:00:00Z"))),
		rc("Use Any API Client, non-interactive, after 2025-12-08", StepPass, okJSON,
			scen(evs(passwordGrant()), foreignApp(), perms("useAnyApiClient"), allowPassword())),
		rc("Use Any API Client with API Access Control, non-interactive", StepPass, okJSON,
			scen(evs(passwordGrant()), foreignApp(), perms("useAnyApiClient"), allowPassword(), apiControl)),
		rc("non-interactive without a permission", StepFail, jsonErr("invalid_client", "app must be installed into org"),
			scen(evs(passwordGrant()), foreignApp(), allowPassword())),
		rc("grandfathered: approved before", StepPass, okRedirect, scen(ws, foreignApp(), approved())),
		rc("grandfathered: approved in the timeline before the restriction", StepPass, okRedirect,
			scen(evs(webServer(), wait("1d"), webServer()), foreignApp(), at("2025-09-01T12:00:00Z"))),
		rc("device flow is never grandfathered", StepFail, mustInstall,
			scen(evs(deviceGrant()), foreignApp(), approved(), deviceOn)),
		rc("device flow with Approve Uninstalled", StepFail, mustInstall,
			scen(evs(deviceGrant()), foreignApp(), perms("approveUninstalledConnectedApps"), deviceOn)),
		rc("device flow, installed", StepPass, okJSON, scen(evs(deviceGrant()), foreignApp(), installed(Policies{}), deviceOn)),
	}
}

func casesBlocked() []ruleCase {
	blocked := "this app is blocked by admin"
	block := withOrg(func(o *Org) { o.InstalledApps = []InstalledApp{{App: tApp, Blocked: true}} })
	apiControl := withOrg(func(o *Org) { o.Settings.APIAccessControl = ptr(true) })
	inst := installed(Policies{})
	return []ruleCase{
		rc("installed, not blocked", StepPass, okRedirect, scen(evs(webServer()), foreignApp(), inst)),
		rc("blocked, authorize", StepFail, noRedirectErr("OAUTH_APP_BLOCKED", blocked), scen(evs(webServer()), foreignApp(), block)).
			then(locationHasPrefix(1, tCallback+"?error=OAUTH_APP_BLOCKED&error_description=this+app+is+blocked+by+admin&state=xyz")),
		rc("blocked org-owned app", StepFail, noRedirectErr("OAUTH_APP_BLOCKED", blocked), scen(evs(webServer()), block)),
		rc("blocked, password grant", StepFail, jsonErr("OAUTH_APP_BLOCKED", blocked), scen(evs(passwordGrant()), allowPassword(), block)),
		rc("API Access Control, app not assigned", StepFail, noRedirectErr("OAUTH_APP_BLOCKED", blocked),
			scen(evs(webServer()), foreignApp(), inst, apiControl)),
		rc("API Access Control, assigned via profile", StepPass, okRedirect,
			scen(evs(webServer()), foreignApp(), inst, apiControl, onProfile())),
		rc("API Access Control, assigned via permission set", StepPass, okRedirect,
			scen(evs(webServer()), foreignApp(), inst, apiControl, addPermSet("Sync Access", true, []string{tApp}))),
		rc("API Access Control, Use Any API Client", StepPass, okRedirect,
			scen(evs(webServer()), foreignApp(), inst, apiControl, perms("useAnyApiClient"))),
		rc("API Access Control, JWT not assigned", StepFail, jsonErr("OAUTH_APP_BLOCKED", blocked),
			scen(evs(jwtGrant()), foreignApp(), inst, apiControl, certificate(), approved())),
	}
}

func casesUserActive() []ruleCase {
	inactive := withUser(func(u *User) { u.Active = ptr(false) })
	return []ruleCase{
		rc("active", StepPass, okRedirect, scen(evs(webServer()))),
		rc("deactivated, authorize", StepFail, noRedirectErr("inactive_user", "User is inactive"), scen(evs(webServer()), inactive)),
		rc("deactivated, user-agent flow", StepFail, fragmentErr("inactive_user", "User is inactive"), scen(evs(userAgent()), inactive, allowUserAgent())),
		// Fact sheet §12: the token endpoint answers invalid_grant "inactive user".
		rc("deactivated, JWT", StepFail, jsonErr("invalid_grant", "inactive user"), scen(evs(jwtGrant()), inactive, certificate(), approved())).
			then(noteSays(1, "user.active", "§12")),
		rc("deactivated after the code flow, refresh", StepFail, jsonErr("invalid_grant", "inactive user"),
			scen(append(codeFlow(), adminEv("deactivateUser", asUser(tUser)), refreshGrant(use("t1"))))),
		rc("deactivated between authorize and code redemption", StepFail, jsonErr("invalid_grant", "inactive user"),
			scen(evs(webServer(id("a1")), adminEv("deactivateUser", asUser(tUser)), codeGrant(use("a1"))))),
		rc("deactivated, password grant", StepFail, jsonErr("invalid_grant", "inactive user"), scen(evs(passwordGrant()), inactive, allowPassword())),
		rc("deactivated, device flow", StepFail, jsonErr("invalid_grant", "inactive user"),
			scen(evs(deviceGrant()), inactive, withApp(func(a *App) { a.OAuth.DeviceFlow = true }))),
		rc("deactivated run-as user, client credentials", StepFail, jsonErr("invalid_grant", "inactive user"), scen(evs(ccGrant()), inactive, clientCreds())),
		rc("reactivated", StepPass, okRedirect, scen(evs(adminEv("activateUser", asUser(tUser)), webServer()), inactive)),
		rc("deactivated, SOAP login()", StepFail, soapErr("INVALID_LOGIN", dInvalidLogin), scen(evs(soapLoginEv()), inactive)),
	}
}

func casesCanApprove() []ruleCase {
	ip := pageErr("Insufficient Privileges", dInsuffPrivs)
	noPassword := withUser(func(u *User) { u.HasPassword = ptr(false) })
	loginAs := withEvent(func(e *Event) { e.LoginAs = true })
	body := func(t *testing.T, res *Result) {
		if r := res.Results[0].Response; r == nil || !strings.HasPrefix(r.Body, "Insufficient Privileges\n") {
			t.Errorf("response %+v; want the Insufficient Privileges page", r)
		}
	}
	return []ruleCase{
		rc("user with a password", StepPass, okRedirect, scen(evs(webServer()))),
		rc("API Only User", StepFail, ip, scen(evs(webServer()), perms("apiOnlyUser"))).then(body),
		rc("API Only User via permission set", StepFail, ip, scen(evs(webServer()), addPermSet("Integration", true, nil, "apiOnlyUser"))),
		rc("no password", StepFail, ip, scen(evs(webServer()), noPassword)).then(body,
			offersFix(1, ActorSubscriberAdmin, "Reset ana@acme.test's password (Setup → Users → Reset Password); the user completes the email step")),
		// Fact sheet §12 (the seed): the admin's Reset Password fixes it.
		rc("no password, then the admin resets it", StepPass, okRedirect,
			scen(evs(webServer(), adminEv("resetPassword", asUser(tUser)), webServer()), noPassword)).
			then(func(t *testing.T, res *Result) {
				resultAt(t, res, 1, ip)
				resultAt(t, res, 2, okAdmin)
				noteSays(2, "admin.resetPassword", "email step")(t, res)
			}),
		rc("Login As", StepFail, ip, scen(evs(webServer(loginAs)))).then(body,
			offersFix(1, ActorUser, `Log out of "Login As" and let ana@acme.test authorize the app themselves`),
			offersFix(1, ActorSubscriberAdmin, `Pre-authorize: set Permitted Users to "Admin approved users are pre-authorized" and add Acme Sync to profile Standard User`)),
		// Fact sheet §12 (the seed): pre-authorization skips the approval step.
		rc("Login As, pre-authorized via the profile", StepPass, okRedirect, scen(evs(webServer(loginAs)), adminApproved(), onProfile())).
			then(noteSays(1, "user.canApprove", "skips the authorization flow entirely")),
		rc("Login As, pre-authorized via a permission set group", StepPass, okRedirect,
			scen(evs(webServer(loginAs)), adminApproved(), addPermSet("Sync Access", false, []string{tApp}), addGroup("Integrations", true, nil, "Sync Access"))),
		rc("Login As, listed on the profile but self-authorize", StepFail, ip, scen(evs(webServer(loginAs)), onProfile())),
		rc("Login As, admin approved but not assigned", StepFail, ip, scen(evs(webServer(loginAs)), adminApproved())).
			then(offersFix(1, ActorSubscriberAdmin, "Add Acme Sync to profile Standard User's Connected App Access")),
		rc("device flow, API Only User", StepFail, ip,
			scen(evs(deviceGrant()), perms("apiOnlyUser"), withApp(func(a *App) { a.OAuth.DeviceFlow = true }))),
	}
}

func casesCredentials() []ruleCase {
	fail := jsonErr("invalid_grant", "authentication failure")
	pw := func(o ...eopt) []Event { return evs(passwordGrant(o...)) }
	return []ruleCase{
		rc("password and security token", StepPass, okJSON, scen(pw(), allowPassword())),
		rc("omitted means correct", StepPass, okJSON, scen(pw(password(""), secToken("")), allowPassword())),
		rc("wrong password", StepFail, fail, scen(pw(password("wrong")), allowPassword())),
		rc("wrong literal password", StepFail, fail, scen(pw(password("hunter2")), allowPassword())),
		rc("missing password", StepFail, fail, scen(pw(password("missing")), allowPassword())),
		rc("security token missing, no source address", StepFail, fail, scen(pw(secToken("missing")), allowPassword())),
		rc("security token wrong", StepFail, fail, scen(pw(secToken("wrong")), allowPassword())),
		rc("security token missing from an untrusted IP", StepFail, fail,
			scen(pw(secToken("missing"), from(tOutside)), allowPassword(), ipRanges(tRange))),
		rc("no security token needed from a trusted IP", StepPass, okJSON,
			scen(pw(secToken("missing"), from(tInside)), allowPassword(), ipRanges(tRange))),
		rc("user without a password", StepFail, fail, scen(pw(), allowPassword(), withUser(func(u *User) { u.HasPassword = ptr(false) }))).
			then(offersFix(1, ActorSubscriberAdmin, "Reset ana@acme.test's password (Setup → Users → Reset Password); the user completes the email step")),
		rc("no security token needed inside the org's trusted IP ranges", StepPass, okJSON,
			scen(pw(secToken("missing"), from(tInside)), allowPassword(), trusted(tRange))).then(noteSays(1, "user.credentials", "Network Access")),
		rc("security token missing outside the org's trusted IP ranges", StepFail, fail,
			scen(pw(secToken("missing"), from(tOutside)), allowPassword(), trusted(tRange))).
			then(offersFix(1, ActorSubscriberAdmin, "Add 203.0.113.9 to Acme's trusted IP ranges (Setup → Network Access)")),
		rc("security token missing, no trusted ranges: the fix adds them", StepFail, fail, scen(pw(secToken("missing"), from(tOutside)), allowPassword())).
			then(offersFix(1, ActorSubscriberAdmin, "Add 203.0.113.9 to Acme's trusted IP ranges (Setup → Network Access)")),
		rc("SOAP login(): no security token needed inside trusted IP ranges", StepPass, okSession,
			scen(evs(soapLoginEv(secToken("missing"), from(tInside))), trusted(tRange))),
		rc("SOAP login(): security token missing outside trusted IP ranges", StepFail, soapErr("LOGIN_MUST_USE_SECURITY_TOKEN", dMustUseToken),
			scen(evs(soapLoginEv(secToken("missing"), from(tOutside))), trusted(tRange))),
		rc("SOAP login()", StepPass, okSession, scen(evs(soapLoginEv(password(tPassword), secToken(tToken))))),
		rc("SOAP login(): wrong password", StepFail, soapErr("INVALID_LOGIN", dInvalidLogin), scen(evs(soapLoginEv(password("wrong"))))),
		rc("SOAP login(): security token missing", StepFail, soapErr("LOGIN_MUST_USE_SECURITY_TOKEN", dMustUseToken),
			scen(evs(soapLoginEv(secToken("missing"))))),
		rc("SOAP login(): security token missing from an untrusted IP", StepFail, soapErr("LOGIN_MUST_USE_SECURITY_TOKEN", dMustUseToken),
			scen(evs(soapLoginEv(secToken("missing"), from(tOutside))), ipRanges(tRange))),
		rc("SOAP login(): no security token needed from a trusted IP", StepPass, okSession,
			scen(evs(soapLoginEv(secToken("missing"), from(tInside))), ipRanges(tRange))),
	}
}

func casesLoginIP() []ruleCase {
	ipErr := "ip restricted or invalid login hours"
	relax := func(v string) sopt { return policies(Policies{IPRelaxation: v}) }
	refreshFromOutside := append(codeFlow(from(tInside)), refreshGrant(use("t1"), from(tOutside)))
	return []ruleCase{
		rc("inside the ranges", StepPass, okRedirect, scen(evs(webServer(from(tInside))), ipRanges(tRange))),
		rc("profile without ranges", StepSkip, okRedirect, scen(evs(webServer(from(tOutside))))),
		rc("no source address", StepSkip, okRedirect, scen(evs(webServer()), ipRanges(tRange))),
		rc("default enforce, authorize from outside", StepFail, noRedirectErr("invalid_grant", ipErr),
			scen(evs(webServer(from(tOutside))), ipRanges(tRange))),
		rc("enforce, password grant from outside", StepFail, jsonErr("invalid_grant", ipErr),
			scen(evs(passwordGrant(from(tOutside))), ipRanges(tRange), allowPassword(), relax("enforce"))),
		rc("enforce, refresh from outside", StepFail, jsonErr("invalid_grant", ipErr),
			scen(refreshFromOutside, ipRanges(tRange), relax("enforce"))),
		rc("enforceRelaxRefresh, authorize from outside", StepFail, noRedirectErr("invalid_grant", ipErr),
			scen(evs(webServer(from(tOutside))), ipRanges(tRange), relax("enforceRelaxRefresh"))),
		rc("enforceRelaxRefresh, refresh from outside", StepPass, okJSON,
			scen(refreshFromOutside, ipRanges(tRange), relax("enforceRelaxRefresh"))),
		rc("relaxForActivatedDevices, web server from outside", StepPass, okRedirect,
			scen(evs(webServer(from(tOutside))), ipRanges(tRange), relax("relaxForActivatedDevices"))),
		rc("relaxForActivatedDevices, password grant from outside", StepFail, jsonErr("invalid_grant", ipErr),
			scen(evs(passwordGrant(from(tOutside))), ipRanges(tRange), allowPassword(), relax("relaxForActivatedDevices"))),
		rc("relax, authorize from outside", StepPass, okRedirect,
			scen(evs(webServer(from(tOutside))), ipRanges(tRange), relax("relax"))),
		rc("relax, password grant from outside", StepPass, okJSON,
			scen(evs(passwordGrant(from(tOutside))), ipRanges(tRange), allowPassword(), relax("relax"))),
		// Salesforce Help (IP Relaxation): the bearer flows always enforce.
		rc("relax, JWT from outside: still enforced", StepFail, jsonErr("invalid_grant", ipErr),
			scen(evs(jwtGrant(from(tOutside))), ipRanges(tRange), relax("relax"), certificate(), approved())).
			then(noteSays(1, "user.loginIpRanges", "always enforce")),
		rc("relax, SAML bearer from outside: still enforced", StepFail, jsonErr("invalid_grant", ipErr),
			scen(evs(samlGrant(from(tOutside))), ipRanges(tRange), relax("relax"), certificate(), approved())),
		rc("JWT from inside", StepPass, okJSON, scen(evs(jwtGrant(from(tInside))), ipRanges(tRange), certificate(), approved())),
		rc("relax on the installed app", StepPass, okRedirect,
			scen(evs(webServer(from(tOutside))), ipRanges(tRange), foreignApp(), installed(Policies{IPRelaxation: "relax"}))),
		rc("relax needs installation: an uninstalled app falls back to enforce", StepFail, noRedirectErr("invalid_grant", ipErr),
			scen(evs(webServer(from(tOutside))), ipRanges(tRange), foreignApp(), relax("relax"), perms("approveUninstalledConnectedApps"))).
			then(func(t *testing.T, res *Result) {
				for _, s := range res.Results[0].Trace {
					if s.Rule == "user.loginIpRanges" && !strings.Contains(s.Because, `IP Relaxation is "enforce"`) {
						t.Errorf("because %q; want the enforce default named", s.Because)
					}
				}
			}),
	}
}

func trusted(r ...IPRange) sopt { return withOrg(func(o *Org) { o.Settings.TrustedIPRanges = r }) }

func casesFrozen() []ruleCase {
	frozen := withUser(func(u *User) { u.Frozen = true })
	freeze := adminEv("freezeUser", asUser(tUser))
	authFail := jsonErr("invalid_grant", "authentication failure")
	return []ruleCase{
		rc("not frozen", "", okRedirect, scen(evs(webServer()))),
		rc("frozen, authorize: the login page refuses", StepFail, pageErr("login_failed", dLoginFailed), scen(evs(webServer()), frozen)).
			then(noteSays(1, "user.frozen.unconfirmed", "UNCONFIRMED"), offersFix(1, ActorSubscriberAdmin, "Unfreeze ana@acme.test")),
		rc("frozen, password grant", StepFail, authFail, scen(evs(passwordGrant()), frozen, allowPassword())),
		rc("frozen, JWT bearer", StepFail, authFail, scen(evs(jwtGrant()), frozen, certificate(), approved())),
		rc("frozen, SOAP login()", StepFail, soapErr("INVALID_LOGIN", dInvalidLogin), scen(evs(soapLoginEv()), frozen)),
		rc("frozen after the code flow: refresh refused, the access token still works", StepFail, authFail,
			scen(append(codeFlow(), freeze, apiCallEv(use("t1")), refreshGrant(use("t1"))))).
			then(func(t *testing.T, res *Result) { resultAt(t, res, 4, okJSON) }),
		rc("unfrozen", "", okRedirect, scen(evs(freeze, adminEv("unfreezeUser", asUser(tUser)), webServer()))).
			then(func(t *testing.T, res *Result) {
				if stepOf(res.Results[2], "user.frozen") != "" {
					t.Errorf("an unfrozen user's trace has a user.frozen step")
				}
			}),
	}
}

// pwPolicy sets the org's password policy.
func pwPolicy(attempts, period string) sopt {
	return withOrg(func(o *Org) {
		o.Settings.PasswordPolicy = PasswordPolicy{MaxInvalidLoginAttempts: attempts, LockoutPeriod: period}
	})
}

func casesLockout() []ruleCase {
	wrong := func(n int, mkEv func(...eopt) Event) []Event {
		var out []Event
		for range n {
			out = append(out, mkEv(password("wrong")))
		}
		return out
	}
	pw := func(evs ...Event) *Scenario { return scen(evs, allowPassword(), pwPolicy("3", "15m")) }
	authFail := jsonErr("invalid_grant", "authentication failure")
	locked := pageErr("login_failed", "Your account has been locked out after too many failed login attempts. Try again later or contact your Salesforce administrator.")
	return []ruleCase{
		rc("two wrong passwords, then the right one", "", okJSON, pw(append(wrong(2, passwordGrant), passwordGrant())...)),
		rc("three wrong passwords lock the user out: the right one is refused", StepFail, authFail, pw(append(wrong(3, passwordGrant), passwordGrant())...)).
			then(noteSays(4, "user.lockout", "until 2026-03-01T09:15:00Z")),
		rc("the lockout ends after its period", "", okJSON, pw(append(wrong(3, passwordGrant), wait("15m"), passwordGrant())...)),
		rc("a lockout of forever ends only when an admin unlocks", "", okJSON,
			scen(append(wrong(3, passwordGrant), wait("30d"), passwordGrant(), adminEv("unlockUser", asUser(tUser)), passwordGrant()), allowPassword(), pwPolicy("3", "forever"))).
			then(func(t *testing.T, res *Result) { resultAt(t, res, 5, authFail) }),
		rc("a right password clears the count", "", okJSON,
			pw(append(append(wrong(2, passwordGrant), passwordGrant()), append(wrong(2, passwordGrant), passwordGrant())...)...)),
		rc("a wrong security token does not count", "", okJSON, pw(passwordGrant(secToken("wrong")), passwordGrant(secToken("wrong")),
			passwordGrant(secToken("wrong")), passwordGrant())),
		rc("SOAP login() counts and refuses too", StepFail, soapErr("INVALID_LOGIN", dInvalidLogin),
			scen(append(wrong(3, soapLoginEv), soapLoginEv()), pwPolicy("3", "15m"))),
		rc("wrong passwords in the username-password flow lock the login page too", StepFail, locked,
			pw(append(wrong(3, passwordGrant), webServer())...)),
		rc("default policy: 10 attempts", StepFail, authFail, scen(append(wrong(10, passwordGrant), passwordGrant()), allowPassword())),
		rc("no limit", "", okJSON, scen(append(wrong(12, passwordGrant), passwordGrant()), allowPassword(), pwPolicy("noLimit", ""))),
		rc("locked out before the timeline (lockedOut)", StepFail, authFail,
			pw(passwordGrant(withEvent(func(e *Event) { e.LockedOut = true })))).
			then(offersFix(1, ActorSubscriberAdmin, "Unlock ana@acme.test (Setup → Users → Unlock)")),
	}
}

// hours sets ana's profile's login hours and the org's time zone.
func hours(zone string, h LoginHours) sopt {
	return func(s *Scenario) {
		s.Orgs[0].TimeZone = zone
		s.Orgs[0].Profiles[0].LoginHours = &h
	}
}

func casesLoginHours() []ruleCase {
	ipErr := "ip restricted or invalid login hours"
	office := &HoursSpan{Start: "08:00", End: "18:00"}
	weekdays := LoginHours{Monday: office, Tuesday: office, Saturday: &HoursSpan{Start: "00:00", End: "00:00"}}
	monday := func(t string) sopt { return at("2026-03-02T" + t + "Z") } // 2026-03-02 is a Monday
	relax := policies(Policies{IPRelaxation: "relax"})
	return []ruleCase{
		rc("no login hours", "", okRedirect, scen(evs(webServer()))),
		rc("a day without hours: any time", StepPass, okRedirect, scen(evs(webServer()), hours("", weekdays))), // tNow is a Sunday
		rc("within the hours", StepPass, okRedirect, scen(evs(webServer()), hours("", weekdays), monday("09:00:00"))),
		rc("at the start", StepPass, okRedirect, scen(evs(webServer()), hours("", weekdays), monday("08:00:00"))),
		rc("at the end: refused", StepFail, noRedirectErr("invalid_grant", ipErr), scen(evs(webServer()), hours("", weekdays), monday("18:00:00"))).
			then(offersFix(1, ActorSubscriberAdmin, "Let profile Standard User log in all day on monday")),
		rc("password grant outside the hours", StepFail, jsonErr("invalid_grant", ipErr),
			scen(evs(passwordGrant()), hours("", weekdays), monday("19:30:00"), allowPassword())),
		rc("refresh outside the hours", StepFail, jsonErr("invalid_grant", ipErr),
			scen(append(codeFlow(), wait("11h"), refreshGrant(use("t1"))), hours("", weekdays), monday("09:00:00"))),
		rc("SOAP login() outside the hours", StepFail, soapErr("INVALID_LOGIN", dInvalidLogin), scen(evs(soapLoginEv()), hours("", weekdays), monday("06:00:00"))),
		rc("a day whose start equals its end allows no login", StepFail, jsonErr("invalid_grant", ipErr),
			scen(evs(jwtGrant()), hours("", weekdays), at("2026-03-07T12:00:00Z"), certificate(), approved())),
		rc("read in the org's time zone: 17:00Z is 09:00 at -08:00", StepPass, okRedirect,
			scen(evs(webServer()), hours("-08:00", weekdays), monday("17:00:00"))),
		rc("read in the org's time zone: 09:00Z is 01:00 at -08:00", StepFail, noRedirectErr("invalid_grant", ipErr),
			scen(evs(webServer()), hours("-08:00", weekdays), monday("09:00:00"))),
		rc("the day is the org's: Tuesday 01:00Z is Monday 17:00 at -08:00", StepPass, okRedirect,
			scen(evs(webServer()), hours("-08:00", weekdays), at("2026-03-03T01:00:00Z"))),
		rc("end 24:00 includes 23:59", StepPass, okRedirect,
			scen(evs(webServer()), hours("", LoginHours{Monday: &HoursSpan{Start: "20:00", End: "24:00"}}), monday("23:59:00"))),
		// UNCONFIRMED: IP Relaxation is documented for IP ranges only.
		rc("IP Relaxation does not relax login hours", StepFail, noRedirectErr("invalid_grant", ipErr),
			scen(evs(webServer()), hours("", weekdays), monday("20:00:00"), relax)).then(noteSays(1, "user.loginHours.relaxation", "UNCONFIRMED")),
	}
}

func casesPermittedUsers() []ruleCase {
	notAdmin := "user is not admin approved to access this app"
	notApproved := "user hasn't approved this consumer"
	return []ruleCase{
		rc("self-authorize, Allow", StepPass, okRedirect, scen(evs(webServer()))).then(func(t *testing.T, res *Result) {
			loc := res.Results[0].Response.Location
			if !strings.HasPrefix(loc, tCallback+"?code=") || !strings.HasSuffix(loc, "&state=xyz") {
				t.Errorf("Location %q; want the code and state xyz", loc)
			}
		}),
		rc("self-authorize, Deny", StepFail, noRedirectErr("access_denied", "end-user denied authorization"),
			scen(evs(webServer(consent("deny"), withState("tenant-42"))))).then(func(t *testing.T, res *Result) {
			if got, want := res.Results[0].Response.Location, tCallback+"?error=access_denied&error_description=end-user+denied+authorization&state=tenant-42"; got != want {
				t.Errorf("Location %q; want %q", got, want)
			}
		}),
		rc("Deny after an earlier approval: no consent screen", StepPass, okRedirect, scen(evs(webServer(consent("deny"))), approved())),
		rc("immediate without an approval", StepFail, noRedirectErr("immediate_unsuccessful", "Immediate unsuccessful"),
			scen(evs(webServer(withEvent(func(e *Event) { e.Immediate = true }))))),
		rc("immediate after an approval", StepPass, okRedirect,
			scen(evs(webServer(withEvent(func(e *Event) { e.Immediate = true }))), approved())),
		rc("admin approved via profile", StepPass, okRedirect, scen(evs(webServer()), adminApproved(), onProfile())),
		rc("admin approved via permission set", StepPass, okRedirect,
			scen(evs(webServer()), adminApproved(), addPermSet("Sync Access", true, []string{tApp}))),
		rc("admin approved, permission set not assigned", StepFail, noRedirectErr("OAUTH_APP_ACCESS_DENIED", notAdmin),
			scen(evs(webServer()), adminApproved(), addPermSet("Sync Access", false, []string{tApp}))).
			then(locationHasPrefix(1, tCallback+"?error=OAUTH_APP_ACCESS_DENIED&error_description=user+is+not+admin+approved+to+access+this+app&state=xyz")),
		rc("admin approved, not assigned, password grant", StepFail, jsonErr("invalid_app_access", notAdmin),
			scen(evs(passwordGrant()), adminApproved(), allowPassword())),
		// Fact sheet §12: bearer and exchange grants answer invalid_app_access,
		// also after an earlier self-approval or a removed permission set.
		rc("admin approved, not assigned, JWT after a self-approval", StepFail, jsonErr("invalid_app_access", notAdmin),
			scen(evs(jwtGrant()), adminApproved(), certificate(), approved())).then(noteSays(1, "app.permittedUsers.adminApproved", "§12")),
		rc("admin approved, not assigned, JWT without any approval", StepFail, jsonErr("invalid_app_access", notAdmin),
			scen(evs(jwtGrant()), adminApproved(), certificate())),
		rc("admin approved, permission set removed, JWT", StepFail, jsonErr("invalid_app_access", notAdmin),
			scen(evs(jwtGrant(), adminEv("removePermissionSet", asUser(tUser), withEvent(func(e *Event) { e.PermissionSet = "Sync Access" })), jwtGrant()),
				adminApproved(), certificate(), addPermSet("Sync Access", true, []string{tApp}))).
			then(func(t *testing.T, res *Result) { resultAt(t, res, 1, okJSON) }),
		rc("admin approved, not assigned, token exchange", StepFail, jsonErr("invalid_app_access", notAdmin),
			scen(evs(exchangeGrant()), adminApproved(), withApp(func(a *App) { a.OAuth.TokenExchange = true }))),
		rc("admin approved, not assigned, SAML bearer", StepFail, jsonErr("invalid_app_access", notAdmin),
			scen(evs(samlGrant()), adminApproved(), certificate(), approved())),
		rc("admin approved, assigned, SAML bearer", StepPass, okJSON, scen(evs(samlGrant()), adminApproved(), certificate(), onProfile())),
		rc("admin approved via a permission set group", StepPass, okRedirect,
			scen(evs(webServer()), adminApproved(), addPermSet("Sync Access", false, []string{tApp}), addGroup("Integrations", true, nil, "Sync Access"))).
			then(noteSays(1, "app.permittedUsers", "permission set group Integrations (permission set Sync Access)")),
		rc("admin approved via a group, JWT", StepPass, okJSON,
			scen(evs(jwtGrant()), adminApproved(), certificate(), addPermSet("Sync Access", false, []string{tApp}), addGroup("Integrations", true, nil, "Sync Access"))),
		rc("admin approved, group not assigned", StepFail, noRedirectErr("OAUTH_APP_ACCESS_DENIED", notAdmin),
			scen(evs(webServer()), adminApproved(), addPermSet("Sync Access", false, []string{tApp}), addGroup("Integrations", false, nil, "Sync Access"))).
			then(offersFix(1, ActorSubscriberAdmin, "Assign permission set group Integrations to ana@acme.test")),
		rc("admin approved, the group's muting permission set mutes the app", StepFail, noRedirectErr("OAUTH_APP_ACCESS_DENIED", notAdmin),
			scen(evs(webServer()), adminApproved(), addPermSet("Sync Access", false, []string{tApp}),
				addGroup("Integrations", true, &MutingPermissionSet{ConnectedApps: []string{tApp}}, "Sync Access"))).
			then(noteSays(1, "app.permittedUsers", "UNCONFIRMED"), offersFix(1, ActorSubscriberAdmin, "Assign permission set Sync Access to ana@acme.test")),
		rc("muting applies to the group only: the same permission set assigned directly still pre-authorizes", StepPass, okRedirect,
			scen(evs(webServer()), adminApproved(), addPermSet("Sync Access", true, []string{tApp}),
				addGroup("Integrations", true, &MutingPermissionSet{ConnectedApps: []string{tApp}}, "Sync Access"))),
		rc("admin approved, assigned, JWT", StepPass, okJSON, scen(evs(jwtGrant()), adminApproved(), certificate(), onProfile())),
		rc("admin approved on the installed app", StepFail, noRedirectErr("OAUTH_APP_ACCESS_DENIED", notAdmin),
			scen(evs(webServer()), foreignApp(), installed(Policies{PermittedUsers: "adminApproved"}))),
		rc("admin approved in an uninstalled app's definition does not apply", StepPass, okRedirect,
			scen(evs(webServer()), foreignApp(), adminApproved(), perms("approveUninstalledConnectedApps"))),
		rc("self-authorize, JWT without an approval", StepFail, jsonErr("invalid_grant", notApproved), scen(evs(jwtGrant()), certificate())),
		rc("self-authorize, JWT after approving", StepPass, okJSON, scen(evs(jwtGrant()), certificate(), approved())),
		rc("self-authorize, JWT after a web server approval", StepPass, okJSON, scen(evs(webServer(), jwtGrant()), certificate())),
		rc("token exchange without an approval", StepFail, jsonErr("invalid_grant", notApproved),
			scen(evs(exchangeGrant()), withApp(func(a *App) { a.OAuth.TokenExchange = true }))),
	}
}

func casesHighAssurance() []ruleCase {
	ha := "this app requires a high assurance session"
	level := func(v string) sopt { return policies(Policies{HighAssurance: v}) }
	return []ruleCase{
		rc("none", StepSkip, okRedirect, scen(evs(webServer()))),
		rc("block, authorize", StepFail, noRedirectErr("OAUTH_APP_BLOCKED", ha), scen(evs(webServer()), level("block"))),
		rc("block, JWT", StepFail, jsonErr("OAUTH_APP_BLOCKED", ha), scen(evs(jwtGrant()), level("block"), certificate(), approved())),
		rc("raiseSessionLevel, authorize: MFA step-up", StepPass, okRedirect, scen(evs(webServer()), level("raiseSessionLevel"))),
		rc("raiseSessionLevel, refresh", StepPass, okJSON, scen(append(codeFlow(), refreshGrant(use("t1"))), level("raiseSessionLevel"))),
		rc("raiseSessionLevel, JWT: no approval step, blocked", StepFail, jsonErr("OAUTH_APP_BLOCKED", ha),
			scen(evs(jwtGrant()), level("raiseSessionLevel"), certificate(), approved())),
	}
}

// issuedAt checks what event n (1-based) issued.
func issuedAt(n int, check func(is Issued) string) func(t *testing.T, res *Result) {
	return func(t *testing.T, res *Result) {
		t.Helper()
		if msg := check(res.Results[n-1].Issued); msg != "" {
			t.Errorf("event %d issued %+v: %s", n, res.Results[n-1].Issued, msg)
		}
	}
}

func casesScopes() []ruleCase {
	bad := "Requested scope is invalid, unknown, or malformed"
	flow := func(sc string) []Event { return codeFlow(scope(sc)) }
	refresh := func(wantRT bool) func(is Issued) string {
		return func(is Issued) string {
			if is.RefreshToken != wantRT {
				return "refresh token mismatch"
			}
			return ""
		}
	}
	return []ruleCase{
		rc("subset", StepPass, okRedirect, scen(evs(webServer(scope("api"))))).then(issuedAt(1, func(is Issued) string {
			if is.Scope != "api" || !is.Code {
				return "want a code for scope api"
			}
			return ""
		})),
		rc("no scope parameter: the app's scopes", StepPass, okRedirect, scen(evs(webServer()))).then(issuedAt(1, func(is Issued) string {
			if is.Scope != "api refresh_token" {
				return "want the app's scopes"
			}
			return ""
		})),
		rc("scope not on the app", StepFail, noRedirectErr("invalid_scope", bad), scen(evs(webServer(scope("api web"))))),
		rc("user-agent: scope not on the app", StepFail, fragmentErr("invalid_scope", bad), scen(evs(userAgent(scope("web"))), allowUserAgent())),
		rc("full does not cover refresh_token", StepFail, noRedirectErr("invalid_scope", bad),
			scen(evs(webServer(scope("full refresh_token"))), scopes("full"))),
		rc("full covers api", StepPass, okRedirect, scen(evs(webServer(scope("api"))), scopes("full"))),
		rc("full alone returns no refresh token", StepPass, okRedirect, scen(flow("full"), scopes("full", "refresh_token"))).
			event(1).then(issuedAt(2, refresh(false))),
		rc("full with refresh_token returns one", StepPass, okRedirect, scen(flow("full refresh_token"), scopes("full", "refresh_token"))).
			event(1).then(issuedAt(2, refresh(true))),
		rc("offline_access is refresh_token", StepPass, okRedirect, scen(flow("api offline_access"))).
			event(1).then(issuedAt(2, refresh(true))),
		rc("api without refresh_token returns no refresh token", StepPass, okRedirect, scen(flow("api"))).
			event(1).then(issuedAt(2, refresh(false))),
		rc("identity scopes are equivalent", StepPass, okRedirect, scen(evs(webServer(scope("profile email"))), scopes("api", "id"))),
		rc("identity scope not on the app", StepFail, noRedirectErr("invalid_scope", bad), scen(evs(webServer(scope("id"))))),
		rc("chatter_api is in api", StepPass, okRedirect, scen(evs(webServer(scope("chatter_api"))))),
		rc("openid returns an ID token", StepPass, okRedirect, scen(flow("openid api"), scopes("api", "openid"))).
			event(1).then(issuedAt(2, func(is Issued) string {
			if !is.IDToken || !is.AccessToken {
				return "want an ID token"
			}
			return ""
		})),
		rc("no openid, no ID token", StepPass, okRedirect, scen(flow("api"), scopes("api", "openid"))).
			event(1).then(issuedAt(2, func(is Issued) string {
			if is.IDToken {
				return "want no ID token"
			}
			return ""
		})),
		rc("openid not on the app", StepFail, noRedirectErr("invalid_scope", bad), scen(evs(webServer(scope("openid api"))))),
		rc("device grant, scope not on the app", StepFail, jsonErr("invalid_scope", bad),
			scen(evs(deviceGrant(scope("web"))), withApp(func(a *App) { a.OAuth.DeviceFlow = true }))),
	}
}

func casesClientCredentialScopes() []ruleCase {
	return []ruleCase{
		rc("no scope parameter", StepPass, okJSON, scen(evs(ccGrant()), clientCreds())).then(issuedAt(1, func(is Issued) string {
			if is.Scope != "api" || is.RefreshToken {
				return "want scope api and no refresh token"
			}
			return ""
		})),
		rc("scope parameter", StepFail, jsonErr("invalid_request", "scope parameter not supported"), scen(evs(ccGrant(scope("api"))), clientCreds())),
		rc("full only", StepFail, jsonErr("invalid_grant", "no valid scopes defined"), scen(evs(ccGrant()), clientCreds(), scopes("full"))),
		rc("full and refresh_token", StepFail, jsonErr("invalid_grant", "no valid scopes defined"),
			scen(evs(ccGrant()), clientCreds(), scopes("full", "refresh_token"))),
	}
}

func casesCodeValid() []ruleCase {
	invalid := jsonErr("invalid_grant", "invalid authorization code")
	other := func(s *Scenario) {
		s.Apps = append(s.Apps, App{Name: "Other App", OwnerOrg: tOrg, OAuth: OAuthConfig{ConsumerKey: "otherAppKey1", ConsumerSecret: "otherAppSecret1",
			CallbackURLs: []string{tCallback}, Scopes: []string{"api"}}})
	}
	return []ruleCase{
		rc("unused", StepPass, okJSON, scen(codeFlow())),
		rc("replayed: denied, and the first tokens are revoked", StepFail, invalid,
			scen(evs(webServer(id("a1")), codeGrant(id("t1"), use("a1")), apiCallEv(use("t1")),
				codeGrant(id("t2"), use("a1")), apiCallEv(use("t1")), refreshGrant(use("t1"))))).
			event(4).then(func(t *testing.T, res *Result) {
			resultAt(t, res, 3, okJSON)
			resultAt(t, res, 5, apiErr(401, "INVALID_SESSION_ID", "Session expired or invalid"))
			resultAt(t, res, 6, jsonErr("invalid_grant", "expired access/refresh token"))
		}),
		rc("expired at exactly 15m", StepFail, jsonErr("invalid_grant", "expired authorization code"),
			scen(evs(webServer(id("a1")), wait("15m"), codeGrant(use("a1"))))),
		rc("15m minus 1s", StepPass, okJSON, scen(evs(webServer(id("a1")), wait("14m59s"), codeGrant(use("a1"))))),
		rc("issued to another client", StepFail, invalid,
			scen(evs(webServer(id("a1"), appName(tApp)), codeGrant(use("a1"), clientID("otherAppKey1"))), other)),
		rc("the authorization was denied: no code", StepFail, invalid, scen(evs(webServer(id("a1"), consent("deny")), codeGrant(use("a1"))))),
	}
}

func casesCodeRedirect() []ruleCase {
	mismatch := jsonErr("redirect_uri_mismatch", "redirect_uri must match configuration")
	token := func(o ...eopt) []Event {
		return evs(webServer(id("a1")), codeGrant(append([]eopt{use("a1")}, o...)...))
	}
	return []ruleCase{
		rc("same redirect_uri", StepPass, okJSON, scen(token(redirect(tCallback)))),
		rc("omitted", StepPass, okJSON, scen(token())),
		rc("different", StepFail, mismatch, scen(token(redirect("https://app.acme.test/other")))),
		rc("trailing slash", StepFail, mismatch, scen(token(redirect(tCallback+"/")))),
	}
}

func casesCodePKCE() []ruleCase {
	flow := func(challenge bool, v string) []Event {
		a := webServer(id("a1"))
		if challenge {
			a.PKCE = ptr(true)
		}
		return evs(a, codeGrant(use("a1"), verifier(v)))
	}
	return []ruleCase{
		rc("verifier matches", StepPass, okJSON, scen(flow(true, "correct"))),
		rc("verifier missing", StepFail, jsonErr("invalid_grant", "invalid code verifier"), scen(flow(true, "missing"))),
		// Fact sheet §12: clients receive invalid_grant; the trace names the
		// older invalid_request of the API v47 page.
		rc("verifier wrong", StepFail, jsonErr("invalid_grant", "invalid code verifier"), scen(flow(true, "wrong"))).
			then(noteSays(2, "code.verifierError", "invalid_request")),
		rc("1-character verifier that matches: accepted, with a note", StepPass, okJSON,
			scen(evs(webServer(id("a1"), pkce(true)), codeGrant(use("a1"), verifierLength(1))))).
			then(noteSays(2, "code.verifierLength", "RFC 7636 requires 43-128")),
		rc("129-character verifier that does not match", StepFail, jsonErr("invalid_grant", "invalid code verifier"),
			scen(evs(webServer(id("a1"), pkce(true)), codeGrant(use("a1"), verifier("wrong"), verifierLength(129))))).
			then(noteSays(2, "code.verifierLength", "129 characters")),
		rc("43-character verifier: no note", StepPass, okJSON,
			scen(evs(webServer(id("a1"), pkce(true)), codeGrant(use("a1"), verifierLength(43))))).
			then(noNote(2, "code.verifierLength")),
		rc("no challenge, no verifier", StepSkip, okJSON, scen(flow(false, ""))),
		rc("verifier without a challenge is ignored", StepInfo, okJSON, scen(flow(false, "someVerifier"))),
	}
}

func casesRefreshValid() []ruleCase {
	expired := jsonErr("invalid_grant", "expired access/refresh token")
	rt := func(p string) sopt { return policies(Policies{RefreshTokenPolicy: p}) }
	after := func(waits ...string) []Event {
		e := codeFlow()
		for _, w := range waits {
			e = append(e, wait(w), refreshGrant(use("t1")))
		}
		return e
	}
	rotation := withApp(func(a *App) { a.OAuth.RefreshTokenRotation = true })
	return []ruleCase{
		rc("valid until revoked, a year later", StepPass, okJSON, scen(after("365d"))),
		rc("explicit validUntilRevoked", StepPass, okJSON, scen(after("365d"), rt("validUntilRevoked"))),
		rc("immediately expire: the current session goes on", StepFail, expired,
			scen(append(codeFlow(), refreshGrant(use("t1")), apiCallEv(use("t1"))), rt("immediatelyExpire"))).
			event(3).then(func(t *testing.T, res *Result) { resultAt(t, res, 4, grantedAs(DeliverJSON, 200)) }),
		rc("expireIfNotUsedFor:30d, 1s before", StepPass, okJSON, scen(after("719h59m59s"), rt("expireIfNotUsedFor:30d"))),
		rc("expireIfNotUsedFor:30d, at 30d", StepFail, expired, scen(after("30d"), rt("expireIfNotUsedFor:30d"))),
		rc("expireIfNotUsedFor:30d, 1s after", StepFail, expired, scen(after("720h0m1s"), rt("expireIfNotUsedFor:30d"))),
		rc("expireIfNotUsedFor:30d, each use restarts the window", StepPass, okJSON, scen(after("20d", "20d", "20d"), rt("expireIfNotUsedFor:30d"))),
		rc("expireAfter:90d, 1s before", StepPass, okJSON, scen(after("2159h59m59s"), rt("expireAfter:90d"))),
		rc("expireAfter:90d, at 90d", StepFail, expired, scen(after("90d"), rt("expireAfter:90d"))),
		rc("expireAfter:90d, 1s after", StepFail, expired, scen(after("2160h0m1s"), rt("expireAfter:90d"))),
		rc("expireAfter:90d, use does not extend it", StepFail, expired, scen(after("60d", "30d"), rt("expireAfter:90d"))),
		rc("the installed app's policy applies", StepFail, expired,
			scen(after("1m"), foreignApp(), installed(Policies{RefreshTokenPolicy: "immediatelyExpire"}))),
		rc("revoked", StepFail, expired, scen(append(codeFlow(), revokeEv(use("t1"), tokenKind("refresh")), refreshGrant(use("t1"))))),
		rc("rotation: the new refresh token works", StepPass, okJSON,
			scen(append(codeFlow(), refreshGrant(id("r1"), use("t1")), refreshGrant(use("r1"))), rotation)).
			then(issuedAt(3, func(is Issued) string {
				if !is.RefreshToken {
					return "rotation should issue a new refresh token"
				}
				return ""
			})),
		rc("rotation: reusing the old token revokes the family", StepFail, expired,
			scen(append(codeFlow(), refreshGrant(id("r1"), use("t1")), refreshGrant(id("r2"), use("t1")),
				refreshGrant(use("r1")), apiCallEv(use("r1"))), rotation)).
			event(4).then(func(t *testing.T, res *Result) {
			resultAt(t, res, 3, okJSON)
			resultAt(t, res, 5, expired)
			resultAt(t, res, 6, apiErr(401, "INVALID_SESSION_ID", "Session expired or invalid"))
		}),
		rc("no rotation: the same refresh token is kept", StepPass, okJSON,
			scen(append(codeFlow(), refreshGrant(id("r1"), use("t1")), refreshGrant(use("t1"))))).
			then(issuedAt(3, func(is Issued) string {
				if is.RefreshToken || !is.AccessToken {
					return "want only a new access token"
				}
				return ""
			})),
	}
}

func casesJWTCertificate() []ruleCase {
	return []ruleCase{
		rc("certificate uploaded", StepPass, okJSON, scen(evs(jwtGrant()), certificate(), approved())).then(issuedAt(1, func(is Issued) string {
			if !is.AccessToken || is.RefreshToken {
				return "JWT bearer returns an access token only"
			}
			return ""
		})),
		rc("no certificate", StepFail, jsonErr("invalid_grant", "invalid assertion"), scen(evs(jwtGrant()), approved())),
		rc("SAML bearer: no certificate", StepFail, jsonErr("invalid_grant", "invalid assertion"), scen(evs(samlGrant()), approved())),
		// The SAML bearer flow: decided like JWT bearer, an access token only
		// ("A refresh_token is never issued in this flow"), no signature.
		rc("SAML bearer: certificate uploaded", StepPass, okJSON, scen(evs(samlGrant()), certificate(), approved())).
			then(noteSays(1, "token.samlBearer", "like JWT bearer"), issuedAt(1, func(is Issued) string {
				if !is.AccessToken || is.RefreshToken {
					return "SAML bearer returns an access token only"
				}
				return ""
			}), func(t *testing.T, res *Result) {
				if b := res.Results[0].Response.Body; strings.Contains(b, "signature") || strings.Contains(b, "issued_at") {
					t.Errorf("SAML bearer body %s; want no signature or issued_at, as for JWT bearer", b)
				}
			}),
	}
}

func casesJWTAssertion() []ruleCase {
	bad := jsonErr("invalid_grant", "invalid assertion")
	j := func(a string) *Scenario { return scen(evs(jwtGrant(assertion(a))), certificate(), approved()) }
	return []ruleCase{
		rc("valid", StepPass, okJSON, j("valid")),
		rc("SAML bearer: valid", StepPass, okJSON, scen(evs(samlGrant(assertion("valid"))), certificate(), approved())),
		rc("SAML bearer: bad signature", StepFail, bad, scen(evs(samlGrant(assertion("badSignature"))), certificate(), approved())),
		rc("SAML bearer: NotOnOrAfter passed", StepPass, jsonErr("invalid_grant", "expired authorization code"),
			scen(evs(samlGrant(assertion("expired"))), certificate(), approved())),
		rc("SAML bearer: without an approval", StepPass, jsonErr("invalid_grant", "user hasn't approved this consumer"),
			scen(evs(samlGrant()), certificate())),
		rc("omitted means valid", StepPass, okJSON, j("")),
		rc("bad signature", StepFail, bad, j("badSignature")),
		rc("expired: the signature still verifies", StepPass, jsonErr("invalid_grant", "expired authorization code"), j("expired")),
	}
}

func casesJWTLifetime() []ruleCase {
	expired := jsonErr("invalid_grant", "expired authorization code")
	notYet := jsonErr("invalid_grant", "invalid assertion")
	const resign = "Sign a fresh assertion (exp within 3 minutes) with the key matching the app's certificate"
	j := func(o ...eopt) *Scenario { return scen(evs(jwtGrant(o...)), certificate(), approved()) }
	return []ruleCase{
		rc("no time claims given", StepPass, okJSON, j()),
		rc("exp 2m ahead", StepPass, okJSON, j(expOffset("2m"))),
		rc("exp exactly 3m ahead", StepPass, okJSON, j(expOffset("3m"))),
		// Salesforce's own CLI signs exp = Date.now()+300 (milliseconds as
		// seconds) and is accepted: caplab accepts a far exp with a note.
		rc("exp ten years ahead: accepted with a note", StepInfo, okJSON, j(expOffset("3650d"))).
			then(noteSays(1, "jwt.lifetime", "@salesforce/core")),
		// Fact sheet §12: expiry is "expired authorization code", not "invalid assertion".
		rc("assertion expired", StepFail, expired, j(assertion("expired"))).then(noteSays(1, "jwt.lifetime", "§12")),
		rc("exp passed 1m ago", StepFail, expired, j(expOffset("-1m"))).then(offersFix(1, ActorClient, resign)),
		rc("exp is now", StepFail, expired, j(expOffset("0s"))),
		rc("nbf 5m in the future", StepFail, notYet, j(nbfOffset("+5m"))).then(noteSays(1, "jwt.lifetime", "UNCONFIRMED"), offersFix(1, ActorClient, resign)),
		rc("nbf 30s ahead: within clock skew", StepPass, okJSON, j(nbfOffset("30s"))),
		rc("nbf in the past", StepPass, okJSON, j(nbfOffset("-1m"))),
		rc("iat 10m in the future", StepFail, notYet, j(iatOffset("10m"))),
		rc("iat now", StepPass, okJSON, j(iatOffset("0s"))),
		rc("replayed: accepted, with a note", StepPass, okJSON, j(withEvent(func(e *Event) { e.AssertionReplayed = true }))).
			then(noteSays(1, "jwt.replay", "UNCONFIRMED")),
		rc("expired before the other claims are read", StepFail, expired, j(expOffset("-5m"), nbfOffset("10m"))).then(offersFix(1, ActorClient, resign)),
	}
}

func expOffset(d string) eopt { return func(e *Event) { e.AssertionExpiresIn = d } }
func nbfOffset(d string) eopt { return func(e *Event) { e.AssertionNotBefore = d } }
func iatOffset(d string) eopt { return func(e *Event) { e.AssertionIssuedAt = d } }
func verifierLength(n int) eopt {
	return func(e *Event) { e.CodeVerifierLength = n }
}

// noteSays checks that event n (1-based) has a trace step of rule whose
// reason contains text.
func noteSays(n int, rule, text string) func(t *testing.T, res *Result) {
	return func(t *testing.T, res *Result) {
		t.Helper()
		got := res.Results[n-1]
		for _, s := range got.Trace {
			if s.Rule == rule && strings.Contains(s.Because, text) {
				return
			}
		}
		t.Errorf("event %d: no %s step saying %q\n%s", n, rule, text, traceText(got))
	}
}

// offersFix checks that event n (1-based) offers a fix by actor with this
// summary (fixes are verified before they are offered).
func offersFix(n int, actor, summary string) func(t *testing.T, res *Result) {
	return func(t *testing.T, res *Result) {
		t.Helper()
		if !slices.ContainsFunc(res.Results[n-1].Fixes, func(f Fix) bool { return f.Actor == actor && f.Summary == summary }) {
			t.Errorf("event %d: fix %s %q not offered; got %+v", n, actor, summary, res.Results[n-1].Fixes)
		}
	}
}

// noNote checks that event n (1-based) has no trace step of rule.
func noNote(n int, rule string) func(t *testing.T, res *Result) {
	return func(t *testing.T, res *Result) {
		t.Helper()
		if s := stepOf(res.Results[n-1], rule); s != "" {
			t.Errorf("event %d: unexpected %s step (%s)\n%s", n, rule, s, traceText(res.Results[n-1]))
		}
	}
}

func casesJWTAudience() []ruleCase {
	bad := jsonErr("invalid_grant", "Audience validation failed")
	j := func(a string, o ...sopt) *Scenario {
		return scen(evs(jwtGrant(aud(a))), append([]sopt{certificate(), approved()}, o...)...)
	}
	sites := withOrg(func(o *Org) {
		o.ExperienceSites = []string{"https://acme.my.site.com", "https://acme.my.site.com/partners/"}
	})
	return []ruleCase{
		rc("omitted: the right one", StepPass, okJSON, j("")),
		rc("correct", StepPass, okJSON, j("correct")),
		rc("correct for a sandbox", StepPass, okJSON, j("correct", sandbox())),
		rc("no aud claim", StepFail, bad, j("missing")).then(offersFix(1, ActorClient, "Set the assertion's aud to https://login.salesforce.com")),
		rc("login", StepPass, okJSON, j("https://login.salesforce.com")),
		rc("login with a trailing slash", StepPass, okJSON, j("https://login.salesforce.com/")),
		rc("test for a production org", StepFail, bad, j("https://test.salesforce.com")),
		rc("sandbox: test", StepPass, okJSON, j("https://test.salesforce.com", sandbox())),
		rc("scratch org: test", StepPass, okJSON, j("https://test.salesforce.com", withOrg(func(o *Org) { o.Type = "scratch" }))),
		rc("sandbox: login", StepFail, bad, j("https://login.salesforce.com", sandbox())),
		rc("Experience Cloud site the org declares", StepPass, okJSON, j("https://acme.my.site.com/", sites)),
		rc("declared site with a path prefix", StepPass, okJSON, j("https://acme.my.site.com/partners", sites)),
		rc("another path on a declared site", StepFail, bad, j("https://acme.my.site.com/other", sites)),
		rc("my.site.com host the org does not declare", StepFail, bad, j("https://acme.my.site.com")).
			then(noteSays(1, "jwt.audience", "experienceSites")),
		rc("force.com host", StepFail, bad, j("https://evil.force.com", sites)),
		rc("unrelated URL", StepFail, bad, j("https://evil.example")),
		// UNCONFIRMED (fact sheet item 15): caplab follows the official list.
		rc("My Domain is not on the official list", StepFail, bad, j("https://acme.my.salesforce.com")),
		rc("SAML bearer: Audience correct", StepPass, okJSON, scen(evs(samlGrant(aud("https://login.salesforce.com"))), certificate(), approved())),
		rc("SAML bearer: no Audience", StepFail, bad, scen(evs(samlGrant(aud("missing"))), certificate(), approved())),
	}
}

func casesJWTApprovedScopes() []ruleCase {
	notApproved := jsonErr("invalid_grant", "user hasn't approved this consumer")
	return []ruleCase{
		rc("approval includes api", StepPass, okJSON, scen(evs(jwtGrant()), certificate(), approved())),
		rc("approval of refresh_token only", StepFail, notApproved, scen(evs(jwtGrant()), certificate(), approved(), scopes("refresh_token"))),
		rc("web server approval with api", StepPass, okJSON, scen(evs(webServer(scope("api refresh_token")), jwtGrant()), certificate())),
		rc("web server approval of refresh_token only", StepFail, notApproved,
			scen(evs(webServer(scope("refresh_token")), jwtGrant()), certificate())),
		rc("admin approved", StepSkip, okJSON, scen(evs(jwtGrant()), certificate(), scopes("refresh_token"), adminApproved(), onProfile())),
	}
}

func casesSoapLogin() []ruleCase {
	off := soapErr("INVALID_OPERATION", "SOAP API login() is disabled by default in this org. Contact the org administrator to enable SOAP API login().")
	return []ruleCase{
		rc("org created 2025-10-10: on by default", StepPass, okSession, scen(evs(soapLoginEv()), created("2025-10-10"))),
		rc("org created 2025-10-11: off by default", StepFail, off, scen(evs(soapLoginEv()), created("2025-10-11"))),
		rc("new org, turned on", StepPass, okSession,
			scen(evs(soapLoginEv()), created("2025-10-11"), withOrg(func(o *Org) { o.Settings.SoapAPILogin = ptr(true) }))),
		rc("old org, turned off", StepFail, off,
			scen(evs(soapLoginEv()), withOrg(func(o *Org) { o.Settings.SoapAPILogin = ptr(false) }))),
		rc("1s before 2027-06-01", StepPass, okSession, scen(evs(soapLoginEv()), at("2027-05-31T23:59:59Z"))),
		rc("retired from 2027-06-01", StepFail, soapErr("UNSUPPORTED_API_VERSION", "login() is no longer available"),
			scen(evs(soapLoginEv()), at("2027-06-01T00:00:00Z"))),
	}
}

func casesSoapAPIVersion() []ruleCase {
	version := func(v string) eopt { return func(e *Event) { e.APIVersion = v } }
	gone := func(v string) want {
		return soapErr("INVALID_OPERATION", "The SOAP Login operation is not available in the API version specified ("+v+"). Refer to the documentation for supported versions.")
	}
	invalid := soapErr("UNSUPPORTED_API_VERSION", "Invalid Api version specified on URL")
	disabled := withOrg(func(o *Org) { o.Settings.SoapAPILogin = ptr(false) })
	return []ruleCase{
		rc("no version named", StepSkip, okSession, scen(evs(soapLoginEv()))),
		rc("64.0", StepPass, okSession, scen(evs(soapLoginEv(version("64.0"))))),
		rc("31.0", StepPass, okSession, scen(evs(soapLoginEv(version("31.0"))))),
		rc("65.0", StepFail, gone("65.0"), scen(evs(soapLoginEv(version("65.0"))))),
		rc("66.0", StepFail, gone("66.0"), scen(evs(soapLoginEv(version("66.0"))))),
		rc("65.0 before the org's switch is looked at", StepFail, gone("65.0"), scen(evs(soapLoginEv(version("65.0"))), disabled)),
		rc("64.0 in an org with login() off: the org's fault", StepPass, soapErr("INVALID_OPERATION",
			"SOAP API login() is disabled by default in this org. Contact the org administrator to enable SOAP API login()."),
			scen(evs(soapLoginEv(version("64.0"))), disabled)),
		rc("v prefix", StepFail, invalid, scen(evs(soapLoginEv(version("v64.0"))))),
		rc("no minor part", StepFail, invalid, scen(evs(soapLoginEv(version("64"))))),
		rc("minor part not 0", StepFail, invalid, scen(evs(soapLoginEv(version("64.1"))))),
		rc("leading zero", StepFail, invalid, scen(evs(soapLoginEv(version("064.0"))))),
		rc("sign", StepFail, invalid, scen(evs(soapLoginEv(version("+64.0"))))),
		rc("four digits", StepFail, invalid, scen(evs(soapLoginEv(version("1000.0"))))),
	}
}

func casesSoapAPIEnabled() []ruleCase {
	return []ruleCase{
		rc("API Enabled", StepPass, okSession, scen(evs(soapLoginEv()))),
		rc("API Enabled via permission set", StepPass, okSession,
			scen(evs(soapLoginEv()), withProfile(func(p *Profile) { p.Permissions = nil }), addPermSet("API", true, nil, "apiEnabled"))),
		rc("lacks API Enabled", StepFail, soapErr("API_CURRENTLY_DISABLED", "API is disabled for this User"),
			scen(evs(soapLoginEv()), withProfile(func(p *Profile) { p.Permissions = nil }))),
	}
}

func casesUseAnyAPIAuth() []ruleCase {
	need := soapErr("INSUFFICIENT_ACCESS", "user needs the Use Any API Auth permission to call login()")
	newOrg := func(date string) []sopt {
		return []sopt{created(date), at("2026-07-01T09:00:00Z"), withOrg(func(o *Org) { o.Settings.SoapAPILogin = ptr(true) })}
	}
	return []ruleCase{
		rc("org created 2026-06-12: not required", StepSkip, okSession, scen(evs(soapLoginEv()), newOrg("2026-06-12")...)),
		rc("org created 2026-06-13, lacks it", StepFail, need, scen(evs(soapLoginEv()), newOrg("2026-06-13")...)),
		rc("org created 2026-06-13, holds it", StepPass, okSession,
			scen(evs(soapLoginEv()), append(newOrg("2026-06-13"), perms("useAnyApiAuth"))...)),
		rc("older org that opted in", StepFail, need,
			scen(evs(soapLoginEv()), withOrg(func(o *Org) { o.Settings.SoapLoginRequiresUseAnyAPIAuth = ptr(true) }))),
	}
}

func outbound(opts ...eopt) Event { return mk(Event{Do: "outboundMessage", User: tUser}, opts) }

func casesOutbound() []ruleCase {
	const bob = "bob@acme.test"
	gone := deniedAs(DeliverNone, 0, "no_session_id", "outbound messages no longer include a session ID")
	return []ruleCase{
		rc("1s before 2026-02-23", StepPass, okSession, scen(evs(outbound()), at("2026-02-22T23:59:59Z"))),
		rc("from 2026-02-23", StepFail, gone, scen(evs(outbound()), at("2026-02-23T00:00:00Z"))),
		rc("1s after 2026-02-23", StepFail, gone, scen(evs(outbound()), at("2026-02-23T00:00:01Z"))),
		rc("explicitly included, after 2026-02-23", StepFail, gone,
			scen(evs(outbound(withEvent(func(e *Event) { e.IncludeSessionID = ptr(true) }))))),
		rc("Send Session ID unchecked", StepFail,
			deniedAs(DeliverNone, 0, "no_session_id", "Send Session ID is not checked on the outbound message"),
			scen(evs(outbound(withEvent(func(e *Event) { e.IncludeSessionID = ptr(false) }))), at("2026-01-05T00:00:00Z"))),
		rc("the session belongs to the User to Send as", StepPass, okSession,
			scen(evs(outbound(withEvent(func(e *Event) { e.SendAsUser = bob })), apiCallEv()), addUser(bob), at("2026-01-05T00:00:00Z"))).
			event(1).then(func(t *testing.T, res *Result) {
			// bob's profile lacks API Enabled; ana's has it.
			resultAt(t, res, 2, apiErr(403, "API_CURRENTLY_DISABLED", "API is disabled for this User"))
		}),
		rc("sent as ana, triggered by bob", StepPass, okSession,
			scen(evs(outbound(asUser(bob), withEvent(func(e *Event) { e.SendAsUser = tUser })), apiCallEv()), addUser(bob), at("2026-01-05T00:00:00Z"))).
			event(1).then(func(t *testing.T, res *Result) { resultAt(t, res, 2, grantedAs(DeliverJSON, 200)) }),
	}
}

func vfSession(ctx string) Event { return Event{Do: "visualforceSession", User: tUser, Context: ctx} }

func casesVisualforce() []ruleCase {
	return []ruleCase{
		rc("Visualforce page", StepPass, okSession, scen(evs(vfSession("visualforce"), apiCallEv()))).
			event(1).then(func(t *testing.T, res *Result) { resultAt(t, res, 2, grantedAs(DeliverJSON, 200)) }),
		rc("Lightning context: a session", StepInfo, okSession, scen(evs(vfSession("lightning"), apiCallEv()))).event(1),
		rc("Lightning session at the API", "", apiErr(401, "INVALID_SESSION_ID", "This session is not valid for use with the API"),
			scen(evs(vfSession("lightning"), apiCallEv()))),
		rc("deactivated user", "", deniedAs(DeliverNone, 0, "inactive_user", "User is inactive"),
			scen(evs(vfSession("visualforce")), withUser(func(u *User) { u.Active = ptr(false) }))),
	}
}

// TestDeliveryChannels: where each denial reaches the client, with the
// concrete Location or body.
func TestDeliveryChannels(t *testing.T) {
	for _, tc := range []struct {
		name     string
		s        *Scenario
		w        want
		location string
		body     string
	}{
		{"web server, after the callback check: redirect query with state",
			scen(evs(webServer(consent("deny"), withState("s1")))), noRedirectErr("access_denied", "end-user denied authorization"),
			tCallback + "?error=access_denied&error_description=end-user+denied+authorization&state=s1", ""},
		{"web server without state: none echoed",
			scen(evs(webServer(consent("deny"), withState("")))), noRedirectErr("access_denied", "end-user denied authorization"),
			tCallback + "?error=access_denied&error_description=end-user+denied+authorization", ""},
		{"web server to a callback with a query",
			scen(evs(webServer(consent("deny"), redirect(tCallback+"?t=1"))), withApp(func(a *App) { a.OAuth.CallbackURLs = []string{tCallback + "?t=1"} })),
			noRedirectErr("access_denied", "end-user denied authorization"),
			tCallback + "?t=1&error=access_denied&error_description=end-user+denied+authorization&state=xyz", ""},
		{"user-agent: fragment",
			scen(evs(userAgent(consent("deny"), withState("s1"))), allowUserAgent()), fragmentErr("access_denied", "end-user denied authorization"),
			tCallback + "#error=access_denied&error_description=end-user+denied+authorization&state=s1", ""},
		{"before the callback check: Salesforce error page",
			scen(evs(webServer(clientID("noSuchKey1")))), pageErr("invalid_client_id", "client identifier invalid"),
			errorPageURL + "error=invalid_client_id&error_description=client+identifier+invalid", ""},
		{"token endpoint: JSON 400",
			scen(evs(webServer(id("a1")), codeGrant(use("a1"), secret("wrong")))), jsonErr("invalid_client", "invalid client credentials"),
			"", `{"error":"invalid_client","error_description":"invalid client credentials"}`},
		{"token endpoint: the IP error",
			scen(evs(passwordGrant(from(tOutside))), allowPassword(), ipRanges(tRange)), jsonErr("invalid_grant", "ip restricted or invalid login hours"),
			"", `{"error":"invalid_grant","error_description":"ip restricted or invalid login hours"}`},
		{"SOAP login(): fault 500",
			scen(evs(soapLoginEv(password("wrong")))), soapErr("INVALID_LOGIN", dInvalidLogin),
			"", "<soapenv:Fault><faultcode>sf:INVALID_LOGIN</faultcode><faultstring>INVALID_LOGIN: " + dInvalidLogin + "</faultstring></soapenv:Fault>"},
		{"REST API: 401 error list",
			scen(evs(apiCallEv())), apiErr(401, "INVALID_SESSION_ID", "Session expired or invalid"),
			"", `[{"errorCode":"INVALID_SESSION_ID","message":"Session expired or invalid"}]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := evalEvent(t, tc.s, -1)
			checkResult(t, got, tc.w)
			var loc, body string
			if got.Response != nil {
				loc, body = got.Response.Location, got.Response.Body
			}
			if tc.location != "" && loc != tc.location {
				t.Errorf("Location\n got %q\nwant %q", loc, tc.location)
			}
			if tc.body != "" && body != tc.body {
				t.Errorf("body\n got %q\nwant %q", body, tc.body)
			}
		})
	}
}

// TestGrantedResponses: the success answer in each channel.
func TestGrantedResponses(t *testing.T) {
	res := evalScenario(t, scen(evs(webServer(id("a1"), scope("api refresh_token")), codeGrant(use("a1")), userAgent(withState("u1"))), allowUserAgent()))
	code := resultAt(t, res, 1, okRedirect)
	if loc := code.Response.Location; !strings.HasPrefix(loc, tCallback+"?code=aPrx") || !strings.HasSuffix(loc, "&state=xyz") {
		t.Errorf("code Location %q", loc)
	}
	if !code.Issued.Code || code.Issued.AccessToken {
		t.Errorf("authorize issued %+v; want a code only", code.Issued)
	}
	tok := resultAt(t, res, 2, okJSON)
	for _, k := range []string{`"access_token"`, `"refresh_token"`, `"instance_url": "https://acme.my.salesforce.com"`, `"token_type": "Bearer"`, `"scope": "api refresh_token"`, `"issued_at"`, `"signature"`} {
		if !strings.Contains(tok.Response.Body, k) {
			t.Errorf("token body lacks %s:\n%s", k, tok.Response.Body)
		}
	}
	ua := resultAt(t, res, 3, okFragment)
	if loc := ua.Response.Location; !strings.HasPrefix(loc, tCallback+"#") || !strings.Contains(loc, "access_token=") || !strings.Contains(loc, "state=u1") {
		t.Errorf("user-agent Location %q", loc)
	}
	// A user-agent flow to a web callback gets no refresh token.
	if ua.Issued.RefreshToken || !ua.Issued.AccessToken {
		t.Errorf("user-agent issued %+v", ua.Issued)
	}
	if slices.ContainsFunc(ua.Trace, func(s TraceStep) bool { return s.Outcome == StepFail }) {
		t.Errorf("granted event has a failing step:\n%s", traceText(ua))
	}
}

// The user-agent flow returns a refresh token only to a custom scheme or to
// Salesforce's own success page, and only with refresh_token granted.
func TestUserAgentRefreshToken(t *testing.T) {
	const success = "https://login.salesforce.com/services/oauth2/success"
	callbacks := withApp(func(a *App) { a.OAuth.CallbackURLs = []string{tCallback, "myapp://oauth/done", success} })
	for _, tc := range []struct {
		name, redirect, scope string
		refresh               bool
	}{
		{"web callback", tCallback, "api refresh_token", false},
		{"custom scheme", "myapp://oauth/done", "api refresh_token", true},
		{"Salesforce success page", success, "api refresh_token", true},
		{"custom scheme without refresh_token", "myapp://oauth/done", "api", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := evalEvent(t, scen(evs(userAgent(redirect(tc.redirect), scope(tc.scope))), callbacks, allowUserAgent()), -1)
			checkResult(t, got, okFragment)
			if got.Issued.RefreshToken != tc.refresh || !got.Issued.AccessToken {
				t.Errorf("issued %+v; want refresh token %v", got.Issued, tc.refresh)
			}
			if loc := got.Response.Location; strings.Contains(loc, "refresh_token=") != tc.refresh {
				t.Errorf("Location %q", loc)
			}
		})
	}
}
