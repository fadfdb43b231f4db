package policy

import (
	"strconv"
	"strings"
	"time"
)

// request is one event being evaluated, with the scenario entities it
// names resolved.
type request struct {
	s    *Scenario
	st   *state
	ev   *Event
	evIx int
	res  *EventResult
	now  time.Time

	org    *Org
	orgIx  int
	app    *App
	appIx  int
	inst   *InstalledApp
	instIx int
	user   *User
	userIx int

	channel     string // where a denial goes at this point of the flow
	redirectURI string // the callback, once validated
	used        *artefact
	granted     []string
	candidates  []Fix
	quiet       bool // fix verification: outcomes only
}

func (r *request) deny(d *denial) {
	r.res.Outcome = Denied
	r.res.Error, r.res.ErrorDescription = d.err, d.desc
	r.res.Delivery, r.res.HTTPStatus = d.delivery, d.status
}

// bind resolves org, app, user and installed app by index.
func (r *request) bindOrg(ix int) {
	r.orgIx, r.org = ix, nil
	if ix >= 0 && ix < len(r.s.Orgs) {
		r.org = &r.s.Orgs[ix]
	}
}

func (r *request) bindApp(ix int) {
	r.appIx, r.app, r.inst, r.instIx = ix, nil, nil, -1
	if ix < 0 || ix >= len(r.s.Apps) {
		return
	}
	r.app = &r.s.Apps[ix]
	if r.org != nil {
		if k := r.org.installedIndex(r.app.Name); k >= 0 {
			r.instIx, r.inst = k, &r.org.InstalledApps[k]
		}
	}
}

func (r *request) bindUser(username string) {
	r.userIx, r.user = -1, nil
	if r.org == nil {
		return
	}
	if ix := r.org.userIndex(username); ix >= 0 {
		r.userIx, r.user = ix, &r.org.Users[ix]
	}
}

// ownedHere says whether the app was created in the event's org: such apps
// are managed without installation.
func (r *request) ownedHere() bool {
	return r.app != nil && r.org != nil && r.s.ownerOrg(r.app) == r.org.Name
}

// ownerOrg is the org where the app was created. When the scenario omits it
// and has a single org, the app is taken to be that org's own (the common
// "I created a connected app in my org" case); with several orgs an omitted
// owner means an org outside the scenario.
func (s *Scenario) ownerOrg(a *App) string {
	if a.OwnerOrg == "" && len(s.Orgs) == 1 {
		return s.Orgs[0].Name
	}
	return a.OwnerOrg
}

// manageable says whether the org's admin can edit the app's policies:
// only for installed apps or apps created in the org.
func (r *request) manageable() bool { return r.inst != nil || r.ownedHere() }

// policy returns the effective value of one policy field and the setting
// that decided it: the installed app's policy, else the app definition's
// (for installed or owned apps), else Salesforce's default.
func (r *request) policy(field string) (string, string) {
	get := func(p *Policies) string {
		switch field {
		case "permittedUsers":
			return p.PermittedUsers
		case "ipRelaxation":
			return p.IPRelaxation
		case "refreshTokenPolicy":
			return p.RefreshTokenPolicy
		case "sessionTimeout":
			return p.SessionTimeout
		case "highAssurance":
			return p.HighAssurance
		}
		return ""
	}
	if r.inst != nil {
		if v := get(&r.inst.Policies); v != "" {
			return v, r.policyPath(field)
		}
	}
	if r.manageable() {
		if v := get(&r.app.Policies); v != "" {
			return v, r.appPolicyPath(field)
		}
	}
	return policyDefaults[field], ""
}

var policyDefaults = map[string]string{
	"permittedUsers":     "allSelfAuthorize",
	"ipRelaxation":       "enforce",
	"refreshTokenPolicy": "validUntilRevoked",
	"sessionTimeout":     "",
	"highAssurance":      "none",
}

// policyPath is where a subscriber admin sets a policy field for this org:
// the installed app's policies, or the app definition in its own org.
func (r *request) policyPath(field string) string {
	if r.inst != nil {
		return "/orgs/" + strconv.Itoa(r.orgIx) + "/installedApps/" + strconv.Itoa(r.instIx) + "/policies/" + field
	}
	return r.appPolicyPath(field)
}

// appPolicyPath is the app definition's policy field.
func (r *request) appPolicyPath(field string) string {
	return "/apps/" + strconv.Itoa(r.appIx) + "/policies/" + field
}

// sessionTimeout is the access-token lifetime: the app's timeout, else the
// user's profile, else the org's session settings.
func (r *request) sessionTimeout() (time.Duration, string) {
	if v, path := r.policy("sessionTimeout"); v != "" {
		if d, err := ParseDuration(v); err == nil {
			return d, path
		}
	}
	if r.user != nil && r.org != nil {
		if v := r.org.profileTimeout(r.user); v != "" {
			if d, err := ParseDuration(v); err == nil {
				return d, "/orgs/" + strconv.Itoa(r.orgIx) + "/profiles/" + strconv.Itoa(r.org.profileIndex(r.user.Profile)) + "/sessionTimeout"
			}
		}
	}
	if r.org != nil && r.org.Settings.SessionTimeout != "" {
		if d, err := ParseDuration(r.org.Settings.SessionTimeout); err == nil {
			return d, r.orgPath("/settings/sessionTimeout")
		}
	}
	return defaultSessionTimeout, ""
}

// credential resolves an event credential: correct, wrong, missing, or a
// literal compared with the expected value. Omitted means correct.
func credential(given, expected string) string {
	switch given {
	case "", "correct":
		return "correct"
	case "wrong", "missing":
		return given
	}
	if expected != "" && given == expected {
		return "correct"
	}
	return "wrong"
}

// host is the event's login host: login, test, myDomain or a URL.
func (r *request) host() string {
	if r.ev.Host != "" {
		return r.ev.Host
	}
	if r.org != nil && (r.org.isSandbox() || r.org.Type == "scratch") {
		return "test"
	}
	return "login"
}

// hostURL is the https base URL of the host the request went to.
func (r *request) hostURL() string {
	switch h := r.host(); h {
	case "login":
		return "https://login.salesforce.com"
	case "test":
		return "https://test.salesforce.com"
	case "myDomain":
		if r.org != nil {
			return "https://" + r.org.myDomainHost()
		}
		return "https://login.salesforce.com"
	default:
		return strings.TrimSuffix(h, "/")
	}
}

// userLabel is the username, for messages.
func (r *request) userLabel() string {
	if r.user != nil {
		return r.user.Username
	}
	return r.ev.User
}
