package httpapi_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
)

// Issue 11: the share filter for real secrets was bypassed by obfuscated
// values. Each bypass must now be answered 422 real_secret naming the field.

const (
	attackConsumerKey = "3MVG9A2kN3Bn17huXZp1OQhPe8y4_ozAQZZCKxsWbef9GjSnHGOunHSwhnY1BWz_5vHkTL9BeLMriIX8ElfXl"
	attackSessionID   = "00D5g000004XyZa!AQ4AQFNTYXfVm3jx5K2rO6.8pKqUJz0tWwNM_2NSiJfR7m8G5vVfx"
)

func b64u(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// rsaJWK is the test client key as a private JWK.
func rsaJWK(k *rsa.PrivateKey) map[string]any {
	k.Precompute()
	return map[string]any{"kty": "RSA", "n": b64u(k.N.Bytes()), "e": "AQAB", "d": b64u(k.D.Bytes()),
		"p": b64u(k.Primes[0].Bytes()), "q": b64u(k.Primes[1].Bytes()), "dp": b64u(k.Precomputed.Dp.Bytes()),
		"dq": b64u(k.Precomputed.Dq.Bytes()), "qi": b64u(k.Precomputed.Qinv.Bytes())}
}

func TestAttackShareSecretBypasses(t *testing.T) {
	e := newEnv(t, envOpt{})
	key, _ := keys(t)
	rsaDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), []byte("caplab-test-scalar-not-real-key!"))
	if err != nil {
		t.Fatal(err)
	}
	ecDER, err := x509.MarshalPKCS8PrivateKey(ecKey)
	if err != nil {
		t.Fatal(err)
	}
	sec1DER, err := x509.MarshalECPrivateKey(ecKey)
	if err != nil {
		t.Fatal(err)
	}
	jwk := rsaJWK(key)
	jwkText, _ := json.Marshal(jwk)
	var wrapped strings.Builder // headerless base64 in 64-column lines
	for s := base64.StdEncoding.EncodeToString(rsaDER); s != ""; {
		n := min(64, len(s))
		wrapped.WriteString(s[:n] + "\n")
		s = s[n:]
	}
	fullwidth := strings.Map(func(r rune) rune { return r - '!' + '！' }, attackConsumerKey)
	half := len(attackConsumerKey) / 2

	setConsumerKey := func(v string) func(m map[string]any) {
		return func(m map[string]any) { appOAuth(m, 0)["consumerKey"] = v }
	}
	setPassword := func(v string) func(m map[string]any) {
		return func(m map[string]any) {
			m["orgs"].([]any)[0].(map[string]any)["users"].([]any)[0].(map[string]any)["password"] = v
		}
	}
	setLesson := func(v string) func(m map[string]any) { return func(m map[string]any) { m["lesson"] = v } }
	patchValue := func(v any) func(m map[string]any) {
		return func(m map[string]any) {
			m["events"] = []any{map[string]any{"do": "admin", "org": "Acme", "action": "patch",
				"patch": []any{map[string]any{"op": "add", "path": "/lesson", "value": v}}}}
		}
	}
	for _, c := range []struct {
		name, path string
		mutate     func(m map[string]any)
	}{
		{"zero-width space before 3MVG", "/apps/0/oauth/consumerKey", setConsumerKey("\u200b" + attackConsumerKey)},
		{"consumer key inside the lesson", "/lesson", setLesson("Use " + attackConsumerKey + " as client_id.")},
		{"prefixed consumer key", "/apps/1/oauth/consumerSecret", func(m map[string]any) { appOAuth(m, 1)["consumerSecret"] = "key=" + attackConsumerKey }},
		{"percent-encoded session id", "/orgs/0/users/0/password", setPassword(strings.Replace(attackSessionID, "!", "%21", 1))},
		{"PGP private key block", "/lesson", setLesson("-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQOYBGX\n-----END PGP PRIVATE KEY BLOCK-----")},
		{"headerless base64 PKCS#8", "/apps/0/oauth/certificate", func(m map[string]any) { appOAuth(m, 0)["certificate"] = wrapped.String() }},
		{"private JWK as text", "/lesson", setLesson(string(jwkText))},
		{"private JWK as an object", "/events/0/patch/0/value/d", patchValue(jwk)},
		{"zero-width joiner inside 3MVG", "/apps/0/oauth/consumerKey", setConsumerKey("3MV\u200dG" + attackConsumerKey[4:])},
		{"BOM before the key", "/apps/0/oauth/consumerKey", setConsumerKey("\ufeff" + attackConsumerKey)},
		{"fullwidth consumer key", "/apps/0/oauth/consumerKey", setConsumerKey(fullwidth)},
		{"soft hyphen splits the key", "/apps/0/oauth/consumerKey", setConsumerKey(attackConsumerKey[:half] + "\u00ad" + attackConsumerKey[half:])},
		{"double percent-encoded session id", "/orgs/0/users/0/password", setPassword(strings.Replace(attackSessionID, "!", "%2521", 1))},
		{"Bearer session id", "/orgs/0/users/0/password", setPassword("Bearer " + attackSessionID)},
		{"base64url PKCS#8 EC key", "/lesson", setLesson(b64u(ecDER))},
		{"headerless SEC1 EC key", "/orgs/0/users/0/password", setPassword(base64.StdEncoding.EncodeToString(sec1DER))},
	} {
		t.Run(c.name, func(t *testing.T) {
			st, _, m := post(t, e.base+"/api/scenarios", string(scenarioJSON(t, c.mutate)))
			if st != 422 || m["error"] != "real_secret" || m["path"] != c.path {
				t.Errorf("got %d %v; want 422 real_secret at %s", st, m, c.path)
			}
			if msg, _ := m["message"].(string); !strings.HasPrefix(msg, c.path+" ") {
				t.Errorf("message %q does not name %s", msg, c.path)
			}
		})
	}
}

// Synthetic values and public material still share.
func TestAttackShareSecretFilterKeepsSyntheticValues(t *testing.T) {
	e := newEnv(t, envOpt{})
	publicJWK := rsaJWK(serverKey)
	for _, m := range []string{"d", "p", "q", "dp", "dq", "qi"} {
		delete(publicJWK, m)
	}
	for name, mutate := range map[string]func(m map[string]any){
		"correct/wrong/missing": func(m map[string]any) {
			m["events"] = []any{map[string]any{"do": "token", "grant": "password", "org": "Acme", "app": "Acme Sync",
				"user": "ana@acme.test", "clientSecret": "correct", "password": "wrong", "securityToken": "missing"}}
		},
		"lesson about the formats": func(m map[string]any) {
			m["lesson"] = "Consumer keys start with 3MVG and run ~85 characters; session IDs look like 00D…!AQ…; org 00D5g000004XyZaEAK!"
		},
		"public JWK object": func(m map[string]any) {
			m["events"] = []any{map[string]any{"do": "admin", "org": "Acme", "action": "patch",
				"patch": []any{map[string]any{"op": "add", "path": "/lesson", "value": publicJWK}}}}
		},
	} {
		if st, _, m := post(t, e.base+"/api/scenarios", string(scenarioJSON(t, mutate))); st != 201 {
			t.Errorf("%s: got %d %v; want 201", name, st, m)
		}
	}
}
