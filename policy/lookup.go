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

// hasPermission says whether the user holds perm through the profile or a
// permission set, and where (a JSON pointer relative to the org).
func (o *Org) hasPermission(u *User, perm string) (bool, string) {
	if pi := o.profileIndex(u.Profile); pi >= 0 {
		if slices.Contains(o.Profiles[pi].Permissions, perm) {
			return true, "/profiles/" + strconv.Itoa(pi) + "/permissions"
		}
	} else if u.Profile == "" && perm == "apiEnabled" {
		return true, "" // a user with no profile given is a standard user with API Enabled
	}
	for _, name := range u.PermissionSets {
		if pi := o.permSetIndex(name); pi >= 0 && slices.Contains(o.PermissionSets[pi].Permissions, perm) {
			return true, "/permissionSets/" + strconv.Itoa(pi) + "/permissions"
		}
	}
	return false, ""
}

// adminApprovedVia names the profile or permission set that lists the app
// (Connected App Access / Assigned Connected Apps), as a pointer relative
// to the org; "" when none does.
func (o *Org) adminApprovedVia(u *User, app string) (string, string) {
	if pi := o.profileIndex(u.Profile); pi >= 0 && slices.Contains(o.Profiles[pi].ConnectedApps, app) {
		return "profile " + u.Profile, "/profiles/" + strconv.Itoa(pi) + "/connectedApps"
	}
	for _, name := range u.PermissionSets {
		if pi := o.permSetIndex(name); pi >= 0 && slices.Contains(o.PermissionSets[pi].ConnectedApps, app) {
			return "permission set " + name, "/permissionSets/" + strconv.Itoa(pi) + "/connectedApps"
		}
	}
	return "", ""
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
