package policy

// Every error code and description the engine answers with, Salesforce's
// (from the fact sheet's §6, the project's source of Salesforce facts) and
// caplab's own labels. Keeping them in one place makes an UNCONFIRMED string
// easy to change; TestStringsLiveInStringsGo keeps them here.
const (
	errInvalidClientID          = "invalid_client_id"
	descInvalidClientID         = "client identifier invalid"
	errInvalidClient            = "invalid_client"
	descInvalidClientCreds      = "invalid client credentials"
	descMustBeInstalled         = "app must be installed into org"
	errAppNotFound              = "app_not_found"
	descECANotInstalled         = "External client app is not installed in this org"
	errRedirectMissing          = "redirect_uri_missing"
	descRedirectMissing         = "Redirect_uri not provided"
	errRedirectMismatch         = "redirect_uri_mismatch"
	descRedirectMismatch        = "redirect_uri must match configuration"
	errUnsupportedGrantType     = "unsupported_grant_type"
	descUnsupportedGrantType    = "grant type not supported"
	errInvalidRequest           = "invalid_request"
	descHTTPSRequired           = "HTTPS required"
	descMissingChallenge        = "missing required code challenge"
	descInvalidCodeVerifier     = "invalid code verifier" // runtime answer, with invalid_grant (fact sheet §12)
	errAccessDenied             = "access_denied"
	descAccessDenied            = "end-user denied authorization" // UNCONFIRMED wording
	errImmediate                = "immediate_unsuccessful"
	descImmediate               = "Immediate unsuccessful"
	errInvalidGrant             = "invalid_grant"
	descAuthFailure             = "authentication failure"
	descIPRestricted            = "ip restricted or invalid login hours"
	descExpiredToken            = "expired access/refresh token"
	descExpiredCode             = "expired authorization code"
	descInvalidCode             = "invalid authorization code"
	descNotApproved             = "user hasn't approved this consumer"
	descAudience                = "Audience validation failed"
	descInvalidAssertion        = "invalid assertion"
	descAssertionNotYetValid    = "invalid assertion" // UNCONFIRMED: nbf or iat in the future; no string found
	descNoCCUser                = "no client credentials user enabled"
	descWrongDomain             = "request not supported on this domain"
	descNoValidScopes           = "no valid scopes defined"
	descScopeNotSupported       = "scope parameter not supported"
	errInvalidAppAccess         = "invalid_app_access"
	errAppAccessDenied          = "OAUTH_APP_ACCESS_DENIED"
	descNotAdminApproved        = "user is not admin approved to access this app"
	errAppBlocked               = "OAUTH_APP_BLOCKED"
	descAppBlocked              = "this app is blocked by admin"
	errInactiveUser             = "inactive_user"
	descInactiveUser            = "User is inactive"
	descInactiveUserToken       = "inactive user" // runtime answer at the token endpoint, with invalid_grant (fact sheet §12)
	descFrozenPage              = descLoginFailed // UNCONFIRMED: a frozen user at the login page
	descFrozenToken             = descAuthFailure // UNCONFIRMED: a frozen user at the token endpoint
	errUnsupportedResponseType  = "unsupported_response_type"
	descUnsupportedResponseType = "response type is not supported"
	descGrantTypeMissing        = "grant type is missing"
	errInvalidToken             = "invalid_token"                    // revoke
	descInvalidToken            = "invalid token"                    // UNCONFIRMED wording
	errUnsupportedTokenType     = "unsupported_token_type"           // revoke
	descUnsupportedTokenType    = "this token type is not supported" // UNCONFIRMED wording
	errInvalidScope             = "invalid_scope"
	descInvalidScope            = "Requested scope is invalid, unknown, or malformed"
	errInsufficientPrivs        = "Insufficient Privileges"
	descInsufficientPrivs       = "You do not have the level of access necessary to perform the operation you requested. Please contact the owner of the record or your administrator if access is necessary."
	errLoginFailed              = "login_failed" // shown on the Salesforce login page, not an OAuth code
	descLoginFailed             = "Please check your username and password. If you still can't log in, contact your Salesforce administrator."
	descLockedOut               = "Your account has been locked out after too many failed login attempts. Try again later or contact your Salesforce administrator." // UNCONFIRMED wording of the login page
	errHighAssurance            = "OAUTH_APP_BLOCKED"                                                                                                                // UNCONFIRMED: no string found for high-assurance blocks
	descHighAssurance           = "this app requires a high assurance session"                                                                                       // UNCONFIRMED
	errDeviceDisabled           = "invalid_grant"                                                                                                                    // UNCONFIRMED
	descDeviceDisabled          = "device flow not enabled for this app"                                                                                             // UNCONFIRMED
	descTokenExchangeOff        = "token exchange not enabled for this app"                                                                                          // UNCONFIRMED

	// REST and SOAP API faults.
	errInvalidSessionID    = "INVALID_SESSION_ID"
	descSessionExpired     = "Session expired or invalid"
	descSessionNotAPI      = "This session is not valid for use with the API"
	descSessionNotREST     = "This session is not valid for use with the REST API"
	errAPIDisabledForUser  = "API_CURRENTLY_DISABLED"
	descAPIDisabledForUser = "API is disabled for this User"
	errInvalidLogin        = "INVALID_LOGIN"
	descInvalidLogin       = "Invalid username, password, security token; or user locked out."
	// login() turned off: runtime reports (OpenFn/adaptors#1715, jsforce#1771); UNCONFIRMED in the fact sheet.
	errSoapLoginDisabled   = "INVALID_OPERATION"
	descSoapLoginDisabled  = "SOAP API login() is disabled by default in this org. Contact the org administrator to enable SOAP API login()."
	errInsufficientAccess  = "INSUFFICIENT_ACCESS"
	descNeedsUseAnyAPIAuth = "user needs the Use Any API Auth permission to call login()" // UNCONFIRMED wording
)

// OAuthApprovalErrorGeneric is the on-screen code on RemoteAccessErrorPage for
// pre-consent policy blocks (the typo "occured" is Salesforce's).
const (
	oauthApprovalErrorGeneric     = "OAUTH_APPROVAL_ERROR_GENERIC"
	oauthApprovalErrorGenericText = "An unexpected error has occured during authentication. Please try again."
)

// SOAP login() faults from runtime reports: the fact sheet names the cases
// (§8, §12) but not these words.
const (
	// As clients print it (jsforce users, Data Loader and Secret Server
	// docs); the ’ is Salesforce's.
	errMustUseSecurityToken  = "LOGIN_MUST_USE_SECURITY_TOKEN"
	descMustUseSecurityToken = "Invalid username, password, security token; or user locked out. Are you at a new location? When accessing Salesforce--either via a desktop client or the API--from outside of your company’s trusted networks, you must add a security token to your password to log in. To get your new security token, log in to Salesforce. From your personal settings, enter Reset My Security Token in the Quick Find box, then select Reset My Security Token."
	// A version the endpoint does not know (v62.0, or one newer than the org's release).
	errUnsupportedAPIVersion = "UNSUPPORTED_API_VERSION"
	descInvalidAPIVersion    = "Invalid Api version specified on URL"
	// login() at API 65.0 or later: one runtime report (forcedotcom/wsc#363), UNCONFIRMED.
	errSoapLoginNotInVersion  = "INVALID_OPERATION"
	descSoapLoginNotInVersion = "The SOAP Login operation is not available in the API version specified (" + versionPlaceholder + "). Refer to the documentation for supported versions."
	versionPlaceholder        = "{version}"                      // replaced with the version the request called
	descSoapLoginRetired      = "login() is no longer available" // UNCONFIRMED fault wording (API 31.0–64.0 after Summer '27)
)

// SOAP API strings the live org answers outside the engine's rules (a
// locked-out user, logout(), an envelope it cannot route), in Salesforce's
// words.
const (
	LiveErrInvalidLogin = errInvalidLogin
	// logout() (or any call) whose SessionHeader names no live session.
	LiveDescSoapIllegalSession = "Invalid Session ID found in SessionHeader: Illegal Session"
	// A Body element that is no operation of the endpoint's WSDL (the
	// Axis dispatcher's words, as clients report them): namespace, name.
	LiveSoapNoOperationFormat = "No operation available for request {%s}%s, please check the WSDL for the service."
)

// Login History (Setup → Login History, the LoginHistory object): login
// types and statuses. The statuses are the ones public reports quote
// (salesforce.stackexchange.com/q/146422, Help 000212208, the fact sheet);
// Salesforce publishes no full list.
const (
	loginTypeUI          = "Application"       // the login page
	loginTypeOAuth       = "Remote Access 2.0" // OAuth 2.0 authorize and token requests
	loginTypeSOAP        = "Other Apex API"    // UNCONFIRMED: SOAP API login()
	loginAppBrowser      = "Browser"           // Application of a login-page login
	loginSuccess         = "Success"
	loginInvalidPassword = "Invalid Password"
	loginTokenRequired   = "Failed: API security token required"
	loginLockout         = "Password Lockout"
	loginUserInactive    = "User is Inactive"
	loginRestrictedIP    = "Restricted IP"
	loginUPFlowDisabled  = "Username-Password Flow Disabled"
	loginNotApproved     = "Failed: Not approved for access"
	loginFailedPrefix    = "Failed: " // UNCONFIRMED: other refusals read "Failed: " and the error description
)

// Codes of caplab's own, where Salesforce has no answer to quote (the
// event cannot happen as written, or the simulation stopped).
const (
	errAdminActionFailed = "admin_action_failed" // an admin event that Setup would refuse
	errInvalidEvent      = "invalid_event"       // an event caplab cannot replay (a wait with a bad duration)
	errLimitExceeded     = "limit_exceeded"      // the evaluation stopped at or before the event (limits.go)
	errNoSessionID       = "no_session_id"       // Salesforce sends the outbound message, just without <sessionId>
)

// Outbound messages and session IDs.
const (
	descNoSessionID      = "outbound messages no longer include a session ID"
	descSendSessionIDOff = "Send Session ID is not checked on the outbound message"
	descNoSendAsUser     = "no User to Send as"
)

// REST API errors outside SOQL (errorCode, message).
const (
	restErrNotFound  = "NOT_FOUND"
	restDescNotFound = "The requested resource does not exist"
	restErrGone      = "GONE" // a retired API version (Help 000354473: "410: GONE")
	restErrMethod    = "METHOD_NOT_ALLOWED"
	restDescMethod   = "HTTP Method '%s' not allowed. Allowed are %s"
	// UNCONFIRMED wordings: no public response quotes them.
	restDescGone        = "This API version has been retired. Use a newer version of the API."
	restDescNoQuery     = "A query string has to be specified"
	restDescBadRecordID = "Provided external ID field does not exist or is not accessible: %s" // for a malformed record id
)
