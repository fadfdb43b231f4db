package policy

import (
	"strconv"
	"time"
)

// Since September 2025 users can't use a connected app that is not
// installed in their org unless they hold Approve Uninstalled Connected
// Apps or Use Any API Client. Users who authorized the app before keep it,
// except for device-flow apps. Installed and org-owned apps are unaffected.
var ruleInstalled = rule{"app.installed", docUsageRestrict, func(r *request) verdict {
	if r.inst != nil {
		return pass(r.app.Name+" is installed in "+r.org.Name, r.orgPath("/installedApps"))
	}
	if r.ownedHere() {
		because := r.app.Name + " was created in " + r.org.Name + " (org-owned apps need no installation)"
		if r.app.OwnerOrg == "" {
			because += "; ownerOrg is omitted, so caplab takes the app to be the only org's own"
		}
		return pass(because, r.appPath("/ownerOrg"))
	}
	enforced := restrictionStart(r.org)
	if r.now.Before(enforced) {
		return pass(r.app.Name+" is not installed, but the uninstalled-app restriction starts for this org on "+enforced.Format("2006-01-02"), r.orgPath("/installedApps"))
	}
	install := fix(ActorSubscriberAdmin, "Install "+r.app.Name+" in "+r.org.Name+" (AppInstallApprovalPage link, or Install on Connected Apps OAuth Usage)",
		add(r.orgPath("/installedApps/-"), map[string]any{"app": r.app.Name}))
	device := r.ev.Grant == "device"
	if !device && r.st.hasApproval(approvalKey{r.org.Name, r.userLabel(), r.app.Name}) {
		return pass(r.userLabel()+" authorized "+r.app.Name+" before the restriction, so keeps using it (grandfathered)", r.userPath("/approvedApps"))
	}
	if r.user != nil && !device {
		apiControl := r.org.Settings.APIAccessControl != nil && *r.org.Settings.APIAccessControl
		useAny, useAnyAt := r.org.hasPermission(r.user, "useAnyApiClient")
		approve, approveAt := r.org.hasPermission(r.user, "approveUninstalledConnectedApps")
		switch {
		case approve && !apiControl:
			return pass(r.userLabel()+" holds Approve Uninstalled Connected Apps", r.orgPath(approveAt))
		case useAny && (!r.interactive() || r.now.Before(useAnyClientNoSelfAuth)):
			return pass(r.userLabel()+" holds Use Any API Client", r.orgPath(useAnyAt))
		case useAny:
			r.note("app.installed.useAnyApiClient", "Use Any API Client no longer lets users self-authorize uninstalled apps since "+useAnyClientNoSelfAuth.Format("2006-01-02"), r.orgPath(useAnyAt), docUseAnyAPI)
		case approve && apiControl:
			r.note("app.installed.apiAccessControl", "with API Access Control on, Approve Uninstalled Connected Apps is not enough; only Use Any API Client works (community)", r.orgPath("/settings/apiAccessControl"), docAPIAccessCtl)
		}
	}
	because := r.app.Name + " is not installed in " + r.org.Name + " and " + r.userLabel() + " holds neither Approve Uninstalled Connected Apps nor Use Any API Client"
	if device {
		because = r.app.Name + " is not installed in " + r.org.Name + "; device-flow use of uninstalled apps is blocked for everyone, even users who authorized it before"
	}
	fixes := []Fix{install}
	if r.user != nil && !device && r.org.profileIndex(r.user.Profile) >= 0 {
		fixes = append(fixes, fix(ActorSubscriberAdmin, "Give "+r.userLabel()+"'s profile Approve Uninstalled Connected Apps",
			add(r.orgPath("/profiles/"+strconv.Itoa(r.org.profileIndex(r.user.Profile))+"/permissions/-"), "approveUninstalledConnectedApps")))
	}
	if r.ev.Do == "authorize" || r.ev.Grant == "device" {
		// Shown on RemoteAccessErrorPage as OAUTH_APPROVAL_ERROR_GENERIC, not redirected.
		return r.failOn(DeliverErrorPage, 200, because, r.orgPath("/installedApps"), errInvalidClient, descMustBeInstalled, fixes...)
	}
	return r.fail(because+" (UNCONFIRMED: token-endpoint wording assumed to match the error page)", r.orgPath("/installedApps"), errInvalidClient, descMustBeInstalled, fixes...)
}}

// restrictionStart is when the uninstalled-app restriction applies to an org.
func restrictionStart(o *Org) time.Time {
	if c := orgCreatedAt(o); !c.Before(usageNewOrgs) {
		return c
	}
	return usageExisting
}

// An app blocked on Connected Apps OAuth Usage is refused for everyone, and
// with API Access Control on, only allowlisted (admin-approved, assigned)
// apps work for users without Use Any API Client.
var ruleBlocked = rule{"app.blocked", docOAuthUsage, func(r *request) verdict {
	if r.inst != nil && r.inst.Blocked {
		setting := r.orgPath("/installedApps/" + strconv.Itoa(r.instIx) + "/blocked")
		return r.fail(r.app.Name+" is blocked in "+r.org.Name+" (Connected Apps OAuth Usage → Block)", setting, errAppBlocked, descAppBlocked,
			fix(ActorSubscriberAdmin, "Unblock "+r.app.Name+" on Connected Apps OAuth Usage", replace(setting, false)))
	}
	if r.org.Settings.APIAccessControl != nil && *r.org.Settings.APIAccessControl && r.user != nil && r.ev.Grant != "client_credentials" {
		setting := r.orgPath("/settings/apiAccessControl")
		if ok, at := r.org.hasPermission(r.user, "useAnyApiClient"); ok {
			return pass("API Access Control is on; "+r.userLabel()+" holds Use Any API Client", r.orgPath(at))
		}
		if via, at := r.org.adminApprovedVia(r.user, r.app.Name); via != "" && r.manageable() {
			return pass("API Access Control is on; "+r.app.Name+" is installed (or org-owned) and allowlisted for "+r.userLabel()+" via "+via, r.orgPath(at))
		}
		fixes := []Fix{}
		if r.manageable() && r.org.profileIndex(r.user.Profile) >= 0 {
			fixes = append(fixes, fix(ActorSubscriberAdmin, "Add "+r.app.Name+" to profile "+r.user.Profile+"'s Connected App Access",
				add(r.orgPath("/profiles/"+strconv.Itoa(r.org.profileIndex(r.user.Profile))+"/connectedApps/-"), r.app.Name)))
		}
		return r.fail("API Access Control is on and "+r.app.Name+" is not an installed app assigned to "+r.userLabel(), setting, errAppBlocked, descAppBlocked, fixes...)
	}
	if r.inst != nil {
		return pass(r.app.Name+" is not blocked", r.orgPath("/installedApps/"+strconv.Itoa(r.instIx)+"/blocked"))
	}
	return pass(r.app.Name+" is not blocked", "")
}}
