package httpapi

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
)

// LoadOrCreateKey reads an RSA private key (PKCS#8 or PKCS#1 PEM) from
// path, or generates a 2048-bit one and writes it there (mode 0600), so a
// restarted local server keeps id tokens verifiable.
func LoadOrCreateKey(path string) (*rsa.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err == nil {
		return ParseKey(data)
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return nil, err
	}
	return key, nil
}

// ParseKey parses an RSA private key PEM.
func ParseKey(data []byte) (*rsa.PrivateKey, error) {
	b, _ := pem.Decode(data)
	if b == nil {
		return nil, errors.New("httpapi: no PEM block in signing key")
	}
	if k, err := x509.ParsePKCS1PrivateKey(b.Bytes); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("httpapi: signing key: %w", err)
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("httpapi: signing key is not RSA")
	}
	return rk, nil
}

func keyID(pub *rsa.PublicKey) string {
	der, _ := x509.MarshalPKIXPublicKey(pub)
	sum := sha256.Sum256(der)
	return base64.RawURLEncoding.EncodeToString(sum[:12])
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// handleKeys is /id/keys: the JWKS that verifies id tokens, the current
// key first, then the previous ones (Config.PreviousSigningKeys).
func (s *Server) handleKeys(w http.ResponseWriter, r *http.Request, _ *liveOrg) {
	jwk := func(pub *rsa.PublicKey) map[string]string {
		return map[string]string{"kty": "RSA", "use": "sig", "alg": "RS256", "kid": keyID(pub),
			"n": b64(pub.N.Bytes()), "e": b64(big.NewInt(int64(pub.E)).Bytes())}
	}
	keys := []map[string]string{jwk(&s.cfg.SigningKey.PublicKey)}
	for _, pub := range s.cfg.PreviousSigningKeys {
		if pub != nil && !pub.Equal(&s.cfg.SigningKey.PublicKey) {
			keys = append(keys, jwk(pub))
		}
	}
	w.Header().Set("Cache-Control", "public, max-age=300")
	writeJSON(w, http.StatusOK, map[string]any{"keys": keys})
}

// signJWT signs claims as a compact RS256 JWS.
func (s *Server) signJWT(claims map[string]any) (string, error) {
	head, _ := json.Marshal(map[string]string{"alg": "RS256", "typ": "JWT", "kid": s.keyID})
	body, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	input := b64(head) + "." + b64(body)
	sum := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, s.cfg.SigningKey, crypto.SHA256, sum[:])
	if err != nil {
		return "", err
	}
	return input + "." + b64(sig), nil
}
