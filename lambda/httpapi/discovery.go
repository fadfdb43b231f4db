package httpapi

import (
	"net/http"

	"github.com/caplab/caplab/policy"
)

// handleDiscovery is the OpenID Provider / RFC 8414 metadata of a live org.
func (s *Server) handleDiscovery(w http.ResponseWriter, r *http.Request, o *liveOrg) {
	iss := o.issuer()
	oauth := iss + "/services/oauth2/"
	w.Header().Set("Cache-Control", "public, max-age=300")
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                         iss,
		"authorization_endpoint":                         oauth + "authorize",
		"token_endpoint":                                 oauth + "token",
		"revocation_endpoint":                            oauth + "revoke",
		"introspection_endpoint":                         oauth + "introspect",
		"userinfo_endpoint":                              oauth + "userinfo",
		"jwks_uri":                                       iss + "/id/keys",
		"response_types_supported":                       []string{"code", "token"},
		"response_modes_supported":                       []string{"query", "fragment"},
		"grant_types_supported":                          []string{"authorization_code", "refresh_token", "password", "client_credentials", "urn:ietf:params:oauth:grant-type:jwt-bearer"},
		"subject_types_supported":                        []string{"public"},
		"id_token_signing_alg_values_supported":          []string{"RS256"},
		"scopes_supported":                               policy.ScopeNames,
		"claims_supported":                               []string{"sub", "iss", "aud", "exp", "iat", "nonce", "preferred_username", "name", "email", "user_id", "organization_id"},
		"token_endpoint_auth_methods_supported":          []string{"client_secret_post", "client_secret_basic", "none"},
		"introspection_endpoint_auth_methods_supported":  []string{"client_secret_post", "client_secret_basic"},
		"revocation_endpoint_auth_methods_supported":     []string{"none", "client_secret_post", "client_secret_basic"},
		"code_challenge_methods_supported":               []string{"S256"},
		"authorization_response_iss_parameter_supported": true,
		"request_parameter_supported":                    false,
		"caplab_mode":                                    o.mode,
	})
}
