package policy

// Salesforce's error codes and descriptions, copied from the fact sheet
// (../shared/spec/salesforce-facts.md §6). Keeping them in one place makes an
// UNCONFIRMED string easy to change.
const (
	errInvalidClientID       = "invalid_client_id"
	descInvalidClientID      = "client identifier invalid"
	errInvalidClient         = "invalid_client"
	descInvalidClientCreds   = "invalid client credentials"
	descMustBeInstalled      = "app must be installed into org"
	errAppNotFound           = "app_not_found"
	descECANotInstalled      = "External client app is not installed in this org"
	errRedirectMissing       = "redirect_uri_missing"
	descRedirectMissing      = "Redirect_uri not provided"
	errRedirectMismatch      = "redirect_uri_mismatch"
	descRedirectMismatch     = "redirect_uri must match configuration"
	errUnsupportedGrantType  = "unsupported_grant_type"
	descUnsupportedGrantType = "grant type not supported"
	errInvalidRequest        = "invalid_request"
	descHTTPSRequired        = "HTTPS required"
	descMissingChallenge     = "missing required code challenge"
	descInvalidCodeVerifier  = "invalid code verifier" // UNCONFIRMED wording
	errAccessDenied          = "access_denied"
	descAccessDenied         = "end-user denied authorization" // UNCONFIRMED wording
	errImmediate             = "immediate_unsuccessful"
	descImmediate            = "Immediate unsuccessful"
	errInvalidGrant          = "invalid_grant"
	descAuthFailure          = "authentication failure"
	descIPRestricted         = "ip restricted or invalid login hours"
	descExpiredToken         = "expired access/refresh token"
	descExpiredCode          = "expired authorization code"
	descInvalidCode          = "invalid authorization code"
	descNotApproved          = "user hasn't approved this consumer"
	descAudience             = "Audience validation failed"
	descInvalidAssertion     = "invalid assertion"
	descNoCCUser             = "no client credentials user enabled"
	descWrongDomain          = "request not supported on this domain"
	descNoValidScopes        = "no valid scopes defined"
	descScopeNotSupported    = "scope parameter not supported"
	errInvalidAppAccess      = "invalid_app_access"
	errAppAccessDenied       = "OAUTH_APP_ACCESS_DENIED"
	descNotAdminApproved     = "user is not admin approved to access this app"
	errAppBlocked            = "OAUTH_APP_BLOCKED"
	descAppBlocked           = "this app is blocked by admin"
	errInactiveUser          = "inactive_user"
	descInactiveUser         = "User is inactive"
	errInvalidScope          = "invalid_scope"
	descInvalidScope         = "Requested scope is invalid, unknown, or malformed"
	errInsufficientPrivs     = "Insufficient Privileges"
	descInsufficientPrivs    = "You do not have the level of access necessary to perform the operation you requested. Please contact the owner of the record or your administrator if access is necessary."
	errLoginFailed           = "login_failed" // shown on the Salesforce login page, not an OAuth code
	descLoginFailed          = "Please check your username and password. If you still can't log in, contact your Salesforce administrator."
	errHighAssurance         = "OAUTH_APP_BLOCKED"                          // UNCONFIRMED: no string found for high-assurance blocks
	descHighAssurance        = "this app requires a high assurance session" // UNCONFIRMED
	errDeviceDisabled        = "invalid_grant"                              // UNCONFIRMED
	descDeviceDisabled       = "device flow not enabled for this app"       // UNCONFIRMED
	descTokenExchangeOff     = "token exchange not enabled for this app"    // UNCONFIRMED

	// REST and SOAP API faults.
	errInvalidSessionID    = "INVALID_SESSION_ID"
	descSessionExpired     = "Session expired or invalid"
	descSessionNotAPI      = "This session is not valid for use with the API"
	descSessionNotREST     = "This session is not valid for use with the REST API"
	errAPIDisabledForUser  = "API_CURRENTLY_DISABLED"
	descAPIDisabledForUser = "API is disabled for this User"
	errInvalidLogin        = "INVALID_LOGIN"
	descInvalidLogin       = "Invalid username, password, security token; or user locked out."
	errSoapLoginDisabled   = "INVALID_OPERATION"                        // UNCONFIRMED
	descSoapLoginDisabled  = "SOAP API login() is disabled in this org" // UNCONFIRMED
	errInsufficientAccess  = "INSUFFICIENT_ACCESS"
	descNeedsUseAnyAPIAuth = "user needs the Use Any API Auth permission to call login()" // UNCONFIRMED wording
)

// OAuthApprovalErrorGeneric is the on-screen code on RemoteAccessErrorPage for
// pre-consent policy blocks (the typo "occured" is Salesforce's).
const (
	oauthApprovalErrorGeneric     = "OAUTH_APPROVAL_ERROR_GENERIC"
	oauthApprovalErrorGenericText = "An unexpected error has occured during authentication. Please try again."
)
