package policy

import (
	"strconv"
	"strings"
)

// One of the three ways to a session ID without a connected app (with
// outboundMessage and visualforceSession).

// soapLogin: SOAP login() with username, password and security token.
var soapLoginRules = []rule{ruleSoapAPIVersion, ruleSoapLoginEnabled, ruleUserLockout, ruleSoapCredentials, ruleSoapUserActive, ruleUserFrozen,
	ruleSoapLoginIP, ruleLoginHours, ruleSoapAPIEnabled, ruleSoapUseAnyAPIAuth}

func soapLogin(r *request) {
	r.channel = DeliverSoapFault
	r.bindOrg(r.s.orgIndex(r.ev.Org))
	r.bindUser(r.ev.User)
	r.res.Risk = storedCredentialsRisk()
	if r.org == nil || !r.run(soapLoginRules) {
		r.res.Response = r.denialResponse()
		return
	}
	r.grantSession(true, "")
}

// soapLoginLastVersion is the last API version with login() (fact sheet §8:
// not available in 65.0 and later).
const soapLoginLastVersion = 64

// The version in the endpoint's URL is checked before the org's settings:
// an unknown one is refused outright, and login() is gone from API 65.0.
var ruleSoapAPIVersion = rule{"soap.apiVersion", docSoapLoginCall, func(r *request) verdict {
	v := r.ev.APIVersion
	setting := r.eventPath("/apiVersion")
	if v == "" {
		return skip("the request names no API version (apiVersion); caplab takes one that has login()")
	}
	last := strconv.Itoa(soapLoginLastVersion) + ".0"
	major, ok := soapAPIMajor(v)
	if !ok {
		return r.fail(quote(v)+" is not an API version such as "+last+" (no v prefix)", setting, errUnsupportedAPIVersion, descInvalidAPIVersion,
			fix(ActorClient, "Call login() at /services/Soap/u/"+last, replace(setting, last)))
	}
	if major <= soapLoginLastVersion {
		return pass("API "+v+" has login() (it is gone from 65.0)", setting)
	}
	r.note("soap.apiVersion.unconfirmed", "UNCONFIRMED: the fault's words come from one runtime report (forcedotcom/wsc#363), not the fact sheet", setting, docSoapLogin)
	return r.fail("login() is not available in API 65.0 and later; the request calls it at "+v, setting,
		errSoapLoginNotInVersion, strings.Replace(descSoapLoginNotInVersion, versionPlaceholder, v, 1),
		fix(ActorClient, "Call login() with API "+last+" until the integration moves to OAuth (JWT bearer or client credentials)", replace(setting, last)))
}}

// soapAPIMajor is the major number of an API version such as "64.0".
func soapAPIMajor(v string) (int, bool) {
	whole, ok := strings.CutSuffix(v, ".0")
	if !ok || whole == "" || len(whole) > 3 || whole[0] == '0' {
		return 0, false
	}
	for _, c := range whole {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(whole)
	return n, err == nil
}

var ruleSoapLoginEnabled = rule{"org.soapApiLogin", docSoapLogin, func(r *request) verdict {
	on, explicit := r.org.soapLoginEnabled()
	setting := r.orgPath("/settings/soapApiLogin")
	if soapRetirement := day(2027, 6, 1); !r.now.Before(soapRetirement) {
		return r.fail("SOAP login() in API 31.0–64.0 is retired from Summer '27 ("+soapRetirement.Format("2006-01-02")+"), and 65.0+ never had it", setting,
			errUnsupportedAPIVersion, descSoapLoginRetired)
	}
	if on {
		return pass("Enable SOAP API login() is on"+defaultNote(explicit, r.org), setting)
	}
	return r.fail("Enable SOAP API login() is off"+defaultNote(explicit, r.org)+" (off by default in orgs created Winter '26 or later)", setting,
		errSoapLoginDisabled, descSoapLoginDisabled,
		fix(ActorSubscriberAdmin, "Turn on Enable SOAP API login() (Setup → User Interface)", replace(setting, true)))
}}

var ruleSoapCredentials = rule{"user.credentials", docSoapLoginCall, func(r *request) verdict {
	v := ruleUserCredentials.check(r)
	if v.deny != nil {
		v.deny.err, v.deny.desc = errInvalidLogin, descInvalidLogin
		if r.user != nil && credential(r.ev.Password, r.user.Password) == "correct" && credential(r.ev.SecurityToken, r.user.SecurityToken) == "missing" {
			v.deny.err, v.deny.desc = errMustUseSecurityToken, descMustUseSecurityToken
		}
	}
	return v
}}

var ruleSoapUserActive = rule{"user.active", docSoapLoginCall, func(r *request) verdict {
	if r.user.isActive() {
		return pass(r.user.Username+" is active", r.userPath("/active"))
	}
	return r.fail(r.user.Username+" is deactivated", r.userPath("/active"), errInvalidLogin, descInvalidLogin,
		fix(ActorSubscriberAdmin, "Reactivate "+r.user.Username, replace(r.userPath("/active"), true)))
}}

// Profile login IP ranges apply to login() with no app to relax them; the
// fault is the generic INVALID_LOGIN (Login History: "Restricted IP").
var ruleSoapLoginIP = rule{"user.loginIpRanges", docSoapLoginCall, func(r *request) verdict {
	ranges, pi := r.org.loginIPRanges(r.user)
	switch {
	case len(ranges) == 0:
		return skip("the profile has no login IP ranges")
	case r.ev.FromIP == "":
		return skip("the request names no source address (fromIp)")
	}
	setting := r.orgPath("/profiles/" + strconv.Itoa(pi) + "/loginIpRanges")
	if ipInRanges(r.ev.FromIP, ranges) {
		return pass(r.ev.FromIP+" is inside the profile's login IP ranges", setting)
	}
	return r.fail(r.ev.FromIP+" is outside profile "+r.user.Profile+"'s login IP ranges; SOAP login() has no connected app whose IP Relaxation could apply (Login History: Restricted IP)",
		setting, errInvalidLogin, descInvalidLogin,
		fix(ActorSubscriberAdmin, "Add "+r.ev.FromIP+" to profile "+r.user.Profile+"'s login IP ranges", add(setting+"/-", map[string]any{"start": r.ev.FromIP, "end": r.ev.FromIP})))
}}

var ruleSoapAPIEnabled = rule{"user.apiEnabled", docSoapLoginCall, func(r *request) verdict {
	if ok, at := r.org.hasPermission(r.user, "apiEnabled"); ok {
		return pass(r.user.Username+" has API Enabled", r.orgPath(at))
	}
	return r.fail(r.user.Username+" lacks API Enabled", r.userPath("/profile"), errAPIDisabledForUser, descAPIDisabledForUser)
}}

// From Summer '26, new orgs that enable login() also require Use Any API Auth.
var ruleSoapUseAnyAPIAuth = rule{"user.useAnyApiAuth", docSoapLogin, func(r *request) verdict {
	need, explicit := r.org.soapLoginNeedsUseAnyAPIAuth()
	setting := r.orgPath("/settings/soapLoginRequiresUseAnyApiAuth")
	if !need {
		return skip("login() does not require Use Any API Auth in this org" + defaultNote(explicit, r.org))
	}
	if ok, at := r.org.hasPermission(r.user, "useAnyApiAuth"); ok {
		return pass(r.user.Username+" holds Use Any API Auth", r.orgPath(at))
	}
	fixes := []Fix{}
	if pi := r.org.profileIndex(r.user.Profile); pi >= 0 {
		fixes = append(fixes, fix(ActorSubscriberAdmin, "Give profile "+r.user.Profile+" Use Any API Auth", add(r.orgPath("/profiles/"+strconv.Itoa(pi)+"/permissions/-"), "useAnyApiAuth")))
	}
	return r.fail("login() in this org requires Use Any API Auth"+defaultNote(explicit, r.org)+" and "+r.user.Username+" lacks it", setting,
		errInsufficientAccess, descNeedsUseAnyAPIAuth, fixes...)
}}
