package policy

// One of the three ways to a session ID without a connected app (with
// outboundMessage and soapLogin).

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
