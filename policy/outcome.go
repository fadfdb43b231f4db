package policy

// What the engine's callers (the live org) ask of a result, as typed
// values: a caller never spells a rule's name or reads the trace, so a
// renamed rule fails TestChecksNameRules here instead of changing a live
// org's answers.

// Check is a rule of the engine that callers ask about.
type Check string

// The checks callers ask about; each is its rule's name.
const (
	// CheckCallbackURL: redirect_uri is one of the app's callbacks. Until it
	// passes, an authorization error is shown on the org's page, never
	// redirected.
	CheckCallbackURL Check = "app.callbackUrl"
	// CheckDeviceFlow: the app is enabled for the device flow.
	CheckDeviceFlow Check = "app.deviceFlow"
	// CheckCredentials: the user's password and security token (the
	// username-password flow, SOAP login()).
	CheckCredentials Check = "user.credentials"
	// CheckCode: the authorization code exists, is the client's, unused,
	// unrevoked and unexpired.
	CheckCode Check = "code.valid"
	// CheckRefresh: the refresh token is not rotated out, revoked or
	// expired by the app's Refresh Token Policy.
	CheckRefresh Check = "refresh.valid"
)

// DeniedBy is the check that denied the event: "" when none did (it was
// granted). Compare it with the Check constants.
func (r EventResult) DeniedBy() Check {
	for _, t := range r.Trace {
		if t.Outcome == StepFail {
			return Check(t.Rule)
		}
	}
	return ""
}

// Passed says whether check c passed for this event.
func (r EventResult) Passed(c Check) bool { return r.stepIs(c, StepPass) }

// Checked says whether the engine decided check c for this event (it
// passed or failed): a skipped check or one never reached was not.
func (r EventResult) Checked(c Check) bool { return r.stepIs(c, StepPass) || r.stepIs(c, StepFail) }

func (r EventResult) stepIs(c Check, outcome string) bool {
	for _, t := range r.Trace {
		if t.Rule == string(c) && t.Outcome == outcome {
			return true
		}
	}
	return false
}
