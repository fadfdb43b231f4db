package policy

import "strconv"

// A deactivated user can't log in or use tokens. The token endpoint
// answers invalid_grant "inactive user" at run time (fact sheet §12); the
// documented inactive_user "User is inactive" stays for the authorize
// endpoint (the user-agent flow's error list).
var ruleUserActive = rule{"user.active", docFlowErrors, func(r *request) verdict {
	if r.user == nil {
		return r.loginFailed("no user "+quote(r.ev.User)+" in "+r.org.Name, r.eventPath("/user"))
	}
	if r.user.isActive() {
		return pass(r.user.Username+" is active", r.userPath("/active"))
	}
	reactivate := fix(ActorSubscriberAdmin, "Reactivate "+r.user.Username, replace(r.userPath("/active"), true))
	if r.ev.Do == "token" {
		return r.fail(r.user.Username+" is deactivated: the token endpoint answers invalid_grant \"inactive user\" at run time (restforce#303, fact sheet §12); the documented inactive_user \"User is inactive\" is the authorize endpoint's",
			r.userPath("/active"), errInvalidGrant, descInactiveUserToken, reactivate)
	}
	return r.fail(r.user.Username+" is deactivated", r.userPath("/active"), errInactiveUser, descInactiveUser, reactivate)
}}

// The OAuth login and approval pages are Salesforce UI. A user who cannot
// use the UI there sees "Insufficient Privileges" on the Salesforce page:
// API Only users (documented), users without a password and admins
// logged in as the user through "Login As" (both UNCONFIRMED, as the seed
// says). Login As works when the user is pre-authorized: pre-authorization
// skips the approval step (the seed; fact sheet §12).
var ruleInteractiveUser = rule{"user.canApprove", docAPIOnly, func(r *request) verdict {
	if ok, at := r.org.hasPermission(r.user, "apiOnlyUser"); ok {
		return r.failOn(DeliverErrorPage, 200, r.user.Username+" has API Only User, so can't use the Salesforce UI where OAuth login and approval happen",
			r.orgPath(at), errInsufficientPrivs, descInsufficientPrivs,
			fix(ActorClient, "Use a non-interactive flow for this integration user (JWT bearer with pre-authorization, or client credentials)", replace(r.eventPath("/grant"), "jwt_bearer"), replace(r.eventPath("/do"), "token")))
	}
	if !r.user.hasPassword() {
		r.note("user.canApprove.unconfirmed", "UNCONFIRMED: no Salesforce source ties a missing password to Insufficient Privileges; caplab follows the reported behaviour", "", docFlowErrors)
		return r.failOn(DeliverErrorPage, 200, r.user.Username+" has no password set, so the OAuth approval page answers Insufficient Privileges",
			r.userPath("/hasPassword"), errInsufficientPrivs, descInsufficientPrivs, r.resetPasswordFix())
	}
	if !r.ev.LoginAs {
		return pass(r.user.Username+" can log in to the UI and approve apps", r.userPath(""))
	}
	pu, _ := r.policy("permittedUsers")
	if via, viaAt := r.org.adminApprovedVia(r.user, r.app.Name); pu == "adminApproved" && via != "" {
		return pass("an admin is logged in as "+r.user.Username+" (\"Login As\"), but "+r.app.Name+" is pre-authorized for them via "+via+
			": pre-authorization \"skips the authorization flow entirely\" (the seed; fact sheet §12), so there is no approval step to refuse", r.orgPath(viaAt))
	}
	r.note("user.canApprove.unconfirmed", "UNCONFIRMED: no Salesforce source ties \"Login As\" to Insufficient Privileges; caplab follows the reported behaviour", "", docLoginAs)
	fixes := []Fix{fix(ActorUser, "Log out of \"Login As\" and let "+r.user.Username+" authorize the app themselves", replace(r.eventPath("/loginAs"), false))}
	if pu == "adminApproved" {
		fixes = append(fixes, r.assignFixes()...)
	} else if f, ok := r.preAuthorizeFix(); ok {
		fixes = append(fixes, f)
	}
	return r.failOn(DeliverErrorPage, 200, "an admin is logged in as "+r.user.Username+" (\"Login As\") and "+r.app.Name+" is not pre-authorized for them; OAuth approval as another user answers Insufficient Privileges",
		r.eventPath("/loginAs"), errInsufficientPrivs, descInsufficientPrivs, fixes...)
}}

// resetPasswordFix gives a user without a password one: the admin's Reset
// Password, whose email the user completes (fact sheet §12, the seed).
func (r *request) resetPasswordFix() Fix {
	return fix(ActorSubscriberAdmin, "Reset "+r.user.Username+"'s password (Setup → Users → Reset Password); the user completes the email step",
		replace(r.userPath("/hasPassword"), true))
}

// The username-password flow and SOAP login() check the password and,
// from outside the profile's login IP ranges and the org's trusted IP
// ranges (Network Access), the security token appended to it. A wrong
// password counts towards the user's lockout; a right one clears the count.
var ruleUserCredentials = rule{"user.credentials", docUsernamePwd, func(r *request) verdict {
	if r.user == nil {
		return r.fail("no user "+quote(r.ev.User)+" in "+r.org.Name, r.eventPath("/user"), errInvalidGrant, descAuthFailure)
	}
	correct := fix(ActorClient, "Send the user's current password", PatchOp{Op: "remove", Path: r.eventPath("/password")})
	if !r.user.hasPassword() {
		return r.fail(r.user.Username+" has no password", r.userPath("/hasPassword"), errInvalidGrant, descAuthFailure, r.resetPasswordFix())
	}
	k := userKey{r.org.Name, r.user.Username}
	if pw := credential(r.ev.Password, r.user.Password); pw != "correct" {
		r.st.loginFailed(r.org, r.user.Username, r.now)
		return r.fail("the password is "+pw+" (a wrong password counts towards the lockout)", r.eventPath("/password"), errInvalidGrant, descAuthFailure, correct)
	}
	if l := r.st.lockouts[k]; l != nil {
		l.failures = 0
	}
	ranges, _ := r.org.loginIPRanges(r.user)
	switch ip := r.ev.FromIP; {
	case ip != "" && ipInRanges(ip, ranges):
		return pass("password correct; "+ip+" is in the profile's login IP ranges, so no security token is needed", r.eventPath("/password"))
	case ip != "" && ipInRanges(ip, r.org.Settings.TrustedIPRanges):
		return pass("password correct; "+ip+" is in the org's trusted IP ranges (Network Access), so no security token is needed", r.orgPath("/settings/trustedIpRanges"))
	}
	if tok := credential(r.ev.SecurityToken, r.user.SecurityToken); tok != "correct" {
		fixes := []Fix{fix(ActorClient, "Append the user's current security token to the password", PatchOp{Op: "remove", Path: r.eventPath("/securityToken")})}
		if r.ev.FromIP != "" {
			fixes = append(fixes, fix(ActorSubscriberAdmin, "Add "+r.ev.FromIP+" to "+r.org.Name+"'s trusted IP ranges (Setup → Network Access)",
				add(r.orgPath("/settings/trustedIpRanges/-"), IPRange{r.ev.FromIP, r.ev.FromIP})))
		}
		return r.fail("from outside the profile's login IP ranges and the org's trusted IP ranges the password must be followed by the security token, which is "+tok,
			r.eventPath("/securityToken"), errInvalidGrant, descAuthFailure, fixes...)
	}
	return pass("password and security token correct", r.eventPath("/password"))
}}

// Profile login IP ranges apply unless the app's IP Relaxation policy
// relaxes them; relaxing needs the app installed (policies are editable
// only then).
var ruleLoginIP = rule{"user.loginIpRanges", docIPRelaxation, func(r *request) verdict {
	ranges, pi := r.org.loginIPRanges(r.user)
	if len(ranges) == 0 {
		return skip("the profile has no login IP ranges")
	}
	setting := r.orgPath("/profiles/" + strconv.Itoa(pi) + "/loginIpRanges")
	if r.ev.FromIP == "" {
		return skip("the request names no source address (fromIp)")
	}
	if ipInRanges(r.ev.FromIP, ranges) {
		return pass(r.ev.FromIP+" is inside the profile's login IP ranges", setting)
	}
	relax, relaxAt := r.policy("ipRelaxation")
	switch {
	case r.ev.Grant == "client_credentials":
		return skip("IP restrictions of the run-as user are not checked for client credentials (UNCONFIRMED)")
	case r.bearer(): // denied below, whatever the policy
	case relax == "relax":
		return pass(r.ev.FromIP+" is outside the ranges, but IP Relaxation is \"Relax IP restrictions\"", relaxAt)
	case relax == "enforceRelaxRefresh" && r.ev.Grant == "refresh_token":
		return pass(r.ev.FromIP+" is outside the ranges, but the policy relaxes IP restrictions for refresh tokens", relaxAt)
	case relax == "relaxForActivatedDevices" && (r.ev.Flow == "webServer" || r.ev.Grant == "authorization_code" || r.ev.Grant == "refresh_token"):
		return pass(r.ev.FromIP+" is outside the ranges; \"Relax IP restrictions for activated devices\" bypasses them for the web server flow after device activation (simplified)", relaxAt)
	}
	because := r.ev.FromIP + " is outside profile " + r.user.Profile + "'s login IP ranges and IP Relaxation is " + quote(relax)
	fixes := []Fix{}
	switch {
	case r.bearer():
		because += "; the SAML bearer assertion and JWT bearer flows always enforce IP restrictions, whatever the app's IP Relaxation (Salesforce Help, Connected App IP Relaxation)"
	case r.manageable():
		fixes = append(fixes, fix(ActorSubscriberAdmin, "Set IP Relaxation to \"Relax IP restrictions\" for "+r.app.Name, policyPatch(r, "ipRelaxation", "relax")...))
	default:
		because += "; the policy can't be relaxed until the app is installed"
		fixes = append(fixes, fix(ActorSubscriberAdmin, "Install "+r.app.Name+" and set IP Relaxation to \"Relax IP restrictions\"",
			add(r.orgPath("/installedApps/-"), map[string]any{"app": r.app.Name, "policies": map[string]any{"ipRelaxation": "relax"}})))
	}
	fixes = append(fixes, fix(ActorSubscriberAdmin, "Add "+r.ev.FromIP+" to profile "+r.user.Profile+"'s login IP ranges",
		add(setting+"/-", map[string]any{"start": r.ev.FromIP, "end": r.ev.FromIP})))
	return r.fail(because, relaxAt+orIfEmpty(relaxAt, setting), errInvalidGrant, descIPRestricted, fixes...)
}}

func orIfEmpty(a, b string) string {
	if a == "" {
		return b
	}
	return ""
}

// policyPatch sets one policy field where the subscriber admin edits it,
// creating the policies object when the app definition has none.
func policyPatch(r *request, field, value string) []PatchOp {
	pol := &r.app.Policies
	if r.inst != nil {
		pol = &r.inst.Policies
	}
	if *pol == (Policies{}) {
		parent := r.policyPath(field)
		parent = parent[:len(parent)-len(field)-1]
		return []PatchOp{add(parent, map[string]any{field: value})}
	}
	return []PatchOp{add(r.policyPath(field), value)}
}
