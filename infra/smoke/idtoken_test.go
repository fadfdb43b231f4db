package smoke

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"strings"
	"testing"
	"time"
)

func sign(t *testing.T, k *rsa.PrivateKey, kid string, claims map[string]any) string {
	h, _ := json.Marshal(map[string]string{"alg": "RS256", "kid": kid})
	c, _ := json.Marshal(claims)
	in := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c)
	sum := sha256.Sum256([]byte(in))
	sig, err := rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return in + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func jwks(keys map[string]*rsa.PublicKey) []byte {
	var ks []map[string]string
	for kid, k := range keys {
		ks = append(ks, map[string]string{"kty": "RSA", "kid": kid, "n": base64.RawURLEncoding.EncodeToString(k.N.Bytes()),
			"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(k.E)).Bytes())})
	}
	b, _ := json.Marshal(map[string]any{"keys": ks})
	return b
}

func TestVerifyIDToken(t *testing.T) {
	cur, _ := rsa.GenerateKey(rand.Reader, 2048)
	prev, _ := rsa.GenerateKey(rand.Reader, 2048)
	set := jwks(map[string]*rsa.PublicKey{"cur": &cur.PublicKey, "prev": &prev.PublicKey})
	const iss, aud = "https://d1.cloudfront.net/o/abc", "smoke_app_key"
	good := map[string]any{"iss": iss, "aud": aud, "exp": time.Now().Add(time.Hour).Unix()}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for a, b := range good {
			m[a] = b
		}
		m[k] = v
		return m
	}
	tampered := sign(t, cur, "cur", good)
	parts := strings.Split(tampered, ".")
	c, _ := json.Marshal(with("aud", "other"))
	tampered = parts[0] + "." + base64.RawURLEncoding.EncodeToString(c) + "." + parts[2]
	for _, tc := range []struct {
		name, token, want string
	}{
		{"current key", sign(t, cur, "cur", good), ""},
		{"previous key (signed before a rotation)", sign(t, prev, "prev", good), ""},
		{"unpublished kid", sign(t, cur, "gone", good), "no published key"},
		{"signed by another key", sign(t, prev, "cur", good), "does not verify"},
		{"tampered claims", tampered, "does not verify"},
		{"other issuer", sign(t, cur, "cur", with("iss", "https://evil.test/o/abc")), "iss"},
		{"other audience", sign(t, cur, "cur", with("aud", "x")), "aud"},
		{"expired", sign(t, cur, "cur", with("exp", time.Now().Add(-time.Minute).Unix())), "expired"},
		{"not a JWT", "a.b", "parts"},
	} {
		err := VerifyIDToken(tc.token, set, iss, aud)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: %v; want %q", tc.name, err, tc.want)
		}
	}
}

func TestRunRefusesBadURL(t *testing.T) {
	for _, u := range []string{"", "caplab.example.org", "https://caplab.example.org/path"} {
		if err := Run(t.Context(), Config{URL: u}); err == nil || !strings.Contains(err.Error(), "URL") {
			t.Errorf("Run(%q): %v; want an error naming the URL", u, err)
		}
	}
}
