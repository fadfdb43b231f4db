package policy

import (
	"slices"
	"strings"
)

// Risk cards: why OAuth through a connected app is safer than a raw session
// ID or stored credentials.

func oauthRisk(scopes []string, grant string) *Risk {
	r := &Risk{Mechanism: "oauthToken", Auditable: true, ScopeLimited: !slices.Contains(scopes, "full"), TimeLimited: true,
		RevocableWithoutPasswordChange: true, SurvivesPasswordChange: true,
		Notes: []string{"listed per app and user on Connected Apps OAuth Usage", "an admin or the user can revoke it without touching the password"}}
	if !r.ScopeLimited {
		r.Notes = append(r.Notes, "the full scope grants everything the user can access")
	}
	if grant == "password" {
		r.SurvivesPasswordChange, r.RevocableWithoutPasswordChange = false, false
		r.Notes = append(r.Notes, "the username-password flow means the client stores the password: a password change breaks it, and revoking the token doesn't stop it getting a new one")
	}
	return r
}

func sessionRisk() *Risk {
	return &Risk{Mechanism: "sessionId", TimeLimited: true, SurvivesPasswordChange: true,
		Notes: []string{"a session ID acts with all of the user's access, not a scope", "it is not attributed to an app in OAuth Usage", "there is no per-integration revoke"}}
}

func storedCredentialsRisk() *Risk {
	return &Risk{Mechanism: "storedCredentials",
		Notes: []string{"the integration stores the password and security token", "any password change or reset breaks it", "the only revoke is changing the password"}}
}

// riskFor attaches the risk card of an OAuth event.
func riskFor(ev *Event, res *EventResult) *Risk {
	if ev.Do != "authorize" && ev.Do != "token" {
		return res.Risk
	}
	return oauthRisk(strings.Fields(res.Issued.Scope), ev.Grant)
}
