package policy

// One of the three ways to a session ID without a connected app (with
// visualforceSession and soapLogin).

// outboundMessage: "Send Session ID" gives the endpoint a session of the
// "User to Send as" (not the user who triggered it). Removed from
// 2026-02-23: the payload no longer carries a session ID.
var ruleOutboundSessionID = rule{"outbound.sessionId", docOutboundMsg, func(r *request) verdict {
	include := r.ev.IncludeSessionID == nil || *r.ev.IncludeSessionID
	if !include {
		return r.fail("the outbound message does not have Send Session ID checked", r.eventPath("/includeSessionId"), errNoSessionID, descSendSessionIDOff)
	}
	if !r.now.Before(outboundNoSessionID) {
		return r.fail("outbound messages stopped carrying session IDs on "+outboundNoSessionID.Format("2006-01-02")+": the checkbox is gone and IncludeSessionId is ignored",
			r.eventPath("/includeSessionId"), errNoSessionID, descNoSessionID,
			fix(ActorISVDeveloper, "Authenticate the listener through a connected app (JWT bearer with a pre-authorized integration user) instead"))
	}
	return pass("Send Session ID is checked and the message is sent before "+outboundNoSessionID.Format("2006-01-02"), r.eventPath("/includeSessionId"))
}}

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
		r.deny(&denial{err: errNoSessionID, desc: descNoSendAsUser, delivery: DeliverNone})
		return
	}
	if r.ev.User != "" && r.ev.SendAsUser != "" && r.ev.User != r.ev.SendAsUser {
		r.note("outbound.sendAsUser", "the session belongs to the User to Send as, "+r.ev.SendAsUser+", not to "+r.ev.User+" who triggered the message", r.eventPath("/sendAsUser"), docOutboundMsg)
	} else {
		r.note("outbound.sendAsUser", "the session belongs to the User to Send as, "+r.user.Username, r.eventPath("/sendAsUser"), docOutboundMsg)
	}
	r.grantSession(true, "")
}
