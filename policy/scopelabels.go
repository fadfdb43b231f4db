package policy

// ScopeLabels name scopes as Setup's "Selected OAuth Scopes" list and the
// approval page do; aliases share one label. The playground's form and the
// live org's pages both read this table. A scope missing here is shown by
// its name.
var ScopeLabels = map[string]string{
	"api":                "Manage user data via APIs (api)",
	"web":                "Manage user data via Web browsers (web)",
	"full":               "Full access (full)",
	"refresh_token":      "Perform requests at any time (refresh_token, offline_access)",
	"offline_access":     "Perform requests at any time (refresh_token, offline_access)",
	"openid":             "Access unique user identifiers (openid)",
	"id":                 "Access the identity URL service (id, profile, email, address, phone)",
	"profile":            "Access the identity URL service (id, profile, email, address, phone)",
	"email":              "Access the identity URL service (id, profile, email, address, phone)",
	"address":            "Access the identity URL service (id, profile, email, address, phone)",
	"phone":              "Access the identity URL service (id, profile, email, address, phone)",
	"chatter_api":        "Access Connect REST API resources (chatter_api)",
	"custom_permissions": "Access custom permissions (custom_permissions)",
	"visualforce":        "Access Visualforce applications (visualforce)",
	"lightning":          "Access Lightning applications (lightning)",
	"content":            "Access content resources (content)",
	"wave_api":           "Access Analytics REST API resources (wave_api)",
	"eclair_api":         "Access Analytics REST API Charts Geodata resources (eclair_api)",
	"pardot_api":         "Access Pardot services (pardot_api)",
}

// ScopeLabelList labels scopes in order, each label once (aliases share
// one line on the approval page).
func ScopeLabelList(scopes []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, sc := range scopes {
		l, ok := ScopeLabels[sc]
		if !ok {
			l = sc
		}
		if !seen[l] {
			seen[l] = true
			out = append(out, l)
		}
	}
	return out
}
