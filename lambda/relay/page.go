package relay

import (
	"bytes"
	"html/template"
	"net/http"
	"strconv"
)

// failure is one way a request can fail. Browser-facing failures get an
// HTML error page and never a redirect (R11): the page is static text, echoes
// nothing from the request, and loads nothing (no third-party assets).
type failure struct {
	status  int
	code    string // also the log outcome
	title   string
	message string
}

var (
	failBadRequest = failure{http.StatusBadRequest, "bad_request", "Bad request",
		"The request is missing a parameter, repeats one, or has a malformed one."}
	failUnknownTenant = failure{http.StatusBadRequest, "unknown_tenant", "Unknown organization",
		"This sign-in link names an organization the relay does not know."}
	failUnregisteredDest = failure{http.StatusBadRequest, "unregistered_destination", "Destination not registered",
		"The relay forwards sign-in responses only to destinations its administrator registered for the organization, and this one is not registered."}
	failPKCE = failure{http.StatusBadRequest, "pkce_required", "PKCE required",
		"The relay only starts sign-ins protected by PKCE: send code_challenge with code_challenge_method=S256."}
	failRedirectURI = failure{http.StatusBadRequest, "redirect_uri_mismatch", "Wrong redirect_uri",
		"The only redirect_uri the relay uses is its own callback URL; configure your client with it (and redeem the code with it)."}
	failUnknownFlow = failure{http.StatusBadRequest, "unknown_flow", "Unknown sign-in",
		"This sign-in response does not belong to a sign-in the relay started. Start again from your application."}
	failReplayed = failure{http.StatusBadRequest, "replayed_flow", "Sign-in already used",
		"This sign-in response was already delivered once. Start again from your application."}
	failExpired = failure{http.StatusBadRequest, "expired_flow", "Sign-in expired",
		"This sign-in took too long and has expired. Start again from your application."}
	failIssuer = failure{http.StatusBadRequest, "issuer_mismatch", "Wrong organization",
		"The response came from another authorization server than the one the sign-in was started for, so the relay stopped it."}
	failDestRemoved = failure{http.StatusBadRequest, "destination_removed", "Destination no longer registered",
		"The destination of this sign-in was removed from the relay's registry while the sign-in was in progress."}
	failMethod = failure{http.StatusMethodNotAllowed, "method_not_allowed", "Method not allowed",
		"This endpoint does not accept that method."}
	failNotFound = failure{http.StatusNotFound, "not_found", "Not found",
		"There is nothing here."}
	failRateLimited = failure{http.StatusTooManyRequests, "rate_limited", "Too many sign-ins",
		"Too many sign-ins were started from your address. Wait a minute and start again from your application."}
	failUnavailable = failure{http.StatusServiceUnavailable, "unavailable", "Try again",
		"The relay could not reach its store. Start again from your application in a moment."}
	failInternal = failure{http.StatusInternalServerError, "internal", "Relay error",
		"The relay failed unexpectedly. Start again from your application."}
)

var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>{{.Title}} · caplab relay</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#222}code{color:#666}</style>
</head><body><h1>{{.Title}}</h1><p>{{.Message}}</p><p><code>{{.Code}}</code></p></body></html>
`))

// pageCSP allows the page's own inline style and nothing else.
const pageCSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// writePage writes f's error page.
func writePage(w http.ResponseWriter, f failure) {
	var buf bytes.Buffer
	_ = pageTmpl.Execute(&buf, struct{ Title, Message, Code string }{f.title, f.message, f.code})
	hdr := w.Header()
	hdr.Del("Location")
	hdr.Set("Content-Type", "text/html; charset=utf-8")
	hdr.Set("Content-Security-Policy", pageCSP)
	hdr.Set("X-Frame-Options", "DENY")
	hdr.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(f.status)
	w.Write(buf.Bytes())
}

// methodNotAllowed writes the 405 page with its Allow header.
func methodNotAllowed(w http.ResponseWriter, tenant, allow string) outcome {
	w.Header().Set("Allow", allow)
	return fail(w, tenant, failMethod)
}

// fail writes f's page and returns the outcome to log.
func fail(w http.ResponseWriter, tenant string, f failure) outcome {
	writePage(w, f)
	return outcome{tenant, f.code}
}

// redirect writes a bare redirect (R8): status 302 or 303, the Location,
// no body. The no-store and no-referrer headers are set for every response.
func redirect(w http.ResponseWriter, status int, location string) {
	hdr := w.Header()
	hdr.Set("Location", location)
	hdr.Set("Content-Length", "0")
	w.WriteHeader(status)
}
