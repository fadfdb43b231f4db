package httpapi

import "net/url"

// rfcRedirectProblem says why rfc mode refuses a redirect URI before the
// engine sees it, or "": http is allowed only on a loopback IP literal
// (RFC 8252 §7.3 and §8.3, RFC 9700 §2.1: not on the name localhost, which
// may resolve elsewhere). Salesforce mode also accepts http://localhost,
// as Salesforce does in practice (UNCONFIRMED as a rule: fact sheet §10);
// scenarios cannot register http on other hosts at all.
func rfcRedirectProblem(o *liveOrg, redirectURI string) string {
	if !o.rfc() {
		return ""
	}
	u, err := url.Parse(redirectURI)
	if err != nil || u.Scheme != "http" {
		return "" // the engine judges the match
	}
	if h := u.Hostname(); h == "127.0.0.1" || h == "::1" {
		return ""
	}
	return "http redirect_uri is allowed only on a loopback IP literal (http://127.0.0.1 or http://[::1]), not on " + u.Hostname() + " (RFC 8252 §8.3)"
}
