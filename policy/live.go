package policy

import (
	"slices"
	"time"
)

// The live org (lambda/httpapi) answers real OAuth requests with this
// engine. It keeps no engine state between requests: for each request it
// rebuilds the few earlier requests that matter (the authorize request
// behind a code, the redemption behind a refresh token) from its store and
// evaluates them, in order and at their times, with the current one last.

// LiveStep is one request of a live org as the engine sees it, and when it
// happened.
type LiveStep struct {
	At    time.Time
	Event Event
}

// LiveApproval is a user's earlier approval of an app, held by the live
// org's store; it counts like the user's approvedApps.
type LiveApproval struct{ Org, User, App string }

// EvaluateLive evaluates steps in order against s, whose own events are
// ignored, after adding approvals to the users' approvedApps. The clock
// starts at the first step and moves to each step's At (never backwards).
// It returns one result per step, without fixes or expectation checks. s
// must have passed Decode and is not modified.
func EvaluateLive(s *Scenario, approvals []LiveApproval, steps []LiveStep) []EventResult {
	if len(steps) == 0 {
		return nil
	}
	c := *s
	c.Now = ""
	c.Events = make([]Event, len(steps))
	for i, st := range steps {
		c.Events[i] = st.Event
	}
	if len(approvals) > 0 {
		c.Orgs = slices.Clone(s.Orgs)
		for i := range c.Orgs {
			o := &c.Orgs[i]
			o.Users = slices.Clone(o.Users)
			for j := range o.Users {
				u := &o.Users[j]
				for _, a := range approvals {
					if a.Org == o.Name && a.User == u.Username && !slices.Contains(u.ApprovedApps, a.App) {
						u.ApprovedApps = append(slices.Clone(u.ApprovedApps), a.App)
					}
				}
			}
		}
	}
	e := newEvaluator(&c, Options{Now: steps[0].At})
	e.st.now = steps[0].At.UTC()
	out := make([]EventResult, len(steps))
	for i, st := range steps {
		if at := st.At.UTC(); at.After(e.st.now) {
			e.st.now = at
		}
		out[i] = e.event(i).EventResult
	}
	return out
}

// ConsumerKey is the client_id the app answers to: its consumer key, or the
// one caplab derives when the scenario sets none.
func (a *App) ConsumerKey() string { return a.consumerKey() }

// AppByConsumerKey is the app whose consumer key is key, or nil.
func (s *Scenario) AppByConsumerKey(key string) *App {
	if i := s.appByKey(key); i >= 0 {
		return &s.Apps[i]
	}
	return nil
}

// AppNamed is the app with this name (the only app for ""), or nil.
func (s *Scenario) AppNamed(name string) *App {
	if i := s.appIndex(name); i >= 0 {
		return &s.Apps[i]
	}
	return nil
}

// OrgNamed is the org with this name (the only org for ""), or nil.
func (s *Scenario) OrgNamed(name string) *Org {
	if i := s.orgIndex(name); i >= 0 {
		return &s.Orgs[i]
	}
	return nil
}

// FindUser is the first org with a user of this username, and the user.
func (s *Scenario) FindUser(username string) (*Org, *User) {
	for i := range s.Orgs {
		if j := s.Orgs[i].userIndex(username); j >= 0 {
			return &s.Orgs[i], &s.Orgs[i].Users[j]
		}
	}
	return nil, nil
}

// HomeOrg is the org a request without a user goes to for this app: the
// first org where the app is installed, else the org that owns it, else the
// first org.
func (s *Scenario) HomeOrg(app *App) *Org {
	if app != nil {
		for i := range s.Orgs {
			if s.Orgs[i].installedIndex(app.Name) >= 0 {
				return &s.Orgs[i]
			}
		}
		if o := s.OrgNamed(s.ownerOrg(app)); o != nil {
			return o
		}
	}
	if len(s.Orgs) > 0 {
		return &s.Orgs[0]
	}
	return nil
}

// OrgID is the org's 18-character id (generated when the scenario sets none).
func (o *Org) OrgID() string { return o.orgID() }

// UserID is the user's 18-character id (generated when the scenario sets none).
func (o *Org) UserID(u *User) string {
	if u.ID != "" {
		return u.ID
	}
	return GenerateID("005", o.Name+"/"+u.Username)
}

// Lockout is the org's password policy as the engine (lockout.go) and the
// live org apply it: the wrong passwords in a row that lock a user out (0:
// no limit) and for how long (0: until an admin unlocks).
func (o *Org) Lockout() (maxAttempts int, period time.Duration) {
	pp := o.Settings.PasswordPolicy
	switch pp.MaxInvalidLoginAttempts {
	case "3":
		maxAttempts = 3
	case "5":
		maxAttempts = 5
	case "noLimit":
		maxAttempts = 0
	default:
		maxAttempts = 10
	}
	switch pp.LockoutPeriod {
	case "30m":
		period = 30 * time.Minute
	case "60m":
		period = time.Hour
	case "forever":
		period = 0
	default:
		period = 15 * time.Minute
	}
	return maxAttempts, period
}

// IsActive says whether the user is active.
func (u *User) IsActive() bool { return u.isActive() }

// Error codes and descriptions the live org answers outside the engine's
// rules (malformed HTTP requests), in Salesforce's words.
const (
	LiveErrInvalidRequest          = errInvalidRequest
	LiveErrUnsupportedGrantType    = errUnsupportedGrantType
	LiveDescUnsupportedGrantType   = descUnsupportedGrantType
	LiveErrUnsupportedResponseType = errUnsupportedResponseType
	LiveDescUnsupportedResponse    = descUnsupportedResponseType
	LiveErrInvalidClient           = errInvalidClient
	LiveDescInvalidClientCreds     = descInvalidClientCreds
	LiveErrInvalidGrant            = errInvalidGrant
	LiveDescInvalidCode            = descInvalidCode
	LiveDescExpiredCode            = descExpiredCode
	LiveDescExpiredToken           = descExpiredToken
	LiveErrInvalidToken            = errInvalidToken
	LiveDescInvalidToken           = descInvalidToken
	LiveErrInvalidSessionID        = errInvalidSessionID
	LiveDescSessionExpired         = descSessionExpired
	LiveDescLoginFailed            = descLoginFailed
	LiveDescLockedOut              = descLockedOut
	LiveErrInvalidScope            = errInvalidScope
	LiveDescSessionNotREST         = descSessionNotREST
	LiveErrAccessDenied            = errAccessDenied
	LiveDescAccessDenied           = descAccessDenied
	LiveErrImmediate               = errImmediate
	LiveDescImmediate              = descImmediate
	LiveAuthCodeLifetime           = authCodeLifetime
)
