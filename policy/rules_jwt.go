package policy

import (
	"net/url"
	"slices"
	"strings"
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

// The assertion's signature and exp (within 3 minutes) are checked.
var ruleJWTAssertion = rule{"jwt.assertion", docJWT, func(r *request) verdict {
	resign := fix(ActorClient, "Sign a fresh assertion (exp within 3 minutes) with the key matching the app's certificate", PatchOp{Op: "remove", Path: r.eventPath("/assertion")})
	switch r.ev.Assertion {
	case "badSignature":
		return r.fail("the assertion's signature does not verify with the app's certificate", r.eventPath("/assertion"), errInvalidGrant, descInvalidAssertion, resign)
	case "expired":
		return r.fail("the assertion's exp has passed (Salesforce allows at most 3 minutes)", r.eventPath("/assertion"), errInvalidGrant, descInvalidAssertion, resign)
	}
	return pass("the assertion is signed with the app's key, iss is the consumer key, exp within 3 minutes", r.eventPath("/assertion"))
}}

// aud must be https://login.salesforce.com, https://test.salesforce.com
// (sandboxes) or an Experience Cloud site URL.
var ruleJWTAudience = rule{"jwt.audience", docJWT, func(r *request) verdict {
	want := "https://login.salesforce.com"
	if r.org.isSandbox() || r.org.Type == "scratch" {
		want = "https://test.salesforce.com"
	}
	aud := strings.TrimSuffix(r.ev.Aud, "/")
	if aud == "" {
		return pass("aud omitted: caplab sends "+want, r.eventPath("/aud"))
	}
	if aud == want {
		return pass("aud is "+want, r.eventPath("/aud"))
	}
	if u, err := url.Parse(aud); err == nil && (strings.HasSuffix(u.Host, ".my.site.com") || strings.HasSuffix(u.Host, ".force.com")) {
		return pass("aud is an Experience Cloud site URL", r.eventPath("/aud"))
	}
	because := "aud " + aud + " is not " + want
	if strings.HasSuffix(aud, ".my.salesforce.com") {
		because += " (a My Domain audience is not on the official list; UNCONFIRMED whether Salesforce accepts it)"
	}
	return r.fail(because, r.eventPath("/aud"), errInvalidGrant, descAudience,
		fix(ActorClient, "Set the assertion's aud to "+want, replace(r.eventPath("/aud"), want)))
}}

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
