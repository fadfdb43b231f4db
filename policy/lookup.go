package policy

import (
	"net/netip"
	"slices"
	"strconv"
)

func (s *Scenario) orgIndex(name string) int {
	if name == "" && len(s.Orgs) == 1 {
		return 0
	}
	return slices.IndexFunc(s.Orgs, func(o Org) bool { return o.Name == name })
}

func (s *Scenario) appIndex(name string) int {
	if name == "" && len(s.Apps) == 1 {
		return 0
	}
	return slices.IndexFunc(s.Apps, func(a App) bool { return a.Name == name })
}

// appByKey finds the app whose consumer key is key; consumer keys are
// global, so any app of the scenario can answer.
func (s *Scenario) appByKey(key string) int {
	return slices.IndexFunc(s.Apps, func(a App) bool { return a.consumerKey() == key })
}

func (o *Org) userIndex(username string) int {
	return slices.IndexFunc(o.Users, func(u User) bool { return u.Username == username })
}

func (o *Org) profileIndex(name string) int {
	return slices.IndexFunc(o.Profiles, func(p Profile) bool { return p.Name == name })
}

func (o *Org) permSetIndex(name string) int {
	return slices.IndexFunc(o.PermissionSets, func(p PermissionSet) bool { return p.Name == name })
}

func (o *Org) installedIndex(app string) int {
	return slices.IndexFunc(o.InstalledApps, func(i InstalledApp) bool { return i.App == app })
}

// hasPermission says whether the user holds perm through the profile, a
// permission set or a permission set group, and where (a JSON pointer
// relative to the org).
func (o *Org) hasPermission(u *User, perm string) (bool, string) {
	if u.Profile == "" && perm == "apiEnabled" && o.profileIndex(u.Profile) < 0 {
		return true, "" // a user with no profile given is a standard user with API Enabled
	}
	via, at := o.holder(u, perm, "permissions")
	return via != "", at
}

// adminApprovedVia names the profile, permission set or permission set
// group that lists the app (Connected App Access / Assigned Connected
// Apps), with a pointer relative to the org; "" when none does.
func (o *Org) adminApprovedVia(u *User, app string) (string, string) {
	return o.holder(u, app, "connectedApps")
}

// holder finds where the user gets item, a permission or a connected app
// (field "permissions" or "connectedApps"): the profile, a permission set,
// or a permission set of a group whose muting permission set does not
// mute it. It returns a label and the list's pointer relative to the org.
func (o *Org) holder(u *User, item, field string) (via, at string) {
	list := func(perms, apps []string) []string {
		if field == "permissions" {
			return perms
		}
		return apps
	}
	if pi := o.profileIndex(u.Profile); pi >= 0 && slices.Contains(list(o.Profiles[pi].Permissions, o.Profiles[pi].ConnectedApps), item) {
		return "profile " + u.Profile, "/profiles/" + strconv.Itoa(pi) + "/" + field
	}
	inSet := func(name string) string {
		if pi := o.permSetIndex(name); pi >= 0 && slices.Contains(list(o.PermissionSets[pi].Permissions, o.PermissionSets[pi].ConnectedApps), item) {
			return "/permissionSets/" + strconv.Itoa(pi) + "/" + field
		}
		return ""
	}
	for _, name := range u.PermissionSets {
		if at := inSet(name); at != "" {
			return "permission set " + name, at
		}
	}
	for _, g := range o.userGroups(u) {
		if m := g.MutingPermissionSet; m != nil && slices.Contains(list(m.Permissions, m.ConnectedApps), item) {
			continue
		}
		for _, name := range g.PermissionSets {
			if at := inSet(name); at != "" {
				return "permission set group " + g.Name + " (permission set " + name + ")", at
			}
		}
	}
	return "", ""
}

// userGroups are the permission set groups assigned to the user.
func (o *Org) userGroups(u *User) []*PermissionSetGroup {
	var out []*PermissionSetGroup
	for _, name := range u.PermissionSetGroups {
		if i := slices.IndexFunc(o.PermissionSetGroups, func(g PermissionSetGroup) bool { return g.Name == name }); i >= 0 {
			out = append(out, &o.PermissionSetGroups[i])
		}
	}
	return out
}

// mutedBy names a group of the user whose muting permission set mutes the
// app, or "".
func (o *Org) mutedBy(u *User, app string) string {
	for _, g := range o.userGroups(u) {
		if m := g.MutingPermissionSet; m != nil && slices.Contains(m.ConnectedApps, app) {
			return g.Name
		}
	}
	return ""
}

// profileTimeout is the user's profile session timeout, if set.
func (o *Org) profileTimeout(u *User) string {
	if pi := o.profileIndex(u.Profile); pi >= 0 {
		return o.Profiles[pi].SessionTimeout
	}
	return ""
}

// loginIPRanges returns the user's profile login IP ranges and the profile index.
func (o *Org) loginIPRanges(u *User) ([]IPRange, int) {
	if pi := o.profileIndex(u.Profile); pi >= 0 {
		return o.Profiles[pi].LoginIPRanges, pi
	}
	return nil, -1
}

// ipInRanges reports whether ip falls in one of the inclusive ranges.
func ipInRanges(ip string, ranges []IPRange) bool {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	for _, r := range ranges {
		lo, err1 := netip.ParseAddr(r.Start)
		hi, err2 := netip.ParseAddr(r.End)
		if err1 != nil || err2 != nil || lo.Is4() != a.Is4() {
			continue
		}
		if lo.Compare(a) <= 0 && a.Compare(hi) <= 0 {
			return true
		}
	}
	return false
}
