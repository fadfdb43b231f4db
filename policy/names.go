package policy

// ScopeNames are the OAuth scope names a Connected App may request, as
// Salesforce spells them. The engine and the playground reuse this list.
var ScopeNames = []string{
	"api", "chatter_api", "full", "refresh_token", "offline_access", "web",
	"visualforce", "id", "profile", "email", "address", "phone", "openid",
	"custom_permissions", "wave_api", "eclair_api", "pardot_api",
	"cdp_query_api", "cdp_profile_api", "cdp_ingest_api", "cdp_api",
	"chatbot_api", "sfap_api", "einstein_gpt_api", "interaction_api",
	"mcp_api", "lightning", "content", "forgot_password",
	"user_registration_api", "pwdless_login_api",
}

// PermissionNames are the user permissions a profile or permission set may
// grant in a scenario: the ones that decide Connected App access.
var PermissionNames = []string{
	"apiEnabled", "apiOnlyUser", "approveUninstalledConnectedApps",
	"useAnyApiClient", "useAnyApiAuth", "manageConnectedApps",
	"customizeApplication", "modifyAllData", "manageUsers",
}
