package policy

import (
	"strings"
	"time"
)

// Release and enforcement dates that change Salesforce's defaults. Orgs are
// upgraded in waves; each date is the one caplab uses, said in the trace.
var (
	summer23               = day(2023, 6, 10)  // username-password and user-agent flows blocked by default in new orgs
	winter26               = day(2025, 10, 11) // SOAP login() off by default in new orgs
	summer26               = day(2026, 6, 13)  // new orgs: login() also needs Use Any API Auth
	usageNewOrgs           = day(2025, 8, 28)  // uninstalled-app restriction for orgs created from this day
	usageExisting          = day(2025, 9, 2)   // ... and for existing orgs (phased Sep 2–17; caplab uses the first day)
	useAnyClientNoSelfAuth = day(2025, 12, 8)  // Use Any API Client stops allowing self-authorization of uninstalled apps
	outboundNoSessionID    = day(2026, 2, 23)  // outbound messages stop carrying session IDs

	defaultOrgCreatedAt = day(2020, 1, 1)
)

const (
	defaultSessionTimeout = 2 * time.Hour
	authCodeLifetime      = 15 * time.Minute // UNCONFIRMED (secondary quote only)
	maxApprovalsPerApp    = 5
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// orgCreatedAt is the org's creation date, or caplab's default.
func orgCreatedAt(o *Org) time.Time {
	if t, err := time.Parse(time.DateOnly, o.CreatedAt); err == nil {
		return t
	}
	return defaultOrgCreatedAt
}

// boolSetting resolves an optional switch: the scenario's value, else the
// default; the second result says which.
func boolSetting(v *bool, def bool) (value, explicit bool) {
	if v != nil {
		return *v, true
	}
	return def, false
}

func (o *Org) allowUsernamePassword() (bool, bool) {
	return boolSetting(o.Settings.AllowUsernamePasswordFlows, orgCreatedAt(o).Before(summer23))
}

// UNCONFIRMED: the fact sheet names only username-password as blocked by
// default from Summer '23; Salesforce's release note blocks user-agent too.
func (o *Org) allowUserAgent() (bool, bool) {
	return boolSetting(o.Settings.AllowUserAgentFlows, orgCreatedAt(o).Before(summer23))
}

func (o *Org) soapLoginEnabled() (bool, bool) {
	return boolSetting(o.Settings.SoapAPILogin, orgCreatedAt(o).Before(winter26))
}

func (o *Org) soapLoginNeedsUseAnyAPIAuth() (bool, bool) {
	return boolSetting(o.Settings.SoapLoginRequiresUseAnyAPIAuth, !orgCreatedAt(o).Before(summer26))
}

func (o *Org) isSandbox() bool { return o.Type == "sandbox" }

// myDomainLabel is the org's My Domain label; every org has one since
// Winter '23, so a missing one is derived from the org name.
func (o *Org) myDomainLabel() string {
	if o.MyDomain != "" {
		return o.MyDomain
	}
	var b strings.Builder
	for _, r := range strings.ToLower(o.Name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "org"
	}
	return b.String()
}

func (o *Org) myDomainHost() string {
	if o.isSandbox() {
		return o.myDomainLabel() + ".sandbox.my.salesforce.com"
	}
	return o.myDomainLabel() + ".my.salesforce.com"
}

func (o *Org) orgID() string {
	if o.ID != "" {
		return o.ID
	}
	return GenerateID("00D", o.Name)
}

func (u *User) isActive() bool    { v, _ := boolSetting(u.Active, true); return v }
func (u *User) hasPassword() bool { v, _ := boolSetting(u.HasPassword, true); return v }

func (a *App) isECA() bool { return a.Kind == "externalClientApp" }

func (a *App) consumerKey() string {
	if a.OAuth.ConsumerKey != "" {
		return a.OAuth.ConsumerKey
	}
	return "caplab_" + GenerateID("888", a.Name)[3:]
}

func (a *App) requireSecretWebServer() bool {
	v, _ := boolSetting(a.OAuth.RequireSecretForWebServerFlow, true)
	return v
}

func (a *App) requireSecretRefresh() bool {
	v, _ := boolSetting(a.OAuth.RequireSecretForRefreshTokenFlow, true)
	return v
}

// kindLabel says "connected app" or "external client app" in traces.
func (a *App) kindLabel() string {
	if a.isECA() {
		return "external client app"
	}
	return "connected app"
}
