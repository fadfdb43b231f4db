package policy

import (
	"encoding/json"
	"errors"
	"slices"
	"strconv"

	"github.com/caplab/caplab/policy/internal/jsonpatch"
)

// admin applies a named Setup action (or a JSON Patch) to the org at this
// point in time, with the token consequences Salesforce gives it.
func (e *evaluator) admin(r *request) {
	s := e.mutable()
	r.s, r.ev = s, &s.Events[r.evIx]
	r.bindOrg(s.orgIndex(r.ev.Org))
	if r.ev.Action == "patch" {
		e.patch(r)
		return
	}
	if r.org == nil {
		r.adminFail("no org " + quote(r.ev.Org))
		return
	}
	r.bindApp(s.appIndex(r.ev.App))
	r.bindUser(r.ev.User)
	needApp := map[string]bool{"installApp": true, "uninstallApp": true, "blockApp": true, "unblockApp": true, "setPolicy": true, "revokeApp": true}
	needUser := map[string]bool{"assignPermissionSet": true, "removePermissionSet": true, "deactivateUser": true, "activateUser": true, "resetPassword": true, "changePassword": true}
	switch {
	case needApp[r.ev.Action] && r.app == nil:
		r.adminFail("no app " + quote(r.ev.App))
		return
	case needUser[r.ev.Action] && r.user == nil:
		r.adminFail("no user " + quote(r.ev.User) + " in " + r.org.Name)
		return
	}
	o := r.org
	switch r.ev.Action {
	case "installApp":
		if r.inst != nil {
			r.adminDone(r.app.Name + " is already installed")
			return
		}
		ia := InstalledApp{App: r.app.Name}
		if r.ev.Policies != nil {
			ia.Policies = *r.ev.Policies
		}
		o.InstalledApps = append(o.InstalledApps, ia)
		r.adminDone("installed " + r.app.Name + " in " + o.Name + "; its policies can now be managed")
	case "uninstallApp":
		if r.inst == nil {
			r.adminFail(r.app.Name + " is not installed in " + o.Name)
			return
		}
		o.InstalledApps = slices.Delete(o.InstalledApps, r.instIx, r.instIx+1)
		n := e.revokeWhere(func(g *grant) bool { return g.org == o.Name && g.app == r.app.Name }, "the app was uninstalled")
		r.adminDone("uninstalled " + r.app.Name + "; " + countOf(n, "approval") + " and their tokens revoked")
	case "blockApp", "unblockApp":
		block := r.ev.Action == "blockApp"
		if r.inst == nil {
			o.InstalledApps = append(o.InstalledApps, InstalledApp{App: r.app.Name})
			r.bindApp(r.appIx)
			r.note("admin.blockApp", "blocking from Connected Apps OAuth Usage works for uninstalled apps too; caplab records it as an installed-app entry", "", docOAuthUsage)
		}
		r.inst.Blocked = block
		if block {
			n := e.revokeWhere(func(g *grant) bool { return g.org == o.Name && g.app == r.app.Name }, "the app was blocked")
			r.adminDone("blocked " + r.app.Name + ": all its sessions end (" + countOf(n, "approval") + " revoked)")
		} else {
			r.adminDone("unblocked " + r.app.Name + "; users must authorize again")
		}
	case "setPolicy":
		if r.ev.Policies == nil {
			r.adminFail("setPolicy needs policies")
			return
		}
		if !r.manageable() {
			r.adminFail(r.app.Name + " is not installed in " + o.Name + ": policies can be edited only after installation")
			return
		}
		target := &r.app.Policies
		if r.inst != nil {
			target = &r.inst.Policies
		}
		mergePolicies(target, *r.ev.Policies)
		if r.ev.Policies.HighAssurance == "block" {
			// Block makes the app inaccessible and ends current sessions (fact sheet §3.4).
			n := e.revokeWhere(func(g *grant) bool { return g.org == o.Name && g.app == r.app.Name }, "the High Assurance policy action became Block, which ends current sessions")
			r.note("admin.setPolicy.highAssurance", "High Assurance Block ends the current sessions of "+r.app.Name+" ("+countOf(n, "approval")+" revoked)", r.eventPath("/policies/highAssurance"), docSessionPolicy)
		}
		if r.ev.Policies.PermittedUsers == "adminApproved" {
			n := e.revokeWhere(func(g *grant) bool {
				if g.org != o.Name || g.app != r.app.Name {
					return false
				}
				u := o.userIndex(g.user)
				via, _ := "", ""
				if u >= 0 {
					via, _ = o.adminApprovedVia(&o.Users[u], r.app.Name)
				}
				return via == ""
			}, "Permitted Users became admin-approved and the user is not pre-authorized")
			r.adminDone("Permitted Users set to admin-approved: existing authorizations of users who are not pre-authorized are revoked (" + countOf(n, "approval") + ")")
			return
		}
		r.adminDone("policies of " + r.app.Name + " updated")
	case "assignPermissionSet":
		if o.permSetIndex(r.ev.PermissionSet) < 0 {
			r.adminFail("no permission set " + quote(r.ev.PermissionSet) + " in " + o.Name)
			return
		}
		if !slices.Contains(r.user.PermissionSets, r.ev.PermissionSet) {
			r.user.PermissionSets = append(r.user.PermissionSets, r.ev.PermissionSet)
		}
		r.adminDone("assigned " + r.ev.PermissionSet + " to " + r.user.Username)
	case "removePermissionSet":
		r.user.PermissionSets = slices.DeleteFunc(r.user.PermissionSets, func(p string) bool { return p == r.ev.PermissionSet })
		r.adminDone("removed " + r.ev.PermissionSet + " from " + r.user.Username)
	case "revokeApp":
		who := func(g *grant) bool {
			return g.org == o.Name && g.app == r.app.Name && (r.user == nil || g.user == r.user.Username)
		}
		n := e.revokeWhere(who, "an admin revoked the app's access (OAuth Usage → Revoke)")
		if r.user != nil {
			r.user.ApprovedApps = slices.DeleteFunc(r.user.ApprovedApps, func(a string) bool { return a == r.app.Name })
		}
		r.adminDone("revoked " + countOf(n, "approval") + " of " + r.app.Name + " with their tokens")
	case "deactivateUser", "activateUser":
		active := r.ev.Action == "activateUser"
		r.user.Active = &active
		if !active {
			// Tokens are refused while the user is inactive (inactive_user),
			// not revoked.
			e.endSessions(o.Name, r.user.Username, "the user was deactivated")
			r.adminDone("deactivated " + r.user.Username + ": sessions end; OAuth tokens are refused while the user is inactive")
			return
		}
		r.adminDone("reactivated " + r.user.Username)
		r.note("admin.activateUser", "UNCONFIRMED: whether tokens issued before deactivation work again after reactivation; caplab lets them", "", docOAuthUsage)
	case "resetPassword", "changePassword":
		old := r.user.Password
		r.user.Password = r.ev.Password
		if r.ev.Password == "" || r.ev.Password == "correct" || r.ev.Password == old {
			r.user.Password = old + "~changed" + strconv.Itoa(r.evIx)
		}
		r.user.SecurityToken = r.user.SecurityToken + "~reset" + strconv.Itoa(r.evIx)
		r.adminDone("the password of " + r.user.Username + " changed and a new security token was issued: stored credentials stop working; OAuth refresh tokens are not revoked by a password change")
	default:
		r.adminFail("unknown action " + quote(r.ev.Action))
	}
}

// mergePolicies copies the fields that are set.
func mergePolicies(dst *Policies, src Policies) {
	if src.PermittedUsers != "" {
		dst.PermittedUsers = src.PermittedUsers
	}
	if src.IPRelaxation != "" {
		dst.IPRelaxation = src.IPRelaxation
	}
	if src.RefreshTokenPolicy != "" {
		dst.RefreshTokenPolicy = src.RefreshTokenPolicy
	}
	if src.SessionTimeout != "" {
		dst.SessionTimeout = src.SessionTimeout
	}
	if src.HighAssurance != "" {
		dst.HighAssurance = src.HighAssurance
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

// patch applies an RFC 6902 JSON Patch to the scenario as it is now; the
// result must still be a valid scenario. Its cost is bounded: the
// operations of all patch events (maxPatchOpsPerScenario), the document
// after every operation (maxPatchedScenarioBytes, maxPatchDepth), and the
// JSON handled, charged to the work budget. Going past a limit stops the
// evaluation (e.limit).
func (e *evaluator) patch(r *request) {
	if n := e.patchOps + len(r.ev.Patch); n > maxPatchOpsPerScenario {
		e.limit = patchOpsLimitError(r.evIx, n)
		return
	}
	e.patchOps += len(r.ev.Patch)
	doc, err := json.Marshal(e.s)
	if err != nil {
		r.adminFail(err.Error())
		return
	}
	patched, _, work, err := applyPatch(doc, r.ev.Patch)
	if !e.budget.spend(jsonWork(work)) {
		return // evaluateThrough reports the budget
	}
	var le *jsonpatch.LimitError
	if errors.As(err, &le) {
		e.limit = patchLimitError(le, r.evIx)
		return
	}
	if err != nil {
		r.adminFail("patch: " + err.Error())
		return
	}
	s, err := Decode(patched)
	if !e.budget.spend(jsonWork(len(patched))) {
		return
	}
	if err != nil {
		r.adminFail("the patched scenario is invalid: " + err.Error())
		return
	}
	if len(s.Events) != len(e.s.Events) {
		r.adminFail("a patch may not add or remove events")
		return
	}
	e.s = s
	r.s = s
	r.adminDone("applied a JSON Patch of " + countOf(len(r.ev.Patch), "operation"))
}

func (r *request) adminDone(because string) {
	r.res.Outcome, r.res.Delivery = Granted, DeliverNone
	r.res.Trace = append(r.res.Trace, TraceStep{Rule: "admin." + r.ev.Action, Outcome: StepPass, Because: because, Setting: r.eventPath("/action"), Doc: docOAuthUsage})
}

func (r *request) adminFail(because string) {
	r.res.Trace = append(r.res.Trace, TraceStep{Rule: "admin." + r.ev.Action, Outcome: StepFail, Because: because, Setting: r.eventPath(""), Doc: docOAuthUsage})
	r.deny(&denial{err: "admin_action_failed", desc: because, delivery: DeliverNone})
}

// countOf is n and word, plural unless n is 1: "2 approvals".
func countOf(n int, word string) string {
	s := strconv.Itoa(n)
	return s + " " + plural(s, word)
}
