package policy

import "fmt"

// Setup → OAuth and OpenID Connect Settings → Allow OAuth User-Agent Flows.
var ruleUserAgentAllowed = rule{"org.allowUserAgentFlows", docBlockFlows, func(r *request) verdict {
	on, explicit := r.org.allowUserAgent()
	setting := r.orgPath("/settings/allowUserAgentFlows")
	if on {
		return pass("Allow OAuth User-Agent Flows is on"+defaultNote(explicit, r.org), setting)
	}
	return r.fail("Allow OAuth User-Agent Flows is off"+defaultNote(explicit, r.org)+"; the user-agent flow is blocked",
		setting, errUnsupportedResponseType, descUnsupportedResponseType,
		fix(ActorSubscriberAdmin, "Turn on Allow OAuth User-Agent Flows in "+r.org.Name, replace(setting, true)),
		fix(ActorClient, "Use the web server flow with PKCE instead", replace(r.eventPath("/flow"), "webServer"), replace(r.eventPath("/pkce"), true)))
}}

// Setup → OAuth and OpenID Connect Settings → Allow OAuth Username-Password Flows.
var ruleUsernamePasswordAllowed = rule{"org.allowUsernamePasswordFlows", docBlockFlows, func(r *request) verdict {
	on, explicit := r.org.allowUsernamePassword()
	setting := r.orgPath("/settings/allowUsernamePasswordFlows")
	if on {
		return pass("Allow OAuth Username-Password Flows is on"+defaultNote(explicit, r.org), setting)
	}
	return r.fail("Allow OAuth Username-Password Flows is off"+defaultNote(explicit, r.org)+"; Login History shows \"Username-Password Flow Disabled\"",
		setting, errInvalidGrant, descAuthFailure,
		fix(ActorSubscriberAdmin, "Turn on Allow OAuth Username-Password Flows in "+r.org.Name+" (insecure; prefer JWT bearer or client credentials)", replace(setting, true)))
}}

// defaultNote explains a switch left at the default of the org's creation date.
func defaultNote(explicit bool, o *Org) string {
	if explicit {
		return ""
	}
	return fmt.Sprintf(" (the default for an org created %s)", orgCreatedAt(o).Format("2006-01-02"))
}

// External client apps do not support the username-password flow.
var ruleECANoPassword = rule{"app.ecaNoUsernamePassword", docECAMigration, func(r *request) verdict {
	if !r.app.isECA() {
		return skip("connected apps support the username-password flow")
	}
	return r.fail("external client apps don't support the username-password flow", r.appPath("/kind"), errUnsupportedGrantType, descUnsupportedGrantType)
}}

// Require PKCE: the app's setting and the org-wide one both reject an
// authorization request without a code challenge.
var rulePKCERequired = rule{"app.requirePkce", docMetadata, func(r *request) verdict {
	sent := r.ev.PKCE != nil && *r.ev.PKCE
	orgOn := r.org.Settings.RequirePkce != nil && *r.org.Settings.RequirePkce
	if !r.app.OAuth.RequirePkce && !orgOn {
		if sent {
			return pass("a PKCE code challenge was sent (not required)", r.eventPath("/pkce"))
		}
		return skip("neither the app nor the org requires PKCE")
	}
	setting := r.appPath("/oauth/requirePkce")
	if !r.app.OAuth.RequirePkce {
		setting = r.orgPath("/settings/requirePkce")
	}
	if sent {
		return pass("PKCE is required and a code challenge was sent", setting)
	}
	// Observed as a raw body from /authorize rather than a redirect.
	return r.failOn(DeliverErrorPage, 400, "PKCE is required and the request has no code_challenge", setting,
		errInvalidRequest, descMissingChallenge,
		fix(ActorClient, "Send a PKCE code_challenge (S256)", add(r.eventPath("/pkce"), true)))
}}

// Enable Client Credentials Flow, with a Run As user.
var ruleClientCredentialsEnabled = rule{"app.clientCredentials", docClientCreds, func(r *request) verdict {
	cc := r.app.OAuth.ClientCredentials
	setting := r.appPath("/oauth/clientCredentials")
	enable := fix(ActorISVDeveloper, "Enable the client credentials flow and set a Run As user",
		replace(setting, map[string]any{"enabled": true, "runAs": r.firstAPIUser()}))
	if !cc.Enabled {
		return r.fail("Enable Client Credentials Flow is off (UNCONFIRMED: reports differ on the error; caplab uses the most reported one)",
			setting+"/enabled", errInvalidGrant, descNoCCUser, enable)
	}
	if cc.RunAs == "" {
		return r.fail("the client credentials flow is enabled but no Run As user is set", setting+"/runAs", errInvalidGrant, descNoCCUser, enable)
	}
	if !r.manageable() {
		return r.fail("the Run As user is set in the app's policies in "+r.org.Name+", which exist only once the app is installed there",
			r.orgPath("/installedApps"), errInvalidGrant, descNoCCUser,
			fix(ActorSubscriberAdmin, "Install "+r.app.Name+" in "+r.org.Name, add(r.orgPath("/installedApps/-"), map[string]any{"app": r.app.Name})))
	}
	r.bindUser(cc.RunAs)
	if r.user == nil {
		return r.fail("Run As user "+cc.RunAs+" does not exist in "+r.org.Name, setting+"/runAs", errInvalidGrant, descNoCCUser)
	}
	return pass("client credentials flow enabled, running as "+cc.RunAs, setting)
}}

// firstAPIUser suggests a run-as user for a fix.
func (r *request) firstAPIUser() string {
	for _, u := range r.org.Users {
		if ok, _ := r.org.hasPermission(&u, "apiOnlyUser"); ok {
			return u.Username
		}
	}
	if len(r.org.Users) > 0 {
		return r.org.Users[0].Username
	}
	return ""
}

// Enable for Device Flow.
var ruleDeviceFlowEnabled = rule{"app.deviceFlow", docDevice, func(r *request) verdict {
	if r.app.OAuth.DeviceFlow {
		return pass("Enable for Device Flow is on", r.appPath("/oauth/deviceFlow"))
	}
	return r.fail("Enable for Device Flow is off (UNCONFIRMED error string)", r.appPath("/oauth/deviceFlow"), errDeviceDisabled, descDeviceDisabled,
		fix(ActorISVDeveloper, "Turn on Enable for Device Flow", replace(r.appPath("/oauth/deviceFlow"), true)))
}}

// Enable Token Exchange Flow.
var ruleTokenExchangeEnabled = rule{"app.tokenExchange", docTokenExchange, func(r *request) verdict {
	if r.app.OAuth.TokenExchange {
		return pass("Enable Token Exchange Flow is on", r.appPath("/oauth/tokenExchange"))
	}
	return r.fail("Enable Token Exchange Flow is off (UNCONFIRMED error string)", r.appPath("/oauth/tokenExchange"), errInvalidGrant, descTokenExchangeOff,
		fix(ActorISVDeveloper, "Turn on Enable Token Exchange Flow", replace(r.appPath("/oauth/tokenExchange"), true)))
}}
