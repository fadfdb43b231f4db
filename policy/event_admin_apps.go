package policy

import "slices"

// Admin actions on an app in an org: Connected Apps OAuth Usage and Manage
// Connected Apps.

func (e *evaluator) installApp(r *request) {
	o := r.org
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
}

func (e *evaluator) uninstallApp(r *request) {
	o := r.org
	if r.inst == nil {
		r.adminFail(r.app.Name + " is not installed in " + o.Name)
		return
	}
	o.InstalledApps = slices.Delete(o.InstalledApps, r.instIx, r.instIx+1)
	n := e.revokeWhere(r.ofThisApp, "the app was uninstalled")
	r.adminDone("uninstalled " + r.app.Name + "; " + countOf(n, "approval") + " and their tokens revoked")
}

// blockApp is blockApp and unblockApp.
func (e *evaluator) blockApp(r *request) {
	o := r.org
	block := r.ev.Action == "blockApp"
	if r.inst == nil {
		o.InstalledApps = append(o.InstalledApps, InstalledApp{App: r.app.Name})
		r.bindApp(r.appIx)
		r.note("admin.blockApp", "blocking from Connected Apps OAuth Usage works for uninstalled apps too; caplab records it as an installed-app entry", "", docOAuthUsage)
	}
	r.inst.Blocked = block
	if !block {
		r.adminDone("unblocked " + r.app.Name + "; users must authorize again")
		return
	}
	n := e.revokeWhere(r.ofThisApp, "the app was blocked")
	r.adminDone("blocked " + r.app.Name + ": all its sessions end (" + countOf(n, "approval") + " revoked)")
}

func (e *evaluator) setPolicy(r *request) {
	o := r.org
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
		n := e.revokeWhere(r.ofThisApp, "the High Assurance policy action became Block, which ends current sessions")
		r.note("admin.setPolicy.highAssurance", "High Assurance Block ends the current sessions of "+r.app.Name+" ("+countOf(n, "approval")+" revoked)", r.eventPath("/policies/highAssurance"), docSessionPolicy)
	}
	if r.ev.Policies.PermittedUsers == "adminApproved" {
		n := e.revokeWhere(func(g *grant) bool {
			if !r.ofThisApp(g) {
				return false
			}
			u := o.userIndex(g.user)
			via := ""
			if u >= 0 {
				via, _ = o.adminApprovedVia(&o.Users[u], r.app.Name)
			}
			return via == ""
		}, "Permitted Users became admin-approved and the user is not pre-authorized")
		r.adminDone("Permitted Users set to admin-approved: existing authorizations of users who are not pre-authorized are revoked (" + countOf(n, "approval") + ")")
		return
	}
	r.adminDone("policies of " + r.app.Name + " updated")
}

// revokeApp is OAuth Usage → Revoke: every user's approvals of the app, or
// the named user's only.
func (e *evaluator) revokeApp(r *request) {
	who := func(g *grant) bool {
		return r.ofThisApp(g) && (r.user == nil || g.user == r.user.Username)
	}
	n := e.revokeWhere(who, "an admin revoked the app's access (OAuth Usage → Revoke)")
	if r.user != nil {
		r.user.ApprovedApps = slices.DeleteFunc(r.user.ApprovedApps, func(a string) bool { return a == r.app.Name })
	}
	r.adminDone("revoked " + countOf(n, "approval") + " of " + r.app.Name + " with their tokens")
}

// ofThisApp says whether a grant is of the event's app in its org.
func (r *request) ofThisApp(g *grant) bool {
	return g.org == r.org.Name && g.app == r.app.Name
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
