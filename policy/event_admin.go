package policy

import (
	"strconv"
)

// An admin event applies a named Setup action (or a JSON Patch) to the org
// at this point in time, with the token consequences Salesforce gives it.
// adminActions lists every action: what it acts on and what it does; the
// actions themselves are in event_admin_apps.go, event_admin_users.go and
// event_admin_patch.go.

// adminAction is one action an admin event can name.
type adminAction struct {
	on    adminTarget
	apply func(e *evaluator, r *request)
}

// adminTarget is what an action needs the event to name. The org is always
// needed, except by a patch, which acts on the whole scenario.
type adminTarget int

const (
	adminOnApp      adminTarget = iota // "app" (and, for some, an optional "user")
	adminOnUser                        // "user", in "org"
	adminOnScenario                    // nothing: a patch names its own paths
)

// adminActions is every value Event.Action takes (the validate tag's oneof
// lists the same names; TestAdminActionsMatchTheEnum holds them together).
var adminActions = map[string]adminAction{
	"installApp":               {adminOnApp, (*evaluator).installApp},
	"uninstallApp":             {adminOnApp, (*evaluator).uninstallApp},
	"blockApp":                 {adminOnApp, (*evaluator).blockApp},
	"unblockApp":               {adminOnApp, (*evaluator).blockApp},
	"setPolicy":                {adminOnApp, (*evaluator).setPolicy},
	"revokeApp":                {adminOnApp, (*evaluator).revokeApp},
	"assignPermissionSet":      {adminOnUser, (*evaluator).permissionSet},
	"removePermissionSet":      {adminOnUser, (*evaluator).permissionSet},
	"assignPermissionSetGroup": {adminOnUser, (*evaluator).permissionSet},
	"removePermissionSetGroup": {adminOnUser, (*evaluator).permissionSet},
	"deactivateUser":           {adminOnUser, (*evaluator).activateUser},
	"activateUser":             {adminOnUser, (*evaluator).activateUser},
	"resetPassword":            {adminOnUser, (*evaluator).changePassword},
	"changePassword":           {adminOnUser, (*evaluator).changePassword},
	"freezeUser":               {adminOnUser, (*evaluator).freezeUser},
	"unfreezeUser":             {adminOnUser, (*evaluator).freezeUser},
	"unlockUser":               {adminOnUser, (*evaluator).unlockUser},
	"patch":                    {adminOnScenario, (*evaluator).patch},
}

// admin binds what the action acts on and applies it to a copy of the
// scenario.
func (e *evaluator) admin(r *request) {
	s := e.mutable()
	r.s, r.ev = s, &s.Events[r.evIx]
	r.bindOrg(s.orgIndex(r.ev.Org))
	act, ok := adminActions[r.ev.Action]
	switch {
	case !ok:
		r.adminFail("unknown action " + quote(r.ev.Action))
		return
	case act.on == adminOnScenario:
		act.apply(e, r)
		return
	case r.org == nil:
		r.adminFail("no org " + quote(r.ev.Org))
		return
	}
	r.bindApp(s.appIndex(r.ev.App))
	r.bindUser(r.ev.User)
	switch {
	case act.on == adminOnApp && r.app == nil:
		r.adminFail("no app " + quote(r.ev.App))
	case act.on == adminOnUser && r.user == nil:
		r.adminFail("no user " + quote(r.ev.User) + " in " + r.org.Name)
	default:
		act.apply(e, r)
	}
}

// revokeWhere revokes matching live approvals and their tokens.
func (e *evaluator) revokeWhere(match func(*grant) bool, why string) int {
	n := 0
	seen := map[*grant]bool{}
	visit := func(g *grant) {
		if g == nil || seen[g] || g.revoked || !match(g) {
			return
		}
		seen[g] = true
		revokeFamily(g, e.st, why)
		n++
	}
	for _, gs := range e.st.approvals {
		for _, g := range gs {
			visit(g)
		}
	}
	for _, a := range e.st.issued {
		if a != nil {
			visit(a.grant)
			if a.code != nil {
				visit(a.code.grant)
			}
		}
	}
	return n
}

// endSessions ends a user's session IDs.
func (e *evaluator) endSessions(org, user, why string) {
	for _, a := range e.st.issued {
		if a != nil && a.session != nil && a.session.org == org && a.session.user == user {
			a.session.revoked, a.session.revokedWhy = true, why
		}
	}
}

func (r *request) adminDone(because string) {
	r.res.Outcome, r.res.Delivery = Granted, DeliverNone
	r.res.Trace = append(r.res.Trace, TraceStep{Rule: "admin." + r.ev.Action, Outcome: StepPass, Because: because, Setting: r.eventPath("/action"), Doc: docOAuthUsage})
}

func (r *request) adminFail(because string) {
	r.res.Trace = append(r.res.Trace, TraceStep{Rule: "admin." + r.ev.Action, Outcome: StepFail, Because: because, Setting: r.eventPath(""), Doc: docOAuthUsage})
	r.deny(&denial{err: errAdminActionFailed, desc: because, delivery: DeliverNone})
}

// countOf is n and word, plural unless n is 1: "2 approvals".
func countOf(n int, word string) string {
	s := strconv.Itoa(n)
	return s + " " + plural(s, word)
}
