package relay

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/caplab/caplab/lambda/ratelimit"
)

// Limits on start parameters.
const (
	maxStateLen = 1024
	maxScopeLen = 1000
	maxOIDCLen  = 500
)

// startParams are the parameters start reads.
var startParams = []string{"tenant", "dest", "state", "code_challenge", "code_challenge_method", "scope", "nonce", "prompt", "login_hint",
	"client_id", "redirect_uri", "response_type"}

// passThrough are optional authorize parameters the relay copies to the
// authorization server as given.
var passThrough = []string{"scope", "nonce", "prompt", "login_hint"}

// start checks the destination against the registry now (R1, R2, R12),
// records a single-use flow (R3, R5) and sends the browser to the tenant's
// authorize endpoint with the relay's callback as redirect_uri and the
// consumer's PKCE challenge (R10). Every failure is an error page: the
// relay never redirects to anything but an authorize endpoint from here.
func (h *handler) start(w http.ResponseWriter, r *http.Request) outcome {
	if r.Method != http.MethodGet {
		return methodNotAllowed(w, "", "GET")
	}
	if ok, retry := h.starts.Allow(ratelimit.ClientIP(r), h.now()); !ok {
		w.Header().Set("Retry-After", ratelimit.RetryAfter(retry))
		return fail(w, "", failRateLimited)
	}
	p, ok := params(r.URL.RawQuery, startParams...)
	if !ok || !ValidID(p["tenant"]) {
		return fail(w, "", failBadRequest)
	}
	t, err := h.st.GetTenant(r.Context(), p["tenant"])
	switch {
	case errors.Is(err, ErrNotFound):
		return fail(w, "", failUnknownTenant)
	case err != nil:
		return h.storeFailure(r.Context(), w, p["tenant"], err)
	}
	dest, ok := t.resolveDestination(p["dest"])
	if !ok || !dest.sound() {
		return fail(w, t.ID, failUnregisteredDest)
	}
	// A consumer using a stock OAuth client (AuthURL = this start URL)
	// also sends client_id, redirect_uri and response_type. They are
	// not needed, but when present they must agree with the registry: a
	// consumer that believes its own redirect_uri is used would fail at
	// the token endpoint anyway, so say so now.
	if v, ok := p["redirect_uri"]; ok && v != h.callback {
		return fail(w, t.ID, failRedirectURI)
	}
	if v, ok := p["client_id"]; ok && v != t.ClientID {
		return fail(w, t.ID, failBadRequest)
	}
	if v, ok := p["response_type"]; ok && v != "code" {
		return fail(w, t.ID, failBadRequest)
	}
	state := p["state"]
	if state == "" || !plain(state, maxStateLen) {
		return fail(w, t.ID, failBadRequest)
	}
	if p["code_challenge_method"] != "S256" || !validChallenge(p["code_challenge"]) {
		return fail(w, t.ID, failPKCE)
	}
	for _, k := range passThrough {
		limit := maxOIDCLen
		if k == "scope" {
			limit = maxScopeLen
		}
		if !plain(p[k], limit) {
			return fail(w, t.ID, failBadRequest)
		}
	}

	now := h.now()
	f := Flow{
		Tenant:         t.ID,
		DestinationID:  dest.ID,
		DestinationURL: dest.URL,
		Issuer:         t.Issuer,
		ClientID:       t.ClientID,
		ConsumerState:  state,
		CreatedAt:      now,
		ExpiresAt:      now.Add(h.ttl),
	}
	var handle string
	for attempt := 0; ; attempt++ {
		handle = newHandle()
		f.ID = FlowID(handle)
		err = h.st.CreateFlow(r.Context(), f)
		if !errors.Is(err, ErrExists) || attempt == 2 {
			break
		}
	}
	if err != nil {
		return h.storeFailure(r.Context(), w, t.ID, err)
	}

	q := url.Values{
		"response_type":         {"code"},
		"client_id":             {t.ClientID},
		"redirect_uri":          {h.callback},
		"state":                 {handle},
		"code_challenge":        {p["code_challenge"]},
		"code_challenge_method": {"S256"},
	}
	for _, k := range passThrough {
		if p[k] != "" {
			q.Set(k, p[k])
		}
	}
	redirect(w, http.StatusFound, t.AuthorizeEndpoint()+"?"+q.Encode())
	return outcome{t.ID, "started"}
}

// validChallenge checks an RFC 7636 code_challenge: 43 to 128 characters of
// [A-Za-z0-9-._~] (an S256 challenge is exactly 43).
func validChallenge(s string) bool {
	if len(s) < 43 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~') {
			return false
		}
	}
	return true
}
