package policy

import (
	"slices"
	"strings"
	"time"
)

// wait advances the simulated clock.
func (e *evaluator) wait(r *request) {
	d, err := ParseDuration(r.ev.For)
	if err != nil {
		r.res.Trace = append(r.res.Trace, TraceStep{Rule: "wait", Outcome: StepFail, Because: "for: " + err.Error(), Setting: r.eventPath("/for")})
		r.deny(&denial{err: "invalid_event", desc: err.Error(), delivery: DeliverNone})
		return
	}
	e.st.now = e.st.now.Add(d)
	r.res.Outcome, r.res.Delivery = Granted, DeliverNone
	r.note("wait", "the clock moves "+formatDuration(d)+" to "+e.st.now.Format(time.RFC3339), r.eventPath("/for"), "")
}

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

const (
	errInvalidToken          = "invalid_token"
	descInvalidToken         = "invalid token" // UNCONFIRMED wording
	errUnsupportedTokenType  = "unsupported_token_type"
	descUnsupportedTokenType = "this token type is not supported" // UNCONFIRMED wording
)

// apiCall uses an access token or session ID against the REST API.
func apiCall(r *request) {
	r.channel = DeliverJSON
	a := r.findUsed(func(a *artefact) bool { return a.access != nil || a.session != nil })
	unauthorized := func(because, setting, desc string) {
		r.res.Trace = append(r.res.Trace, TraceStep{Rule: "api.session", Outcome: StepFail, Because: because, Setting: setting, Doc: docFlowErrors})
		r.deny(&denial{err: errInvalidSessionID, desc: desc, delivery: DeliverJSON, status: 401})
		r.res.Response = r.denialResponse()
	}
	if a == nil {
		unauthorized("no earlier event issued an access token or session ID", r.eventPath("/use"), descSessionExpired)
		return
	}
	var (
		org, user  string
		lastActive *time.Time
		timeout    time.Duration
		revokedWhy string
		scopes     []string
		oauth      bool
	)
	if a.session != nil {
		s := a.session
		org, user, lastActive, timeout = s.org, s.user, &s.lastActive, s.timeout
		if s.revoked {
			revokedWhy = s.revokedWhy
		}
		if !s.apiValid {
			unauthorized(s.notAPIWhy, "", descSessionNotAPI)
			return
		}
	} else {
		t := a.access
		g := t.grant
		org, user, lastActive, timeout, scopes, oauth = g.org, g.user, &t.lastActive, t.timeout, t.scopes, true
		switch {
		case t.revoked:
			revokedWhy = t.revokedWhy
		case g.revoked:
			revokedWhy = g.revokedWhy
		}
	}
	if revokedWhy != "" {
		unauthorized("the token is no longer valid: "+revokedWhy, "", descSessionExpired)
		return
	}
	if idle := r.now.Sub(*lastActive); idle >= timeout {
		unauthorized("the session timed out: inactive for "+formatDuration(idle)+", timeout "+formatDuration(timeout), "", descSessionExpired)
		return
	}
	r.bindOrg(r.s.orgIndex(org))
	r.bindUser(user)
	if r.org == nil || r.user == nil || !r.user.isActive() {
		unauthorized("the user "+user+" is deactivated, which ends their sessions", "", descSessionExpired)
		return
	}
	if oauth && !slices.Contains(scopes, "api") && !slices.Contains(scopes, "full") {
		unauthorized("the token's scopes ("+strings.Join(scopes, " ")+") include neither api nor full", "", descSessionNotREST)
		return
	}
	if ok, _ := r.org.hasPermission(r.user, "apiEnabled"); !ok {
		r.res.Trace = append(r.res.Trace, TraceStep{Rule: "api.userPermission", Outcome: StepFail, Because: user + " lacks the API Enabled permission", Setting: r.orgPath("/profiles"), Doc: docFlowErrors})
		r.deny(&denial{err: errAPIDisabledForUser, desc: descAPIDisabledForUser, delivery: DeliverJSON, status: 403})
		r.res.Response = r.denialResponse()
		return
	}
	// Salesforce moves the last-activity time only after half the timeout.
	if r.now.Sub(*lastActive) >= timeout/2 {
		*lastActive = r.now
	}
	r.res.Trace = append(r.res.Trace, TraceStep{Rule: "api.session", Outcome: StepPass, Because: "the session is valid for the REST API as " + user, Doc: docFlowErrors})
	r.res.Outcome, r.res.Delivery, r.res.HTTPStatus = Granted, DeliverJSON, 200
	r.res.Response = &Response{Body: `{"totalSize":1,"done":true,"records":[{"attributes":{"type":"Organization"}}]}`}
}
