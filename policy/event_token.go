package policy

import "slices"

// The token endpoint: one rule list per grant, answers as JSON. The SAML
// bearer grant is decided by the JWT bearer rules.
var (
	codeRules    = []rule{ruleHTTPS, ruleClientKnown, ruleClientSecret, ruleCodeValid, ruleCodeRedirect, ruleCodePKCE, ruleUserActive, ruleUserFrozen}
	refreshRules = []rule{ruleHTTPS, ruleClientKnown, ruleClientSecret, ruleRefreshValid, ruleUserActive, ruleUserFrozen,
		ruleBlocked, ruleLoginIP, ruleLoginHours, rulePermittedUsers, ruleHighAssurance}
	passwordRules = []rule{ruleHTTPS, ruleLoginHost, ruleClientKnown, ruleECANoPassword, ruleUsernamePasswordAllowed, ruleClientSecret,
		ruleUserLockout, ruleUserCredentials, ruleUserActive, ruleUserFrozen, ruleInstalled, ruleBlocked, ruleLoginIP, ruleLoginHours,
		rulePermittedUsers, ruleHighAssurance, ruleScopes}
	jwtRules = []rule{ruleHTTPS, ruleClientKnown, ruleJWTCertificate, ruleJWTAssertion, ruleJWTLifetime, ruleJWTAudience, ruleUserActive, ruleUserFrozen,
		ruleInstalled, ruleBlocked, ruleLoginIP, ruleLoginHours, rulePermittedUsers, ruleJWTApprovedScopes, ruleHighAssurance}
	clientCredentialRules = []rule{ruleHTTPS, ruleMyDomainOnly, ruleClientKnown, ruleClientCredentialsEnabled, ruleClientSecret,
		ruleClientCredentialScopes, ruleUserActive, ruleUserFrozen, ruleBlocked, ruleHighAssurance}
	deviceRules = []rule{ruleHTTPS, ruleClientKnown, ruleDeviceFlowEnabled, ruleInstalled, ruleBlocked, ruleUserActive, ruleUserFrozen,
		ruleUserLockout, ruleInteractiveUser, ruleLoginIP, ruleLoginHours, rulePermittedUsers, ruleHighAssurance, ruleScopes}
	tokenExchangeRules = []rule{ruleHTTPS, ruleClientKnown, ruleTokenExchangeEnabled, ruleClientSecret, ruleUserActive, ruleUserFrozen,
		ruleInstalled, ruleBlocked, rulePermittedUsers, ruleHighAssurance}
)

// bearer says whether the grant is an assertion (JWT or SAML bearer).
func (r *request) bearer() bool { return r.ev.Grant == "jwt_bearer" || r.ev.Grant == "saml_bearer" }

func token(r *request) {
	r.channel = DeliverJSON
	r.bindOrg(r.s.orgIndex(r.ev.Org))
	switch r.ev.Grant {
	case "authorization_code":
		r.bindUsed(func(a *artefact) bool { return a.code != nil })
		r.finishToken(codeRules, func(a *artefact) {
			c := r.used.code
			c.used = true
			a.access = r.issueAccess(c.grant)
			c.tokens = append(c.tokens, a.access)
			if r.refreshDecision() {
				a.refresh = r.issueRefresh(c.grant)
				c.refresh = a.refresh
			}
			r.idTokenNote()
		})
	case "refresh_token":
		r.bindUsed(func(a *artefact) bool { return a.refresh != nil })
		r.finishToken(refreshRules, r.refreshIssue)
	case "password":
		r.bindDirect()
		r.finishToken(passwordRules, func(a *artefact) {
			a.access = r.issueAccess(a.grant)
			r.note("token.refresh", "no refresh token: the username-password flow does not return one (community)", "", docUsernamePwd)
		})
	case "jwt_bearer", "saml_bearer":
		r.bindDirect()
		if r.ev.Grant == "saml_bearer" {
			r.note("token.samlBearer", "the SAML bearer assertion flow is decided like JWT bearer (fact sheet §2.3), by the jwt.* rules: the assertion's signature with the app's certificate, its NotOnOrAfter, its Audience, and a prior approval", r.eventPath("/grant"), docSAMLBearer)
		}
		r.finishToken(jwtRules, func(a *artefact) {
			a.access = r.issueAccess(a.grant)
			r.note("token.refresh", "no refresh token: the bearer assertion flows never return one; sign a new assertion instead", "", docJWT)
		})
	case "client_credentials":
		r.bindDirect()
		r.note("app.permittedUsers", "Permitted Users policies don't apply to the client credentials execution user", "", docClientCreds)
		r.finishToken(clientCredentialRules, func(a *artefact) {
			a.access = r.issueAccess(a.grant)
			if ok, _ := r.org.hasPermission(r.user, "apiOnlyUser"); !ok {
				r.note("app.clientCredentials.runAs", "the Run As user "+r.user.Username+" lacks API Only User; Salesforce recommends (the metadata doc says requires) an API-only execution user", "", docClientCreds)
			}
		})
	case "device":
		r.bindDirect()
		r.finishToken(deviceRules, func(a *artefact) {
			a.access = r.issueAccess(a.grant)
			if r.refreshDecision() {
				a.refresh = r.issueRefresh(a.grant)
			}
		})
	case "token_exchange":
		r.bindDirect()
		r.finishToken(tokenExchangeRules, func(a *artefact) {
			a.access = r.issueAccess(a.grant)
			r.note("token.refresh", "no refresh token (UNCONFIRMED for token exchange)", "", docTokenExchange)
		})
	default:
		r.res.Trace = append(r.res.Trace, TraceStep{Rule: "token.grantType", Outcome: StepFail, Because: "the token request has no grant_type", Setting: r.eventPath("/grant"), Doc: docFlowErrors})
		r.deny(&denial{err: errInvalidRequest, desc: descGrantTypeMissing, delivery: DeliverJSON, status: 400})
		r.res.Response = r.denialResponse()
	}
}

// bindDirect resolves the app and user named by the event itself.
func (r *request) bindDirect() {
	r.bindApp(r.clientApp())
	r.bindUser(r.ev.User)
}

// bindUsed resolves the earlier artefact the event uses and, through it,
// the org, app and user (the event's clientId may still override the app).
func (r *request) bindUsed(match func(*artefact) bool) {
	r.used = r.findUsed(match)
	var g *grant
	switch {
	case r.used == nil:
	case r.used.code != nil:
		g = r.used.code.grant
	case r.used.grant != nil:
		g = r.used.grant
	}
	if g == nil {
		r.bindApp(r.clientApp())
		r.bindUser(r.ev.User)
		return
	}
	if r.ev.Org == "" {
		r.bindOrg(r.s.orgIndex(g.org))
	}
	if r.ev.ClientID != "" {
		r.bindApp(r.s.appByKey(r.ev.ClientID))
	} else {
		r.bindApp(r.s.appIndex(g.app))
	}
	r.bindUser(g.user)
	r.granted = slices.Clone(g.scopes)
}

// findUsed is the artefact named by "use", else the latest that matches.
func (r *request) findUsed(match func(*artefact) bool) *artefact {
	if r.ev.Use != "" {
		for i := r.evIx - 1; i >= 0; i-- {
			if r.s.Events[i].ID == r.ev.Use {
				return r.st.issued[i]
			}
		}
		return nil
	}
	for i := r.evIx - 1; i >= 0; i-- {
		if a := r.st.issued[i]; a != nil && match(a) {
			return a
		}
	}
	return nil
}

// finishToken runs the grant's rules and, when they pass, issues tokens.
func (r *request) finishToken(rules []rule, issue func(a *artefact)) {
	if r.org == nil || !r.run(rules) {
		r.res.Response = r.denialResponse()
		return
	}
	g := r.grantFor()
	if r.interactive() {
		r.recordApproval(g)
	}
	a := &artefact{grant: g}
	issue(a)
	r.grantIssued(a, DeliverJSON)
}

// grantFor is the token family the new tokens join: the used artefact's
// grant for code and refresh, else a new one.
func (r *request) grantFor() *grant {
	if r.used != nil {
		if r.used.code != nil {
			return r.used.code.grant
		}
		if r.used.grant != nil {
			return r.used.grant
		}
	}
	if r.granted == nil {
		r.granted = slices.DeleteFunc(slices.Clone(r.app.OAuth.Scopes), func(s string) bool { return s == "refresh_token" || s == "offline_access" })
		if r.ev.Grant == "device" || r.ev.Grant == "password" {
			r.granted = slices.Clone(r.app.OAuth.Scopes)
		}
	}
	return r.newGrant(r.interactive())
}
