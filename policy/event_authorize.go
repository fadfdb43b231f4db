package policy

import (
	"net/url"
	"slices"
	"strings"
)

// The authorization endpoint, in Salesforce's evaluation order: host,
// client, flow switches, callback (errors after it are redirected), the
// installation restriction, block, user, IP, Permitted Users, session
// policy and scopes.
var (
	webServerRules = []rule{ruleHTTPS, ruleLoginHost, ruleClientKnown, rulePKCERequired, ruleCallback,
		ruleInstalled, ruleBlocked, ruleUserActive, ruleUserFrozen, ruleUserLockout, ruleInteractiveUser, ruleLoginIP, ruleLoginHours,
		rulePermittedUsers, ruleHighAssurance, ruleScopes}
	userAgentRules = []rule{ruleHTTPS, ruleLoginHost, ruleClientKnown, ruleUserAgentAllowed, ruleCallback,
		ruleInstalled, ruleBlocked, ruleUserActive, ruleUserFrozen, ruleUserLockout, ruleInteractiveUser, ruleLoginIP, ruleLoginHours,
		rulePermittedUsers, ruleHighAssurance, ruleScopes}
)

func authorize(r *request) {
	r.channel = DeliverErrorPage
	r.bindOrg(r.s.orgIndex(r.ev.Org))
	r.bindApp(r.clientApp())
	r.bindUser(r.ev.User)
	rules := webServerRules
	if r.ev.Flow == "userAgent" {
		rules = userAgentRules
	}
	if r.org == nil || !r.run(rules) {
		r.res.Response = r.denialResponse()
		return
	}
	g := r.newGrant(true)
	r.recordApproval(g)
	a := &artefact{grant: g}
	if r.ev.Flow == "userAgent" {
		a.access = r.issueAccess(g)
		if r.userAgentRefresh() {
			a.refresh = r.issueRefresh(g)
		}
		r.idTokenNote()
		r.grantIssued(a, DeliverRedirectFragment)
		return
	}
	pkce := r.ev.PKCE != nil && *r.ev.PKCE
	a.code = &authCode{grant: g, issuedAt: r.now, redirectURI: r.redirectURI, challenge: pkce, clientKey: r.app.consumerKey()}
	r.note("code.issued", "authorization code issued, single use, valid "+formatDuration(authCodeLifetime)+" (lifetime UNCONFIRMED)", "", docWebServer)
	r.grantIssued(a, DeliverRedirect)
}

// clientApp is the app the client_id names: the event's clientId override,
// else the named (or only) app.
func (r *request) clientApp() int {
	if r.ev.ClientID != "" {
		return r.s.appByKey(r.ev.ClientID)
	}
	return r.s.appIndex(r.ev.App)
}

// The user-agent flow returns a refresh token only when the redirect URI is
// a custom scheme or exactly the Salesforce success page.
func (r *request) userAgentRefresh() bool {
	if !r.wantsRefresh() {
		r.note("token.refresh", "no refresh token: the granted scopes don't include refresh_token or offline_access", r.appPath("/oauth/scopes"), docScopes)
		return false
	}
	u, _ := url.Parse(r.redirectURI)
	success := "https://login.salesforce.com/services/oauth2/success"
	if r.org.isSandbox() || r.org.Type == "scratch" {
		success = "https://test.salesforce.com/services/oauth2/success"
	}
	if r.redirectURI == success || (u != nil && u.Scheme != "https" && u.Scheme != "http") {
		r.note("token.refresh", "refresh token issued: the user-agent flow redirects to "+r.redirectURI+" (custom scheme or the Salesforce success page)", r.eventPath("/redirectUri"), docUserAgent)
		return true
	}
	r.note("token.refresh", "no refresh token: the user-agent flow issues one only to a custom-scheme redirect or "+success, r.eventPath("/redirectUri"), docUserAgent)
	return false
}

func (r *request) idTokenNote() {
	if slices.Contains(r.granted, "openid") {
		r.note("token.idToken", "openid was granted, so an id_token is returned", r.appPath("/oauth/scopes"), docScopes)
	}
}

// refreshDecision says whether a refresh token comes with the tokens, and
// notes why in the trace.
func (r *request) refreshDecision() bool {
	if r.wantsRefresh() {
		r.note("token.refresh", "refresh token issued: refresh_token/offline_access granted and the flow supports it", r.appPath("/oauth/scopes"), docScopes)
		return true
	}
	why := "the granted scopes (" + strings.Join(r.granted, " ") + ") don't include refresh_token or offline_access"
	if slices.Contains(r.granted, "full") {
		why += "; full does not imply a refresh token"
	}
	r.note("token.refresh", "no refresh token: "+why, r.appPath("/oauth/scopes"), docScopes)
	return false
}
