package policy

import (
	"slices"
	"strings"
)

// identityScopes all mean "Access the identity URL service".
var identityScopes = []string{"id", "profile", "email", "address", "phone"}

// scopeAllowed says whether the app's Selected OAuth Scopes cover s.
func scopeAllowed(s string, app []string) bool {
	has := func(x string) bool { return slices.Contains(app, x) }
	switch {
	case has(s):
		return true
	case s == "offline_access" || s == "refresh_token":
		return has("refresh_token") || has("offline_access") // full does not include refresh
	case slices.Contains(identityScopes, s) && slices.ContainsFunc(identityScopes, has):
		return true
	case s == "chatter_api" && has("api"):
		return true
	case s == "visualforce" && has("web"):
		return true
	case s == "openid":
		return false
	}
	return has("full") && slices.Contains(ScopeNames, s)
}

// The requested scopes must be a subset of the app's scopes.
var ruleScopes = rule{"scope.requested", docScopes, func(r *request) verdict {
	app := r.app.OAuth.Scopes
	if r.ev.Scope == nil {
		r.granted = slices.Clone(app)
		return pass("no scope parameter: the app's scopes are granted ("+strings.Join(app, " ")+")", r.appPath("/oauth/scopes"))
	}
	requested := strings.Fields(*r.ev.Scope)
	var bad []string
	for _, s := range requested {
		if !scopeAllowed(s, app) {
			bad = append(bad, s)
		}
	}
	if len(bad) > 0 {
		fixes := []Fix{fix(ActorClient, "Request only scopes the app has", replace(r.eventPath("/scope"), strings.Join(slices.DeleteFunc(slices.Clone(requested), func(s string) bool { return slices.Contains(bad, s) }), " ")))}
		ops := []PatchOp{}
		for _, s := range bad {
			if slices.Contains(ScopeNames, s) {
				ops = append(ops, add(r.appPath("/oauth/scopes/-"), s))
			}
		}
		if len(ops) == len(bad) {
			fixes = append(fixes, fix(ActorISVDeveloper, "Add "+strings.Join(bad, ", ")+" to the app's Selected OAuth Scopes", ops...))
		}
		return r.fail("requested scope "+strings.Join(bad, ", ")+" is not among the app's scopes ("+strings.Join(app, " ")+")",
			r.appPath("/oauth/scopes"), errInvalidScope, descInvalidScope, fixes...)
	}
	r.granted = requested
	return pass("requested scopes "+*r.ev.Scope+" are all among the app's scopes", r.appPath("/oauth/scopes"))
}}

// Client credentials takes no scope parameter and needs at least one usable
// scope on the app (full alone is rejected).
var ruleClientCredentialScopes = rule{"scope.clientCredentials", docClientCreds, func(r *request) verdict {
	if r.ev.Scope != nil {
		return r.fail("the client credentials request carries a scope parameter", r.eventPath("/scope"), errInvalidRequest, descScopeNotSupported,
			fix(ActorClient, "Drop the scope parameter", PatchOp{Op: "remove", Path: r.eventPath("/scope")}))
	}
	usable := slices.DeleteFunc(slices.Clone(r.app.OAuth.Scopes), func(s string) bool {
		return s == "full" || s == "refresh_token" || s == "offline_access"
	})
	if len(usable) == 0 {
		return r.fail("the app has no usable scope for client credentials (full alone is rejected)", r.appPath("/oauth/scopes"), errInvalidGrant, descNoValidScopes,
			fix(ActorISVDeveloper, "Add the api scope to the app", add(r.appPath("/oauth/scopes/-"), "api")))
	}
	r.granted = usable
	return pass("the app's scopes "+strings.Join(usable, " ")+" are granted", r.appPath("/oauth/scopes"))
}}

// wantsRefresh: the granted scopes ask for a refresh token and the app has
// refresh_token (or offline_access). full alone gives none.
func (r *request) wantsRefresh() bool {
	return slices.ContainsFunc(r.granted, func(s string) bool { return s == "refresh_token" || s == "offline_access" }) &&
		scopeAllowed("refresh_token", r.app.OAuth.Scopes)
}
