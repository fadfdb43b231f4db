package policy

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// The redirect_uri must equal one of the app's callback URLs exactly
// (scheme, host, port, path, trailing slash; no wildcards). Until it does,
// errors are shown on a Salesforce page, never redirected.
var ruleCallback = rule{"app.callbackUrl", docCallback, func(r *request) verdict {
	if r.ev.RedirectURI == nil || *r.ev.RedirectURI == "" {
		if r.ev.RedirectURI == nil && len(r.app.OAuth.CallbackURLs) > 0 {
			r.redirectURI = r.app.OAuth.CallbackURLs[0]
			r.openRedirectChannel()
			return pass("redirectUri omitted: caplab sends the app's first callback URL "+r.redirectURI, r.appPath("/oauth/callbackUrls/0"))
		}
		return r.fail("the request has no redirect_uri", r.eventPath("/redirectUri"), errRedirectMissing, descRedirectMissing)
	}
	got := *r.ev.RedirectURI
	if i := slices.Index(r.app.OAuth.CallbackURLs, got); i >= 0 {
		r.redirectURI = got
		r.openRedirectChannel()
		because := "redirect_uri matches callback URL " + strconv.Itoa(i+1) + " exactly"
		if u, err := url.Parse(got); err == nil && u.Scheme == "http" {
			because += " (http is accepted on a loopback host in practice, UNCONFIRMED as a rule; the live org allows only 127.0.0.1 and [::1] in rfc mode)"
		}
		return pass(because, r.appPath("/oauth/callbackUrls/"+strconv.Itoa(i)))
	}
	because := "redirect_uri " + got + " matches none of the " + strconv.Itoa(len(r.app.OAuth.CallbackURLs)) + " callback URLs"
	if near := nearMiss(got, r.app.OAuth.CallbackURLs); near != "" {
		because += "; nearest is " + near + " (matching is exact)"
	}
	if httpCallbackOffLoopback(got) {
		// Not a fix: Salesforce refuses to register it (fact sheet §10).
		because += "; an http callback URL off a loopback host cannot be registered (Salesforce requires https or a custom scheme)"
		return r.fail(because, r.appPath("/oauth/callbackUrls"), errRedirectMismatch, descRedirectMismatch)
	}
	return r.fail(because, r.appPath("/oauth/callbackUrls"), errRedirectMismatch, descRedirectMismatch,
		fix(ActorISVDeveloper, "Add "+got+" to the app's callback URLs", add(r.appPath("/oauth/callbackUrls/-"), got)))
}}

// openRedirectChannel: once the callback is trusted, authorize errors go
// back to it, in the query (web server) or the fragment (user-agent).
func (r *request) openRedirectChannel() {
	r.channel = DeliverRedirect
	if r.ev.Flow == "userAgent" {
		r.channel = DeliverRedirectFragment
	}
}

// nearMiss names a callback URL that differs only in case, a trailing
// slash, scheme or port, to explain an exact-match failure.
func nearMiss(got string, urls []string) string {
	norm := func(s string) string {
		s = strings.ToLower(strings.TrimSuffix(s, "/"))
		s = strings.TrimPrefix(strings.TrimPrefix(s, "https://"), "http://")
		return s
	}
	for _, u := range urls {
		if norm(u) == norm(got) {
			return u
		}
	}
	gu, err := url.Parse(got)
	if err != nil {
		return ""
	}
	for _, u := range urls {
		if cu, err := url.Parse(u); err == nil && cu.Hostname() == gu.Hostname() {
			return u
		}
	}
	return ""
}
