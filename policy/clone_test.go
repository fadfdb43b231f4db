package policy

import (
	"encoding/json"
	"reflect"
	"testing"
)

// A clone is equal to the original, and changing any of the clone's
// mutable parts leaves the original untouched.
func TestCloneScenarioIsDeep(t *testing.T) {
	for _, p := range Presets() {
		data, _ := Preset(p.Name)
		s, err := Decode(data)
		if err != nil {
			t.Fatalf("%s: %v", p.Name, err)
		}
		before, _ := json.Marshal(s)
		c := cloneScenario(s)
		if !reflect.DeepEqual(s, c) {
			t.Fatalf("%s: clone differs from the original", p.Name)
		}
		for i := range c.Orgs {
			o := &c.Orgs[i]
			o.Name += "x"
			o.Settings.SessionTimeout = "9h"
			if o.Settings.SoapAPILogin != nil {
				*o.Settings.SoapAPILogin = !*o.Settings.SoapAPILogin
			}
			for j := range o.Users {
				o.Users[j].PermissionSets = append(o.Users[j].PermissionSets[:0:0], "changed")
				if o.Users[j].Active != nil {
					*o.Users[j].Active = !*o.Users[j].Active
				}
			}
			for j := range o.Profiles {
				if len(o.Profiles[j].ConnectedApps) > 0 {
					o.Profiles[j].ConnectedApps[0] = "changed"
				}
				if h := o.Profiles[j].LoginHours; h != nil {
					h.Monday = &HoursSpan{Start: "changed"} // as a fix does: a whole day
				}
			}
			for j := range o.Users {
				if len(o.Users[j].PermissionSetGroups) > 0 {
					o.Users[j].PermissionSetGroups[0] = "changed"
				}
			}
			if len(o.Settings.TrustedIPRanges) > 0 {
				o.Settings.TrustedIPRanges[0].Start = "changed"
			}
			for j := range o.InstalledApps {
				o.InstalledApps[j].Blocked = !o.InstalledApps[j].Blocked
			}
		}
		for i := range c.Apps {
			if len(c.Apps[i].OAuth.Scopes) > 0 {
				c.Apps[i].OAuth.Scopes[0] = "changed"
			}
			c.Apps[i].Policies.PermittedUsers = "changed"
		}
		after, _ := json.Marshal(s)
		if string(before) != string(after) {
			t.Errorf("%s: changing the clone changed the original", p.Name)
		}
	}
}
