package httpapi_test

import (
	"encoding/base64"
	"net/url"
	"testing"
)

// samlAssertionXML is a SAML 2.0 assertion as a client sends it (the
// signature is left out: the live org verifies none).
func samlAssertionXML(issuer, subject string) string {
	return `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_a1" Version="2.0" IssueInstant="2026-03-01T09:00:00Z">` +
		`<saml:Issuer>` + issuer + `</saml:Issuer>` +
		`<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified">` + subject + `</saml:NameID>` +
		`<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="2026-03-01T09:05:00Z" Recipient="https://login.salesforce.com/services/oauth2/token"/></saml:SubjectConfirmation></saml:Subject>` +
		`<saml:Conditions NotBefore="2026-03-01T08:59:00Z" NotOnOrAfter="2026-03-01T09:05:00Z"><saml:AudienceRestriction><saml:Audience>https://login.salesforce.com</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
		`</saml:Assertion>`
}

// The SAML bearer grant is accepted and decided by the engine; with no XML
// signature check the live org answers as for a bad signature, after the
// engine's earlier checks (the issuer must be a known consumer key).
func TestSAMLBearer(t *testing.T) {
	e := newEnv(t, envOpt{})
	post := func(assertion string) (int, map[string]any) {
		st, _, m := postForm(t, e.endpoint("token"), url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:saml2-bearer"}, "assertion": {assertion}}, "", "")
		return st, m
	}
	enc := base64.RawURLEncoding.EncodeToString
	for _, c := range []struct {
		name, assertion string
		err, desc       string
	}{
		{"base64url assertion of a known app", enc([]byte(samlAssertionXML(clientID, username))), "invalid_grant", "invalid assertion"},
		{"standard base64 with padding", base64.StdEncoding.EncodeToString([]byte(samlAssertionXML(clientID, username))), "invalid_grant", "invalid assertion"},
		{"unknown issuer", enc([]byte(samlAssertionXML("nobody", username))), "invalid_client_id", "client identifier invalid"},
		{"not base64", "%%%", "invalid_client_id", "client identifier invalid"},
		{"not an assertion", enc([]byte(`<Response><Issuer>` + clientID + `</Issuer></Response>`)), "invalid_client_id", "client identifier invalid"},
		{"no assertion", "", "invalid_client_id", "client identifier invalid"},
		{"issuer with spaces around it", enc([]byte(samlAssertionXML(" "+clientID+"\n", username))), "invalid_grant", "invalid assertion"},
		// encoding/xml expands no entities: the issuer reads as none.
		{"entity in the issuer", enc([]byte(`<!DOCTYPE x [<!ENTITY e "` + clientID + `">]><Assertion><Issuer>&e;</Issuer></Assertion>`)), "invalid_client_id", "client identifier invalid"},
	} {
		t.Run(c.name, func(t *testing.T) {
			st, m := post(c.assertion)
			if st != 400 || m["error"] != c.err || m["error_description"] != c.desc {
				t.Errorf("got %d %v; want 400 %s %q", st, m, c.err, c.desc)
			}
		})
	}
}
