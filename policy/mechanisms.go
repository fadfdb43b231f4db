package policy

import (
	"strconv"
	"strings"
	"time"
)

// The three ways to a session ID without a connected app.

// outboundMessage: "Send Session ID" gives the endpoint a session of the
// "User to Send as" (not the user who triggered it). Removed from
// 2026-02-23: the payload no longer carries a session ID.
var ruleOutboundSessionID = rule{"outbound.sessionId", docOutboundMsg, func(r *request) verdict {
	include := r.ev.IncludeSessionID == nil || *r.ev.IncludeSessionID
	if !include {
		return r.fail("the outbound message does not have Send Session ID checked", r.eventPath("/includeSessionId"), errNoSessionID, "Send Session ID is not checked on the outbound message")
	}
	if !r.now.Before(outboundNoSessionID) {
		return r.fail("outbound messages stopped carrying session IDs on "+outboundNoSessionID.Format("2006-01-02")+": the checkbox is gone and IncludeSessionId is ignored",
			r.eventPath("/includeSessionId"), errNoSessionID, descNoSessionID,
			fix(ActorISVDeveloper, "Authenticate the listener through a connected app (JWT bearer with a pre-authorized integration user) instead"))
	}
	return pass("Send Session ID is checked and the message is sent before "+outboundNoSessionID.Format("2006-01-02"), r.eventPath("/includeSessionId"))
}}

const (
	errNoSessionID  = "no_session_id" // caplab's label: Salesforce sends the message, just without <sessionId>
	descNoSessionID = "outbound messages no longer include a session ID"
)

func outboundMessage(r *request) {
	r.channel = DeliverNone
	r.bindOrg(r.s.orgIndex(r.ev.Org))
	sendAs := r.ev.SendAsUser
	if sendAs == "" {
		sendAs = r.ev.User
	}
	r.bindUser(sendAs)
	r.res.Risk = sessionRisk()
	if r.org == nil || !r.run([]rule{ruleOutboundSessionID}) {
		return
	}
	if r.user == nil {
		r.res.Trace = append(r.res.Trace, TraceStep{Rule: "outbound.sendAsUser", Outcome: StepFail, Because: "no user " + quote(sendAs) + " to send as", Setting: r.eventPath("/sendAsUser")})
		r.deny(&denial{err: errNoSessionID, desc: "no User to Send as", delivery: DeliverNone})
		return
	}
	if r.ev.User != "" && r.ev.SendAsUser != "" && r.ev.User != r.ev.SendAsUser {
		r.note("outbound.sendAsUser", "the session belongs to the User to Send as, "+r.ev.SendAsUser+", not to "+r.ev.User+" who triggered the message", r.eventPath("/sendAsUser"), docOutboundMsg)
	} else {
		r.note("outbound.sendAsUser", "the session belongs to the User to Send as, "+r.user.Username, r.eventPath("/sendAsUser"), docOutboundMsg)
	}
	r.grantSession(true, "")
}

// visualforceSession: $Api.Session_ID in a Visualforce page is API-valid;
// a Lightning Experience session has reduced privileges and no API access.
func visualforceSession(r *request) {
	r.channel = DeliverNone
	r.bindOrg(r.s.orgIndex(r.ev.Org))
	r.bindUser(r.ev.User)
	r.res.Risk = sessionRisk()
	if r.org == nil || !r.run([]rule{ruleUserActive}) {
		return
	}
	if r.ev.Context == "lightning" {
		r.res.Trace = append(r.res.Trace, TraceStep{Rule: "visualforce.context", Outcome: StepInfo, Setting: r.eventPath("/context"), Doc: docVFSession,
			Because: "the session ID comes from a Lightning context (UserInfo.getSessionId() in Aura/LWC): Lightning sessions have no API access"})
		r.grantSession(false, "a Lightning Experience session is not valid for the API")
		return
	}
	r.res.Trace = append(r.res.Trace, TraceStep{Rule: "visualforce.context", Outcome: StepPass, Setting: r.eventPath("/context"), Doc: docVFSession,
		Because: "$Api.Session_ID in a Visualforce page gives an API-valid session of the viewing user"})
	r.grantSession(true, "")
}

// soapLogin: SOAP login() with username, password and security token.
var soapLoginRules = []rule{ruleSoapAPIVersion, ruleSoapLoginEnabled, ruleSoapCredentials, ruleSoapUserActive, ruleSoapLoginIP, ruleSoapAPIEnabled, ruleSoapUseAnyAPIAuth}

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
		errSoapLoginNotInVersion, strings.Replace(descSoapLoginNotInVersion, "{version}", v, 1),
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
			errUnsupportedAPIVersion, "login() is no longer available") // UNCONFIRMED fault wording
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

// grantSession hands out a session ID of the bound user.
func (r *request) grantSession(apiValid bool, notAPIWhy string) {
	timeout, _ := r.sessionTimeout()
	s := &session{org: r.org.Name, user: r.user.Username, lastActive: r.now,
		expiresAt: r.now.Add(timeout), timeout: timeout, apiValid: apiValid, notAPIWhy: notAPIWhy}
	r.st.issued[r.evIx] = &artefact{session: s}
	r.res.Outcome, r.res.Delivery, r.res.HTTPStatus = Granted, DeliverSession, 200
	r.res.Issued.SessionID = true
	r.res.Issued.ExpiresAt = s.expiresAt.Format(time.RFC3339)
	r.res.Response = &Response{Body: "sessionId=" + r.token("session")}
}
