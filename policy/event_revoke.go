package policy

// revoke is POST /services/oauth2/revoke: an access token is invalidated; a
// refresh token is revoked with all its access tokens.
func revoke(r *request) {
	r.channel = DeliverJSON
	kind := r.ev.Token
	a := r.findUsed(func(a *artefact) bool {
		if kind == "access" {
			return a.access != nil || a.session != nil
		}
		return a.refresh != nil || (kind == "" && (a.access != nil || a.session != nil))
	})
	if kind == "" {
		kind = "access"
		if a != nil && a.refresh != nil {
			kind = "refresh"
		}
	}
	bad := func(because, code, desc string) {
		r.res.Trace = append(r.res.Trace, TraceStep{Rule: "revoke.token", Outcome: StepFail, Because: because, Setting: r.eventPath("/use"), Doc: docRevoke})
		r.deny(&denial{err: code, desc: desc, delivery: DeliverJSON, status: 400})
		r.res.Response = r.denialResponse()
	}
	switch {
	case a == nil:
		bad("there is no token to revoke", errInvalidToken, descInvalidToken)
		return
	case a.session != nil:
		r.note("revoke.sessionId", "in 2011 session IDs from SOAP login() could not be revoked here; current behaviour UNCONFIRMED", "", docRevoke)
		bad("a session ID obtained without a connected app is not an OAuth token", errUnsupportedTokenType, descUnsupportedTokenType)
		return
	case kind == "refresh" && a.refresh != nil:
		if a.refresh.revoked || a.refresh.grant.revoked {
			bad("the refresh token is already revoked", errInvalidToken, descInvalidToken)
			return
		}
		revokeFamily(a.refresh.grant, r.st, "the refresh token was revoked")
		r.res.Trace = append(r.res.Trace, TraceStep{Rule: "revoke.token", Outcome: StepPass, Because: "refresh token revoked, and with it every access token of its approval", Doc: docRevoke})
	case a.access != nil:
		if a.access.revoked {
			bad("the access token is already revoked", errInvalidToken, descInvalidToken)
			return
		}
		a.access.revoked, a.access.revokedWhy = true, "it was revoked"
		r.res.Trace = append(r.res.Trace, TraceStep{Rule: "revoke.token", Outcome: StepPass, Because: "access token invalidated; the refresh token stays valid", Doc: docRevoke})
	default:
		bad("the event it uses issued no "+kind+" token", errUnsupportedTokenType, descUnsupportedTokenType)
		return
	}
	r.res.Outcome, r.res.Delivery, r.res.HTTPStatus = Granted, DeliverJSON, 200
}
