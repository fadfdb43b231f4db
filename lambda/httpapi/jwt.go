package httpapi

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/caplab/caplab/policy"
)

// Limits of the live org's JWT bearer checks.
const (
	// rfcMaxAssertionAhead: rfc mode refuses an exp further ahead than
	// Salesforce's documented 3 minutes plus a minute of clock skew (RFC
	// 7523 §3 lets a server refuse an exp unreasonably far in the future).
	// Salesforce itself accepts a far exp (the engine says so in its trace).
	rfcMaxAssertionAhead = 4 * time.Minute
	// maxClaimOffset bounds the offsets handed to the engine: 100 years,
	// the longest duration a scenario can write (@salesforce/core's exp,
	// milliseconds read as seconds, is some 55,000 years ahead).
	maxClaimOffset = 36500 * 24 * time.Hour
	// maxAudLen is the longest aud handed to the engine (Event.Aud's limit);
	// a longer one can match no audience anyway.
	maxAudLen = 500
)

// audState is what the engine is told of the assertion's aud: "" for the
// live org's own URL (its issuer, with or without a trailing slash or the
// token path), which stands for Salesforce's login host; "missing" for no
// aud; else the value sent. Of several values, one that can match is told.
func (s *Server) audState(o *liveOrg, cl assertionClaims) string {
	auds := slices.DeleteFunc(cl.auds(), func(a string) bool { return a == "" })
	if len(auds) == 0 {
		return "missing"
	}
	for _, base := range []string{o.issuer(), s.issuerOf(o.rec)} {
		if slices.ContainsFunc(auds, func(a string) bool {
			return a == base || a == base+"/" || a == base+"/services/oauth2/token"
		}) {
			return ""
		}
	}
	pick := auds[0]
	if i := slices.IndexFunc(auds, func(a string) bool { return knownAudience(o.sc, a) }); i >= 0 {
		pick = auds[i]
	}
	switch pick {
	case "correct", "missing":
		return strconv.Quote(pick) // the literal value, never the engine's keyword
	}
	if len(pick) > maxAudLen {
		pick = strings.ToValidUTF8(pick[:maxAudLen], "")
	}
	return pick
}

// knownAudience says whether aud is one Salesforce could accept for some
// org of the scenario: a login host or a declared Experience Cloud site.
func knownAudience(sc *policy.Scenario, aud string) bool {
	aud = strings.TrimSuffix(aud, "/")
	if aud == "https://login.salesforce.com" || aud == "https://test.salesforce.com" {
		return true
	}
	for _, o := range sc.Orgs {
		if slices.ContainsFunc(o.ExperienceSites, func(site string) bool { return strings.TrimSuffix(site, "/") == aud }) {
			return true
		}
	}
	return false
}

// secondsUntil is the time from now to a NumericDate, in seconds.
func secondsUntil(at float64, now time.Time) float64 {
	return at - float64(now.UnixNano())/1e9
}

// claimOffset is a NumericDate claim as an offset from now for the engine
// ("-900ms", "179100ms"), bounded by maxClaimOffset; "" when the claim is
// absent or not a number.
func claimOffset(raw json.RawMessage, now time.Time) string {
	var at float64
	if len(raw) == 0 || json.Unmarshal(raw, &at) != nil {
		return ""
	}
	limit := float64(maxClaimOffset / time.Millisecond)
	ms := math.Max(-limit, math.Min(limit, math.Round(secondsUntil(at, now)*1000)))
	return strconv.FormatInt(int64(ms), 10) + "ms"
}

// assertionClaims are the claims the JWT bearer flow reads. Time claims
// and jti stay raw: a claim of an unexpected type is ignored, not an error.
type assertionClaims struct {
	Iss string          `json:"iss"`
	Sub string          `json:"sub"`
	Aud json.RawMessage `json:"aud"`
	Exp json.RawMessage `json:"exp"`
	Nbf json.RawMessage `json:"nbf"`
	Iat json.RawMessage `json:"iat"`
	Jti json.RawMessage `json:"jti"`
}

// number is a NumericDate claim, or nil when absent or not a number.
func (assertionClaims) number(raw json.RawMessage) *float64 {
	var v float64
	if len(raw) == 0 || json.Unmarshal(raw, &v) != nil {
		return nil
	}
	return &v
}

// auds is aud as a list (RFC 7519 §4.1.3: a string or an array of them).
func (c assertionClaims) auds() []string {
	var one string
	if json.Unmarshal(c.Aud, &one) == nil {
		return []string{one}
	}
	var many []string
	if json.Unmarshal(c.Aud, &many) == nil {
		return many
	}
	return nil
}

// verifyAssertion parses a compact JWS and says valid or badSignature (bad
// shape, algorithm other than RS256, unknown issuer or certificate,
// signature mismatch). Time claims are the engine's to judge.
func verifyAssertion(sc *policy.Scenario, assertion string) (assertionClaims, string) {
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
