package httpapi

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"strings"
	"time"

	"github.com/caplab/caplab/policy"
)

// tokenJWT is the JWT bearer flow: the RS256 assertion is verified against
// the certificate of the app its iss names; the engine gets valid,
// badSignature or expired, and the aud as sent.
func (s *Server) tokenJWT(t *tokenRequest) {
	cl, state := verifyAssertion(t.o.sc, t.get("assertion"), t.now)
	ev := policy.Event{Do: "token", Grant: "jwt_bearer", ClientID: firstNonEmpty(cl.Iss, missingClient), User: cl.Sub,
		Org: orgFor(t.o, cl.Sub, cl.Iss), Assertion: state}
	iss := s.issuer(t.o.id)
	switch aud := cl.aud(); aud {
	case iss, iss + "/", iss + "/services/oauth2/token":
		// The live org's own URL stands for Salesforce's login host.
	default:
		ev.Aud = aud
	}
	s.direct(t, ev, cl.Sub, ev.Org)
}

// assertionClaims are the claims the JWT bearer flow reads.
type assertionClaims struct {
	Iss string          `json:"iss"`
	Sub string          `json:"sub"`
	Aud json.RawMessage `json:"aud"`
	Exp *float64        `json:"exp"`
}

func (c assertionClaims) aud() string {
	var one string
	if json.Unmarshal(c.Aud, &one) == nil {
		return one
	}
	var many []string
	if json.Unmarshal(c.Aud, &many) == nil && len(many) > 0 {
		return many[0]
	}
	return ""
}

// verifyAssertion parses a compact JWS and says valid, badSignature (bad
// shape, algorithm other than RS256, unknown issuer or certificate,
// signature mismatch) or expired (exp missing or passed).
func verifyAssertion(sc *policy.Scenario, assertion string, now time.Time) (assertionClaims, string) {
	var cl assertionClaims
	parts := strings.Split(assertion, ".")
	if len(parts) != 3 {
		return cl, "badSignature"
	}
	head, err1 := base64.RawURLEncoding.DecodeString(parts[0])
	body, err2 := base64.RawURLEncoding.DecodeString(parts[1])
	sig, err3 := base64.RawURLEncoding.DecodeString(parts[2])
	if err1 != nil || err2 != nil || err3 != nil {
		return cl, "badSignature"
	}
	var h struct {
		Alg string `json:"alg"`
	}
	if json.Unmarshal(head, &h) != nil || json.Unmarshal(body, &cl) != nil {
		return assertionClaims{}, "badSignature"
	}
	app := sc.AppByConsumerKey(cl.Iss)
	if h.Alg != "RS256" || app == nil {
		return cl, "badSignature"
	}
	pub := certificateKey(app.OAuth.Certificate)
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if pub == nil || rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig) != nil {
		return cl, "badSignature"
	}
	if cl.Exp == nil || float64(now.Unix()) >= *cl.Exp {
		return cl, "expired"
	}
	return cl, "valid"
}

// certificateKey is the RSA public key of a PEM certificate (or public key).
func certificateKey(pemText string) *rsa.PublicKey {
	b, _ := pem.Decode([]byte(strings.TrimSpace(pemText)))
	if b == nil {
		return nil
	}
	if cert, err := x509.ParseCertificate(b.Bytes); err == nil {
		k, _ := cert.PublicKey.(*rsa.PublicKey)
		return k
	}
	if k, err := x509.ParsePKIXPublicKey(b.Bytes); err == nil {
		rk, _ := k.(*rsa.PublicKey)
		return rk
	}
	return nil
}
