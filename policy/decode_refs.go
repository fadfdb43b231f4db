package policy

import (
	"fmt"
	"slices"
	"strconv"
)

// Event kinds that act in an org, and those that act through an app; with
// several orgs (apps) they must say which, unless `use` implies it.
var (
	kindsInOrg   = []string{"authorize", "token", "revoke", "api", "admin", "outboundMessage", "visualforceSession", "soapLogin"}
	kindsThruApp = []string{"authorize", "token"}
)

const (
	patchAction  = "patch" // admin action after which names may differ from the document's
	noneResolved = -1      // no org (app, event) could be told
)

// names indexes a list of names: the first position of each.
type names struct {
	list []string
	at   map[string]int
}

func (n names) has(name string) bool {
	_, ok := n.at[name]
	return ok
}

// unique indexes the names of base/i/field and reports each repeat.
func (d *decoding) unique(base, field, what string, list []string) names {
	n := names{list: list, at: make(map[string]int, len(list))}
	for i, name := range list {
		if name == "" {
			continue
		}
		if j, dup := n.at[name]; dup {
			d.check(fmt.Sprintf("%s/%d/%s", base, i, field), "duplicate %s %s (first at %s/%d)", what, quoteShort(name), base, j)
			continue
		}
		n.at[name] = i
	}
	return n
}

// ref reports a reference at path to a name missing from known. where
// completes "no profile named x", e.g. ` in org "Acme"`.
func (d *decoding) ref(path, what, name, where string, known names) {
	if name == "" || known.has(name) {
		return
	}
	d.check(path, "no %s named %s%s%s", what, quoteShort(name), where, didYouMean(name, known.list))
}

// refs reports each name of list (at base/i) missing from known.
func (d *decoding) refs(base, what, where string, list []string, known names) {
	for i, name := range list {
		d.ref(base+"/"+strconv.Itoa(i), what, name, where, known)
	}
}

// pluck collects one string field of each element.
func pluck[T any](xs []T, f func(T) string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = f(x)
	}
	return out
}

// crossCheck reports names that should be unique and are not, and
// references to orgs, apps, users, profiles, permission sets and events
// that do not exist.
func (d *decoding) crossCheck(s *Scenario) {
	orgIx := d.unique("/orgs", "name", "org name", pluck(s.Orgs, func(o Org) string { return o.Name }))
	apps := d.unique("/apps", "name", "app name", pluck(s.Apps, func(a App) string { return a.Name }))
	orgs := make([]orgNames, len(s.Orgs))
	for i, o := range s.Orgs {
		orgs[i] = d.checkOrg(fmt.Sprintf("/orgs/%d", i), o, apps)
	}
	d.checkEvents(s, orgIx, orgs, apps)
}

// orgNames indexes what events may name in one org.
type orgNames struct {
	name                     string
	users, permSet, psGroups names
}

// checkOrg checks names and references inside one org.
func (d *decoding) checkOrg(base string, o Org, apps names) orgNames {
	in := " in org " + quoteShort(o.Name)
	profiles := d.unique(base+"/profiles", "name", "profile name", pluck(o.Profiles, func(p Profile) string { return p.Name }))
	permSets := d.unique(base+"/permissionSets", "name", "permission set name", pluck(o.PermissionSets, func(p PermissionSet) string { return p.Name }))
	psGroups := d.unique(base+"/permissionSetGroups", "name", "permission set group name", pluck(o.PermissionSetGroups, func(g PermissionSetGroup) string { return g.Name }))
	users := d.unique(base+"/users", "username", "username", pluck(o.Users, func(u User) string { return u.Username }))
	d.unique(base+"/installedApps", "app", "installed app", pluck(o.InstalledApps, func(a InstalledApp) string { return a.App }))
	for i, p := range o.Profiles {
		d.refs(base+"/profiles/"+strconv.Itoa(i)+"/connectedApps", "app", "", p.ConnectedApps, apps)
	}
	for i, p := range o.PermissionSets {
		d.refs(base+"/permissionSets/"+strconv.Itoa(i)+"/connectedApps", "app", "", p.ConnectedApps, apps)
	}
	for i, g := range o.PermissionSetGroups {
		gb := base + "/permissionSetGroups/" + strconv.Itoa(i)
		d.refs(gb+"/permissionSets", "permission set", in, g.PermissionSets, permSets)
		if m := g.MutingPermissionSet; m != nil {
			d.refs(gb+"/mutingPermissionSet/connectedApps", "app", "", m.ConnectedApps, apps)
		}
	}
	for i, u := range o.Users {
		ub := base + "/users/" + strconv.Itoa(i)
		d.ref(ub+"/profile", "profile", u.Profile, in, profiles)
		d.refs(ub+"/permissionSets", "permission set", in, u.PermissionSets, permSets)
		d.refs(ub+"/permissionSetGroups", "permission set group", in, u.PermissionSetGroups, psGroups)
		d.refs(ub+"/approvedApps", "app", "", u.ApprovedApps, apps)
	}
	for i, ia := range o.InstalledApps {
		d.ref(fmt.Sprintf("%s/installedApps/%d/app", base, i), "app", ia.App, "", apps)
	}
	return orgNames{name: o.Name, users: users, permSet: permSets, psGroups: psGroups}
}

// checkEvents checks event ids, `use`, and the orgs, apps, users and
// permission sets events name. After an admin patch the scenario may have
// changed, so later events' names are not checked against the document.
func (d *decoding) checkEvents(s *Scenario, orgIx names, orgs []orgNames, apps names) {
	ids := d.unique("/events", "id", "event id", pluck(s.Events, func(e Event) string { return e.ID }))
	evOrg := make([]int, len(s.Events)) // org each event acts in, or noneResolved
	evApp := make([]int, len(s.Events))
	patched := false
	for i, ev := range s.Events {
		base := fmt.Sprintf("/events/%d", i)
		used := d.checkUse(base, i, ev.Use, ids)
		evOrg[i] = d.resolve(base+"/org", "org", ev.Org, used, evOrg, orgIx,
			!patched && slices.Contains(kindsInOrg, ev.Do), patched)
		evApp[i] = d.resolve(base+"/app", "app", ev.App, used, evApp, apps,
			!patched && slices.Contains(kindsThruApp, ev.Do), patched)
		if o := evOrg[i]; o != noneResolved && !patched {
			in := " in org " + quoteShort(orgs[o].name)
			d.ref(base+"/user", "user", ev.User, in, orgs[o].users)
			d.ref(base+"/sendAsUser", "user", ev.SendAsUser, in, orgs[o].users)
			d.ref(base+"/permissionSet", "permission set", ev.PermissionSet, in, orgs[o].permSet)
			d.ref(base+"/permissionSetGroup", "permission set group", ev.PermissionSetGroup, in, orgs[o].psGroups)
		}
		if ev.Do == "admin" && ev.Action == patchAction {
			patched = true
		}
	}
}

// checkUse checks that event i's `use` names an earlier event, and returns
// that event's index, or noneResolved.
func (d *decoding) checkUse(base string, i int, use string, ids names) int {
	if use == "" {
		return noneResolved
	}
	j, ok := ids.at[use]
	switch {
	case !ok:
		d.check(base+"/use", "no event with id %s%s", quoteShort(use), didYouMean(use, ids.list))
	case j == i:
		d.check(base+"/use", "an event cannot use itself")
	case j > i:
		d.check(base+"/use", "event %s comes later (/events/%d); use names an earlier event", quoteShort(use), j)
	default:
		return j
	}
	return noneResolved
}

// resolve finds the org (or app) an event acts on: the one it names, else
// the one of the event it uses, else the only one. With several and none
// implied, needed says whether leaving it out is an error.
func (d *decoding) resolve(path, what, name string, used int, resolved []int, known names, needed, patched bool) int {
	switch {
	case name != "":
		if i, ok := known.at[name]; ok {
			return i
		}
		if !patched {
			d.ref(path, what, name, "", known)
		}
	case used != noneResolved:
		return resolved[used]
	case len(known.list) == 1:
		return 0
	case len(known.list) > 1 && needed:
		d.check(path, "is required when the scenario has %d %ss", len(known.list), what)
	}
	return noneResolved
}
