package policy

import "strings"

// Login History's login types and the statuses the live org records
// outside the engine's rules, in Salesforce's words.
const (
	LoginTypeUI          = loginTypeUI
	LoginTypeOAuth       = loginTypeOAuth
	LoginTypeSOAP        = loginTypeSOAP
	LoginAppBrowser      = loginAppBrowser
	LoginStatusSuccess   = loginSuccess
	LoginStatusInvalidPW = loginInvalidPassword
	LoginStatusLockout   = loginLockout
)

// LoginHistoryStatus is the Status Login History shows for a login or
// token request the engine answered with res: "Success" when granted,
// else the status of the rule that refused it. Refusals no public source
// names a status for read "Failed: " and the error description
// (UNCONFIRMED). The simulated and the live org use this one mapping.
func LoginHistoryStatus(res EventResult) string {
	if res.Outcome == Granted {
		return loginSuccess
	}
	for _, t := range res.Trace {
		if t.Outcome != StepFail {
			continue
		}
		switch t.Rule {
		case "user.credentials":
			if strings.HasSuffix(t.Setting, "/securityToken") {
				return loginTokenRequired
			}
			return loginInvalidPassword
		case "user.active":
			return loginUserInactive
		case "user.lockout":
			return loginLockout
		case "user.loginIpRanges":
			return loginRestrictedIP
		case "org.allowUsernamePasswordFlows":
			return loginUPFlowDisabled
		case "app.permittedUsers":
			if res.Error != errAccessDenied && res.Error != errImmediate {
				// Admin-approved users only (Help 000212208); the same status
				// for a self-authorize app nobody approved is UNCONFIRMED.
				return loginNotApproved
			}
		}
		break
	}
	desc := res.ErrorDescription
	if desc == "" {
		desc = res.Error
	}
	return loginFailedPrefix + desc
}
