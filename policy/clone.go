package policy

import "slices"

// cloneScenario deep-copies what admin events and fixes may change: orgs
// and apps (events are copied shallowly; their pointers are never written;
// permission set groups are never changed, only assigned).
func cloneScenario(s *Scenario) *Scenario {
	c := *s
	c.Orgs = slices.Clone(s.Orgs)
	for i := range c.Orgs {
		o := &c.Orgs[i]
		o.Settings = cloneSettings(o.Settings)
		o.Profiles = slices.Clone(o.Profiles)
		for j := range o.Profiles {
			p := &o.Profiles[j]
			p.Permissions = slices.Clone(p.Permissions)
			p.LoginIPRanges = slices.Clone(p.LoginIPRanges)
			p.ConnectedApps = slices.Clone(p.ConnectedApps)
			if p.LoginHours != nil {
				h := *p.LoginHours // fixes replace whole days, never a day's times
				p.LoginHours = &h
			}
		}
		o.PermissionSets = slices.Clone(o.PermissionSets)
		for j := range o.PermissionSets {
			p := &o.PermissionSets[j]
			p.Permissions = slices.Clone(p.Permissions)
			p.ConnectedApps = slices.Clone(p.ConnectedApps)
		}
		o.Users = slices.Clone(o.Users)
		for j := range o.Users {
			u := &o.Users[j]
			u.PermissionSets = slices.Clone(u.PermissionSets)
			u.PermissionSetGroups = slices.Clone(u.PermissionSetGroups)
			u.ApprovedApps = slices.Clone(u.ApprovedApps)
			u.Active = cloneBool(u.Active)
			u.HasPassword = cloneBool(u.HasPassword)
		}
		o.InstalledApps = slices.Clone(o.InstalledApps)
		o.ExperienceSites = slices.Clone(o.ExperienceSites)
	}
	c.Apps = slices.Clone(s.Apps)
	for i := range c.Apps {
		a := &c.Apps[i]
		a.OAuth.CallbackURLs = slices.Clone(a.OAuth.CallbackURLs)
		a.OAuth.Scopes = slices.Clone(a.OAuth.Scopes)
		a.OAuth.RequireSecretForWebServerFlow = cloneBool(a.OAuth.RequireSecretForWebServerFlow)
		a.OAuth.RequireSecretForRefreshTokenFlow = cloneBool(a.OAuth.RequireSecretForRefreshTokenFlow)
	}
	c.Events = slices.Clone(s.Events)
	return &c
}

func cloneSettings(st OrgSettings) OrgSettings {
	st.AllowUsernamePasswordFlows = cloneBool(st.AllowUsernamePasswordFlows)
	st.AllowUserAgentFlows = cloneBool(st.AllowUserAgentFlows)
	st.RequirePkce = cloneBool(st.RequirePkce)
	st.APIAccessControl = cloneBool(st.APIAccessControl)
	st.SoapAPILogin = cloneBool(st.SoapAPILogin)
	st.SoapLoginRequiresUseAnyAPIAuth = cloneBool(st.SoapLoginRequiresUseAnyAPIAuth)
	st.TrustedIPRanges = slices.Clone(st.TrustedIPRanges)
	return st
}

func cloneBool(b *bool) *bool {
	if b == nil {
		return nil
	}
	v := *b
	return &v
}
