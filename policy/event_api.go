package policy

import (
	"slices"
	"strings"
	"time"
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
