package smoke

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
	"time"
)

// VerifyIDToken checks an RS256 id token against a JWKS document: the key
// named by kid, the signature, iss, aud and exp.
func VerifyIDToken(token string, jwks []byte, issuer, audience string) error {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return fmt.Errorf("id token has %d parts; want 3", len(parts))
	}
	var head struct{ Alg, Kid string }
	if err := decodePart(parts[0], &head); err != nil {
		return fmt.Errorf("header: %w", err)
	}
	if head.Alg != "RS256" {
		return fmt.Errorf("alg %q; want RS256", head.Alg)
	}
	var set struct {
		Keys []struct{ Kid, Kty, N, E string }
	}
	if err := json.Unmarshal(jwks, &set); err != nil {
		return fmt.Errorf("keys: %w", err)
	}
	var pub *rsa.PublicKey
	for _, k := range set.Keys {
		if k.Kid == head.Kid && k.Kty == "RSA" {
			n, err1 := base64.RawURLEncoding.DecodeString(k.N)
			e, err2 := base64.RawURLEncoding.DecodeString(k.E)
			if err1 != nil || err2 != nil {
				return fmt.Errorf("key %s is not base64url", k.Kid)
			}
			pub = &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
		}
	}
	if pub == nil {
		return fmt.Errorf("no published key has kid %q", head.Kid)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return fmt.Errorf("signature: %w", err)
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig); err != nil {
		return fmt.Errorf("signature does not verify with key %s: %w", head.Kid, err)
	}
	var claims struct {
		Iss string `json:"iss"`
		Aud any    `json:"aud"`
		Exp int64  `json:"exp"`
	}
	if err := decodePart(parts[1], &claims); err != nil {
		return fmt.Errorf("claims: %w", err)
	}
	if claims.Iss != issuer {
		return fmt.Errorf("iss %q; want %s", claims.Iss, issuer)
	}
	if aud := fmt.Sprint(claims.Aud); aud != audience && aud != "["+audience+"]" {
		return fmt.Errorf("aud %v; want %s", claims.Aud, audience)
	}
	if time.Unix(claims.Exp, 0).Before(time.Now()) {
		return fmt.Errorf("expired at %s", time.Unix(claims.Exp, 0).UTC())
	}
	return nil
}

func decodePart(s string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}
