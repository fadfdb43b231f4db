package httpapi

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"strings"

	"github.com/caplab/caplab/policy"
)

// grantSAML2Bearer is the grant type of Salesforce's SAML bearer assertion
// flow (RFC 7522).
const grantSAML2Bearer = "urn:ietf:params:oauth:grant-type:saml2-bearer"

// samlAssertion is what the live org reads of a SAML 2.0 assertion: the
// Issuer (the app's consumer key) and the Subject's NameID (the username),
// in any namespace.
type samlAssertion struct {
	XMLName xml.Name
	Issuer  string `xml:"Issuer"`
	NameID  string `xml:"Subject>NameID"`
}

// tokenSAML is the SAML bearer assertion flow, decided by the engine like
// JWT bearer. The live org verifies no XML signature (doc.go says why), so
// it tells the engine every assertion's signature is bad: the answer is
// Salesforce's to an assertion whose signature does not verify.
func (s *Server) tokenSAML(t *tokenRequest) {
	a := parseSAMLAssertion(t.get("assertion"))
	ev := policy.Event{Do: "token", Grant: "saml_bearer", ClientID: firstNonEmpty(a.Issuer, missingClient), User: a.NameID,
		Org: orgFor(t.o, a.NameID, a.Issuer), Assertion: "badSignature"}
	s.direct(t, ev, a.NameID, ev.Org)
}

// parseSAMLAssertion decodes a base64url (RFC 7522 §2.1) or base64
// assertion; anything that is not a SAML Assertion element reads as one
// with no issuer or subject. The form body bounds its size, and
// encoding/xml expands no entities.
func parseSAMLAssertion(s string) samlAssertion {
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		raw, err = base64.StdEncoding.DecodeString(s)
	}
	var a samlAssertion
	if err != nil || xml.NewDecoder(bytes.NewReader(raw)).Decode(&a) != nil || a.XMLName.Local != "Assertion" {
		return samlAssertion{}
	}
	a.Issuer, a.NameID = strings.TrimSpace(a.Issuer), strings.TrimSpace(a.NameID)
	return a
}
