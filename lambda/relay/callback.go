package relay

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// Limits on callback parameters and form_post bodies.
const (
	maxFormBody  = 64 << 10
	maxCodeLen   = 2048
	maxErrorLen  = 256
	maxErrorText = 2048
)

// callbackHandler receives the authorization response, claims its flow
// once (R4), checks expiry (R5) and the issuer (R6), and forwards code or
// error unchanged to the destination recorded at start (R1, R7) with a bare
// 302, or 303 for a form_post (R8), ending in "#_" (R9). Anything wrong is
// an error page, never a redirect (R11).
//
// The claim is the callback's only store request (one conditional update
// that returns the flow): the flow carries everything the callback needs,
// checked against the registry at start (R2), so the tenant is not read
// again. A destination removed or re-pointed during the flow's lifetime
// (FlowTTL, 10 minutes by default) is still delivered to for the flows
// started before; flows started after the change are not.
func (h *handler) callbackHandler(w http.ResponseWriter, r *http.Request) outcome {
	var raw string
	status := http.StatusFound
	switch r.Method {
	case http.MethodGet:
		raw = r.URL.RawQuery
	case http.MethodPost:
		status = http.StatusSeeOther
		mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if mt != "application/x-www-form-urlencoded" {
			return fail(w, "", failBadRequest)
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxFormBody))
		if err != nil {
			return fail(w, "", failBadRequest)
		}
		raw = string(body)
	default:
		return methodNotAllowed(w, "", "GET, POST")
	}

	// Everything that can be checked without the store is checked first,
	// so a malformed request neither reaches the store nor burns a flow.
	p, ok := params(raw, forwardedParams...) // anything else the server adds is dropped
	if !ok {
		return fail(w, "", failBadRequest)
	}
	handle := p["state"]
	if !validHandle(handle) {
		return fail(w, "", failUnknownFlow)
	}
	if (p["code"] == "") == (p["error"] == "") ||
		!plain(p["code"], maxCodeLen) || !plain(p["iss"], maxURLLen) ||
		!plain(p["error"], maxErrorLen) || !plain(p["error_description"], maxErrorText) || !plain(p["error_uri"], maxErrorText) ||
		p["code"] != "" && (p["error_description"] != "" || p["error_uri"] != "") {
		return fail(w, "", failBadRequest)
	}

	now := h.now()
	f, err := h.st.ClaimFlow(r.Context(), FlowID(handle), now)
	switch {
	case errors.Is(err, ErrNotFound):
		return fail(w, "", failUnknownFlow)
	case errors.Is(err, ErrAlreadyUsed):
		return fail(w, f.Tenant, failReplayed)
	case errors.Is(err, ErrExpired):
		return fail(w, f.Tenant, failExpired)
	case err != nil:
		return h.storeFailure(r.Context(), w, "", err)
	case !now.Before(f.ExpiresAt):
		return fail(w, f.Tenant, failExpired) // whatever the store said
	}
	if iss, ok := p["iss"]; ok && iss != f.Issuer {
		// Mix-up (R6): the response did not come from the issuer this
		// flow was started for. The flow stays claimed.
		return fail(w, f.Tenant, failIssuer)
	}

	// The destination is the one recorded at start; it must still pass the
	// registry's URL rules (a flow stored by an older relay might not).
	d := Destination{ID: f.DestinationID, URL: f.DestinationURL}
	if !d.sound() {
		return fail(w, f.Tenant, failDestRemoved)
	}

	redirect(w, status, forwardLocation(d.URL, f.ConsumerState, p))
	if p["code"] != "" {
		return outcome{f.Tenant, "forwarded"}
	}
	return outcome{f.Tenant, "forwarded_error"}
}

// forwardLocation is the destination with the response appended: code or
// error (with its description and URI), the consumer's state and iss, each
// unchanged when present and not empty (R7), then "#_" so the browser drops any fragment (R9).
func forwardLocation(dest, consumerState string, p map[string]string) string {
	v := url.Values{"state": {consumerState}}
	for _, k := range []string{"code", "iss", "error", "error_description", "error_uri"} {
		if val := p[k]; val != "" {
			v.Set(k, val)
		}
	}
	sep := "?"
	if strings.Contains(dest, "?") {
		sep = "&"
	}
	return dest + sep + v.Encode() + "#_"
}
