package policy

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// JWT bearer needs the app's uploaded certificate ("Use digital signatures").
var ruleJWTCertificate = rule{"jwt.certificate", docJWT, func(r *request) verdict {
	if r.app.OAuth.Certificate != "" {
		return pass("the app has a certificate to verify the assertion's signature", r.appPath("/oauth/certificate"))
	}
	return r.fail("the app has no certificate (Use digital signatures), so the assertion can't be verified (UNCONFIRMED error string)",
		r.appPath("/oauth/certificate"), errInvalidGrant, descInvalidAssertion,
		fix(ActorISVDeveloper, "Upload the certificate of the key that signs the assertion", add(r.appPath("/oauth/certificate"), "-----BEGIN CERTIFICATE-----\nMIIB…\n-----END CERTIFICATE-----")))
}}

// The assertion's signature verifies with the app's certificate.
var ruleJWTAssertion = rule{"jwt.assertion", docJWT, func(r *request) verdict {
	if r.ev.Assertion == "badSignature" {
		return r.fail("the assertion's signature does not verify with the app's certificate", r.eventPath("/assertion"), errInvalidGrant, descInvalidAssertion, r.resignFix())
	}
	return pass("the assertion is signed with the app's key and iss is the consumer key", r.eventPath("/assertion"))
}}

// Limits on the assertion's time claims.
const (
	// maxAssertionLifetime is the documented window for exp ("within 3
	// minutes"); Salesforce does not refuse a later exp (see ruleJWTLifetime).
	maxAssertionLifetime = 3 * time.Minute
	// assertionClockSkew is how far nbf or iat may be in the future before
	// the assertion is refused (UNCONFIRMED; the default of Java's Nimbus
	// and Spring Security validators, so a client clock slightly ahead works).
	assertionClockSkew = time.Minute
)

// The assertion's exp has not passed; nbf and iat are not in the future.
// An expired assertion answers "expired authorization code" (fact sheet
// §12), not "invalid assertion".
var ruleJWTLifetime = rule{"jwt.lifetime", docJWT, func(r *request) verdict {
	if r.ev.AssertionReplayed {
		r.note("jwt.replay", "the same assertion (jti) was presented before; Salesforce documents no replay check for JWT bearer assertions, so caplab accepts it (UNCONFIRMED; the live org refuses it in rfc mode, RFC 7523 §3)",
			r.eventPath("/assertionReplayed"), docJWT)
	}
	exp, hasExp := eventOffset(r.ev.AssertionExpiresIn)
	switch {
	case r.ev.Assertion == "expired":
		return r.fail("the assertion's exp has passed (or it has none): Salesforce answers \"expired authorization code\" at run time; \"invalid assertion\" is for bad signatures and claims (fact sheet §12)",
			r.eventPath("/assertion"), errInvalidGrant, descExpiredCode, r.resignFix())
	case hasExp && exp <= 0:
		return r.fail("the assertion's exp passed "+formatDuration(-exp)+" ago: Salesforce answers \"expired authorization code\" at run time; \"invalid assertion\" is for bad signatures and claims (fact sheet §12)",
			r.eventPath("/assertionExpiresIn"), errInvalidGrant, descExpiredCode, r.resignFix())
	}
	for _, c := range []struct{ claim, field, value string }{
		{"nbf", "/assertionNotBefore", r.ev.AssertionNotBefore},
		{"iat", "/assertionIssuedAt", r.ev.AssertionIssuedAt},
	} {
		if d, ok := eventOffset(c.value); ok && d > assertionClockSkew {
			return r.fail("the assertion's "+c.claim+" is "+formatDuration(d)+" in the future (more than the "+formatDuration(assertionClockSkew)+" allowed for clock skew); refused as not yet valid (UNCONFIRMED: Salesforce documents no "+c.claim+" check or string)",
				r.eventPath(c.field), errInvalidGrant, descAssertionNotYetValid, r.resignFix())
		}
	}
	if hasExp && exp > maxAssertionLifetime {
		return info("exp is "+formatDuration(exp)+" ahead, beyond the documented 3 minutes; Salesforce accepts it in practice (its own CLI, @salesforce/core, signs exp = Date.now()+300, milliseconds read as seconds), so caplab does too (UNCONFIRMED; the live org refuses it in rfc mode)",
			r.eventPath("/assertionExpiresIn"))
	}
	if hasExp {
		return pass("exp is "+formatDuration(exp)+" ahead (within 3 minutes)", r.eventPath("/assertionExpiresIn"))
	}
	return pass("exp is within 3 minutes; nbf and iat are not in the future", r.eventPath("/assertionExpiresIn"))
}}

// resignFix: the client signs a fresh assertion, which resets every
// assertion field the event sets.
func (r *request) resignFix() Fix {
	var ops []PatchOp
	for _, f := range []struct {
		path string
		set  bool
	}{
		{"/assertion", r.ev.Assertion != ""},
		{"/assertionExpiresIn", r.ev.AssertionExpiresIn != ""},
		{"/assertionNotBefore", r.ev.AssertionNotBefore != ""},
		{"/assertionIssuedAt", r.ev.AssertionIssuedAt != ""},
		{"/assertionReplayed", r.ev.AssertionReplayed},
	} {
		if f.set {
			ops = append(ops, PatchOp{Op: "remove", Path: r.eventPath(f.path)})
		}
	}
	return fix(ActorClient, "Sign a fresh assertion (exp within 3 minutes) with the key matching the app's certificate", ops...)
}

// aud must be the login host for the org's type (https://login.salesforce.com,
// or https://test.salesforce.com for sandboxes and scratch orgs) or an
// Experience Cloud site URL the org declares.
var ruleJWTAudience = rule{"jwt.audience", docJWT, func(r *request) verdict {
	want := loginAudience(r.org)
	setting := r.eventPath("/aud")
	resend := fix(ActorClient, "Set the assertion's aud to "+want, replace(setting, want))
	switch r.ev.Aud {
	case "":
		return pass("aud omitted: caplab sends "+want, setting)
	case "correct":
		return pass("aud is "+want, setting)
	case "missing":
		return r.fail("the assertion has no aud claim; it must be "+want+" or an Experience Cloud site URL of "+r.org.Name,
			setting, errInvalidGrant, descAudience, resend)
	}
	aud := strings.TrimSuffix(r.ev.Aud, "/")
	if aud == want {
		return pass("aud is "+want, setting)
	}
	if i := r.org.experienceSiteIndex(aud); i >= 0 {
		return pass("aud is "+r.org.Name+"'s Experience Cloud site "+r.org.ExperienceSites[i], r.orgPath("/experienceSites/"+strconv.Itoa(i)))
	}
	because := "aud " + aud + " is not " + want
	host := ""
	if u, err := url.Parse(aud); err == nil {
		host = strings.ToLower(u.Hostname())
	}
	switch {
	case strings.HasSuffix(host, ".my.salesforce.com"):
		because += " (a My Domain audience is not on the official list; UNCONFIRMED whether Salesforce accepts it)"
	case strings.HasSuffix(host, ".my.site.com"), strings.HasSuffix(host, ".force.com"), strings.HasSuffix(host, ".site.com"):
		because += ", nor an Experience Cloud site of " + r.org.Name + " (a site URL counts only when the org declares it in experienceSites)"
	}
	return r.fail(because, setting, errInvalidGrant, descAudience, resend)
}}

// loginAudience is the aud Salesforce's JWT bearer flow expects for the
// org's type.
func loginAudience(o *Org) string {
	if o.isSandbox() || o.Type == "scratch" {
		return "https://test.salesforce.com"
	}
	return "https://login.salesforce.com"
}

// experienceSiteIndex is the index of the declared Experience Cloud site
// whose URL equals u (trailing slashes ignored, host case-insensitive), or -1.
func (o *Org) experienceSiteIndex(u string) int {
	norm := func(s string) string {
		s = strings.TrimSuffix(s, "/")
		p, err := url.Parse(s)
		if err != nil {
			return s
		}
		p.Host = strings.ToLower(p.Host)
		return p.String()
	}
	want := norm(u)
	return slices.IndexFunc(o.ExperienceSites, func(s string) bool { return norm(s) == want })
}

// A self-approved user gets a JWT token only if the approval included at
// least one standard scope besides refresh_token.
var ruleJWTApprovedScopes = rule{"jwt.approvedScopes", docJWT, func(r *request) verdict {
	if pu, _ := r.policy("permittedUsers"); pu == "adminApproved" {
		return skip("admin pre-authorization grants the app's scopes")
	}
	// The scopes of the user's earlier approvals decide, not the app's
	// current scopes (an approval of refresh_token alone is not enough).
	standard := func(s string) bool { return s != "refresh_token" && s != "offline_access" }
	for _, g := range r.st.approvals[approvalKey{r.org.Name, r.user.Username, r.app.Name}] {
		if !g.revoked && slices.ContainsFunc(g.scopes, standard) {
			return pass("the approval includes a standard scope besides refresh_token ("+strings.Join(g.scopes, " ")+")", r.appPath("/oauth/scopes"))
		}
	}
	return r.fail("the approval includes no standard scope besides refresh_token", r.appPath("/oauth/scopes"), errInvalidGrant, descNotApproved,
		fix(ActorISVDeveloper, "Add the api scope to the app", add(r.appPath("/oauth/scopes/-"), "api")))
}}
