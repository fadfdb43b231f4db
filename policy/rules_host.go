package policy

import (
	"net/url"
	"strings"
)

// All OAuth endpoints require HTTPS.
var ruleHTTPS = rule{"host.https", docEndpoints, func(r *request) verdict {
	h := r.host()
	if !strings.Contains(h, "://") {
		return pass("host "+r.hostURL()+" uses HTTPS", r.eventPath("/host"))
	}
	u, err := url.Parse(h)
	if err != nil || u.Scheme != "https" {
		return r.fail("the request went to "+h+" over plain HTTP; Salesforce requires HTTPS",
			r.eventPath("/host"), errInvalidRequest, descHTTPSRequired,
			Fix{Actor: ActorClient, Summary: "Send the request over HTTPS", Patch: []PatchOp{{Op: "replace", Path: r.eventPath("/host"), Value: "https://" + strings.TrimPrefix(h, "http://")}}})
	}
	return pass("host "+h+" uses HTTPS", r.eventPath("/host"))
}}

// Production and developer orgs log in at login.salesforce.com, sandboxes
// and scratch orgs at test.salesforce.com; the org's My Domain always works.
var ruleLoginHost = rule{"host.login", docEndpoints, func(r *request) verdict {
	if r.org == nil {
		return verdict{}
	}
	h, want := r.host(), "login"
	if r.org.isSandbox() || r.org.Type == "scratch" {
		want = "test"
	}
	myDomain := func() Fix {
		return fix(ActorClient, "Send the request to the org's My Domain "+r.org.myDomainHost(), replace(r.eventPath("/host"), "myDomain"))
	}
	switch {
	case h == "myDomain":
		return pass("the org's My Domain "+r.org.myDomainHost()+" serves its users", r.eventPath("/host"))
	case h == want:
		return pass(r.hostURL()+" serves "+orgTypeLabel(r.org)+" orgs", r.eventPath("/host"))
	case h == "login" || h == "test":
		return r.loginFailed(r.hostURL()+" does not know users of a "+orgTypeLabel(r.org)+" org, so the login fails", r.eventPath("/host"), myDomain(),
			fix(ActorClient, "Send the request to "+want+".salesforce.com", replace(r.eventPath("/host"), want)))
	}
	u, err := url.Parse(h)
	if err != nil {
		return r.loginFailed("host "+h+" is not a URL", r.eventPath("/host"), myDomain())
	}
	if strings.HasSuffix(u.Host, ".my.salesforce.com") && u.Host != r.org.myDomainHost() {
		return r.loginFailed(u.Host+" is another org's My Domain; this org's is "+r.org.myDomainHost(), r.eventPath("/host"), myDomain())
	}
	if u.Host == r.org.myDomainHost() {
		return pass(u.Host+" is the org's My Domain", r.eventPath("/host"))
	}
	return info(u.Host+" is taken to be the org's Experience Cloud site or custom domain", r.eventPath("/host"))
}}

func orgTypeLabel(o *Org) string {
	if o.Type == "" {
		return "production"
	}
	return o.Type
}

// loginFailed is the Salesforce login page refusing the credentials: an
// interactive user sees it on the page; a token grant gets authentication failure.
func (r *request) loginFailed(because, setting string, fixes ...Fix) verdict {
	if r.interactive() {
		return r.failOn(DeliverErrorPage, 200, because, setting, errLoginFailed, descLoginFailed, fixes...)
	}
	return r.fail(because, setting, errInvalidGrant, descAuthFailure, fixes...)
}

// The client credentials flow works only on the org's My Domain (community
// confirmed; no official page found).
var ruleMyDomainOnly = rule{"host.myDomainRequired", docClientCreds, func(r *request) verdict {
	h := r.host()
	if h == "myDomain" {
		return pass("client credentials request sent to My Domain "+r.org.myDomainHost(), r.eventPath("/host"))
	}
	if u, err := url.Parse(h); err == nil && u.Host != "" && r.org != nil && u.Host == r.org.myDomainHost() {
		return pass("client credentials request sent to My Domain "+u.Host, r.eventPath("/host"))
	}
	return r.fail("the client credentials flow is accepted only on the org's My Domain, not on "+r.hostURL(),
		r.eventPath("/host"), errInvalidGrant, descWrongDomain,
		fix(ActorClient, "Send the token request to https://"+r.org.myDomainHost(), replace(r.eventPath("/host"), "myDomain")))
}}

// interactive says whether a person logs in and sees Salesforce pages.
func (r *request) interactive() bool {
	return r.ev.Do == "authorize" || (r.ev.Do == "token" && r.ev.Grant == "device")
}

func fix(actor, summary string, ops ...PatchOp) Fix {
	return Fix{Actor: actor, Summary: summary, Patch: ops}
}
func replace(path string, v any) PatchOp { return PatchOp{Op: "replace", Path: path, Value: v} }
func add(path string, v any) PatchOp     { return PatchOp{Op: "add", Path: path, Value: v} }
