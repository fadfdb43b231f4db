package httpapi

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Synthetic but real-shaped credentials (none of them was ever issued).
const (
	realConsumerKey = "3MVG9A2kN3Bn17huXZp1OQhPe8y4_ozAQZZCKxsWbef9GjSnHGOunHSwhnY1BWz_5vHkTL9BeLMriIX8ElfXl"
	realSessionID   = "00D5g000004XyZa!AQ4AQFNTYXfVm3jx5K2rO6.8pKqUJz0tWwNM_2NSiJfR7m8G5vVfx"
)

var (
	secretKeysOnce sync.Once
	secretRSAKey   *rsa.PrivateKey
)

func secretRSA(t testing.TB) *rsa.PrivateKey {
	secretKeysOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		secretRSAKey = k
	})
	return secretRSAKey
}

// fixedEd25519 and fixedEC are deterministic keys, for fuzz seeds too.
func fixedEd25519() ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed([]byte("caplab-test-seed-not-a-real-key!"))
}

func fixedEC(t testing.TB) *ecdsa.PrivateKey {
	k, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), []byte("caplab-test-scalar-not-real-key!"))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func pkcs8(t testing.TB, key any) []byte {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// wrap64 breaks base64 into 64-column lines, as PEM bodies are.
func wrap64(s string) string {
	var b strings.Builder
	for len(s) > 64 {
		b.WriteString(s[:64] + "\n")
		s = s[64:]
	}
	b.WriteString(s)
	return b.String()
}

func jwkText(t testing.TB, m map[string]any) string {
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func b64url(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func privateRSAJWK(t testing.TB) map[string]any {
	k := secretRSA(t)
	k.Precompute()
	return map[string]any{"kty": "RSA", "n": b64url(k.N.Bytes()), "e": "AQAB", "d": b64url(k.D.Bytes()),
		"p": b64url(k.Primes[0].Bytes()), "q": b64url(k.Primes[1].Bytes()), "dp": b64url(k.Precomputed.Dp.Bytes()),
		"dq": b64url(k.Precomputed.Dq.Bytes()), "qi": b64url(k.Precomputed.Qinv.Bytes())}
}

// secretDoc is a small scenario with value at the given place.
func secretDoc(t testing.TB, place string, value any) []byte {
	m := map[string]any{
		"schemaVersion": 1, "title": "t", "lesson": "l",
		"orgs": []any{map[string]any{"name": "Acme", "users": []any{map[string]any{"username": "ana@acme.test", "password": "correct"}}}},
		"apps": []any{map[string]any{"name": "Sync", "oauth": map[string]any{"consumerKey": "acme_sync_key", "consumerSecret": "s3cr3t"}}},
		"events": []any{map[string]any{"do": "admin", "action": "patch",
			"patch": []any{map[string]any{"op": "add", "path": "/title", "value": "x"}}}},
	}
	switch place {
	case "lesson":
		m["lesson"] = value
	case "consumerKey":
		m["apps"].([]any)[0].(map[string]any)["oauth"].(map[string]any)["consumerKey"] = value
	case "password":
		m["orgs"].([]any)[0].(map[string]any)["users"].([]any)[0].(map[string]any)["password"] = value
	case "patchValue":
		m["events"].([]any)[0].(map[string]any)["patch"].([]any)[0].(map[string]any)["value"] = value
	case "objectKey":
		m["events"].([]any)[0].(map[string]any)["patch"].([]any)[0].(map[string]any)["value"] = map[string]any{value.(string): "x"}
	default:
		t.Fatalf("no place %q", place)
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var secretPlaces = map[string]string{
	"lesson":      "/lesson",
	"consumerKey": "/apps/0/oauth/consumerKey",
	"password":    "/orgs/0/users/0/password",
	"patchValue":  "/events/0/patch/0/value",
}

func fullwidth(s string) string {
	return strings.Map(func(r rune) rune {
		if r > ' ' && r < 0x7f {
			return r - '!' + '！'
		}
		return r
	}, s)
}

func TestScanSecretsBypasses(t *testing.T) {
	rsaDER := pkcs8(t, secretRSA(t))
	ecDER := pkcs8(t, fixedEC(t))
	sec1DER, err := x509.MarshalECPrivateKey(fixedEC(t))
	if err != nil {
		t.Fatal(err)
	}
	pkcs1DER := x509.MarshalPKCS1PrivateKey(secretRSA(t))
	edDER := pkcs8(t, fixedEd25519())
	pemRSA := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: pkcs1DER}))
	std := base64.StdEncoding.EncodeToString
	half := len(realConsumerKey) / 2
	jwk := privateRSAJWK(t)
	ecJWK := map[string]any{"kty": "EC", "crv": "P-256", "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
		"y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0", "d": "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"}

	for _, c := range []struct {
		name, place, value, path, what string
	}{
		// The seven bypasses of issue 11.
		{"zero-width space before 3MVG", "consumerKey", "\u200b" + realConsumerKey, "", kindConsumerKey},
		{"consumer key inside lesson text", "lesson", "Set client_id to " + realConsumerKey + " and log in.", "", kindConsumerKey},
		{"prefixed consumer key", "consumerKey", "key=" + realConsumerKey, "", kindConsumerKey},
		{"percent-encoded session id", "password", strings.Replace(realSessionID, "!", "%21", 1), "", kindSessionID},
		{"PGP private key block", "lesson", "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQOYBGX...\n-----END PGP PRIVATE KEY BLOCK-----", "", kindPGP},
		{"headerless base64 PKCS#8 (RSA)", "lesson", wrap64(std(rsaDER)), "", kindDER},
		{"private JWK as a string", "lesson", jwkText(t, jwk), "", kindJWK},
		// Variants.
		{"zero-width joiner inside 3MVG", "consumerKey", "3MV\u200dG" + realConsumerKey[4:], "", kindConsumerKey},
		{"BOM before the key", "consumerKey", "\ufeff" + realConsumerKey, "", kindConsumerKey},
		{"bidi marks around the key", "consumerKey", "\u202e\u200f" + realConsumerKey + "\u202c", "", kindConsumerKey},
		{"fullwidth consumer key", "consumerKey", fullwidth(realConsumerKey), "", kindConsumerKey},
		{"mathematical bold 3MVG", "consumerKey", "\U0001D7D1\U0001D40C\U0001D415\U0001D406" + realConsumerKey[4:], "", kindConsumerKey},
		{"soft hyphen splits the key", "consumerKey", realConsumerKey[:half] + "\u00ad" + realConsumerKey[half:], "", kindConsumerKey},
		{"key wrapped over two lines", "lesson", realConsumerKey[:half] + "\n" + realConsumerKey[half:], "", kindConsumerKey},
		{"percent-encoded consumer key", "consumerKey", "%33%4D%56%47" + realConsumerKey[4:], "", kindConsumerKey},
		{"Bearer session id", "password", "Bearer " + realSessionID, "", kindSessionID},
		{"double percent-encoded session id", "password", strings.Replace(realSessionID, "!", "%2521", 1), "", kindSessionID},
		{"HTML entity session id", "lesson", strings.Replace(realSessionID, "!", "&#33;", 1), "", kindSessionID},
		{"backslash-escaped session id", "lesson", strings.Replace(realSessionID, "!", `\u0021`, 1), "", kindSessionID},
		{"18-character org id session", "password", "00D5g000004XyZaEAK!" + realSessionID[16:], "", kindSessionID},
		{"PEM RSA key", "lesson", pemRSA, "", kindPEM},
		{"PEM key without line breaks", "lesson", strings.ReplaceAll(pemRSA, "\n", " "), "", kindPEM},
		{"OpenSSH key header", "lesson", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----", "", kindPEM},
		{"encrypted PKCS#8 header", "password", "-----BEGIN ENCRYPTED PRIVATE KEY-----", "", kindPEM},
		{"EC PEM header with zero-width spaces", "password", "-----BEGIN EC PRIV\u200bATE KEY-----", "", kindPEM},
		{"PuTTY key file", "lesson", "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none", "", kindPuTTY},
		{"headerless PKCS#1 RSA", "lesson", std(pkcs1DER), "", kindDER},
		{"base64url PKCS#8 (EC)", "lesson", b64url(ecDER), "", kindDER},
		{"headerless SEC1 EC key", "password", std(sec1DER), "", kindDER},
		{"headerless Ed25519 PKCS#8", "password", std(edDER), "", kindDER},
		{"base64 DER after a prefix", "lesson", "Authorization: Bearer" + std(ecDER), "", kindDER},
		{"percent-encoded base64 DER", "lesson", strings.NewReplacer("+", "%2B", "/", "%2F").Replace(std(rsaDER)), "", kindDER},
		{"base64 of a PEM key", "lesson", std([]byte(pemRSA)), "", kindPEM},
		{"headerless OpenSSH key", "lesson", std(append([]byte("openssh-key-v1\x00"), make([]byte, 64)...)), "", kindOpenSSH},
		{"private EC JWK as a JS literal", "lesson", "const key = {kty: 'EC', crv: 'P-256', d: '" + ecJWK["d"].(string) + "'}", "", kindJWK},
		{"consumer key in an object key", "objectKey", realConsumerKey, "/events/0/patch/0/value/" + realConsumerKey, kindConsumerKey},
	} {
		t.Run(c.name, func(t *testing.T) {
			want := c.path
			if want == "" {
				want = secretPlaces[c.place]
			}
			path, what := scanSecrets(secretDoc(t, c.place, c.value))
			if path != want || what != c.what {
				t.Errorf("got (%q, %q); want (%q, %q)", path, what, want, c.what)
			}
		})
	}

	// A JWK as a nested object names its private member.
	for name, key := range map[string]map[string]any{"RSA": jwk, "EC": ecJWK,
		"oct": {"kty": "oct", "k": "GawgguFyGrWKav7AX4VKUg"},
		"OKP": {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", "d": "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"}} {
		wantMember := "d"
		if name == "oct" {
			wantMember = "k"
		}
		path, what := scanSecrets(secretDoc(t, "patchValue", key))
		if want := "/events/0/patch/0/value/" + wantMember; path != want || what != kindJWK {
			t.Errorf("%s JWK object: got (%q, %q); want (%q, %q)", name, path, what, want, kindJWK)
		}
	}
	// …also in a JWK Set and with an obfuscated "kty".
	set := map[string]any{"keys": []any{map[string]any{"k\u200bty": "EC", "d": ecJWK["d"]}}}
	if path, what := scanSecrets(secretDoc(t, "patchValue", set)); path != "/events/0/patch/0/value/keys/0/d" || what != kindJWK {
		t.Errorf("JWK set: got (%q, %q)", path, what)
	}
}

func TestScanSecretsCleanInputs(t *testing.T) {
	_, cert := secretCertificate(t)
	spki, err := x509.MarshalPKIXPublicKey(&secretRSA(t).PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: spki}))
	publicJWK := privateRSAJWK(t)
	for _, m := range jwkPrivateMembers {
		delete(publicJWK, m)
	}
	lorem := strings.Repeat("Admin approved users only then the refresh token policy decides how long it lives ", 30)
	for _, c := range []struct{ name, place, value string }{
		{"correct", "password", "correct"},
		{"wrong", "password", "wrong"},
		{"missing", "password", "missing"},
		{"made-up secret", "password", "s3cr3t"},
		{"made-up consumer key", "consumerKey", "acme_sync_key"},
		{"short 3MVG placeholder", "consumerKey", "3MVG9_fake_key"},
		{"3MVG placeholder of one letter", "consumerKey", "3MVG" + strings.Repeat("x", 80)},
		{"certificate", "lesson", cert},
		{"public key PEM", "lesson", pubPEM},
		{"public JWK", "lesson", jwkText(t, publicJWK)},
		{"lesson about the formats", "lesson", "Consumer keys start with 3MVG and run about 85 characters; session IDs look like 00D…!AQ…, and PEM private keys are never pasted here."},
		{"lesson naming the prefix in running text", "lesson", "The 3MVG prefix marks every consumer key the connected app settings page shows under the Manage Consumer Details button"},
		{"org id then an exclamation", "lesson", "Org 00D5g000004XyZaEAK! Then we log in with the integration user and read the tokens"},
		{"org id alone", "lesson", "00D5g000004XyZaEAK"},
		{"long prose", "lesson", lorem},
		{"JWT assertion", "password", "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJhY21lX3N5bmNfa2V5In0.c2lnbmF0dXJl"},
		{"SHA-256 hex", "password", strings.Repeat("9f86d081884c7d659a2feaa0c55ad015", 2)},
		{"percent signs and entities", "lesson", "100% of users &amp; 50%% of apps \\n \\u12 %zz &#xZZ;"},
		{"base64 of prose", "lesson", base64.StdEncoding.EncodeToString([]byte(lorem[:300]))},
		{"deterministic noise", "lesson", base64.StdEncoding.EncodeToString(noise(2048))},
	} {
		t.Run(c.name, func(t *testing.T) {
			if path, what := scanSecrets(secretDoc(t, c.place, c.value)); path != "" {
				t.Errorf("got (%q, %q); want clean", path, what)
			}
		})
	}
	if path, what := scanSecrets(secretDoc(t, "patchValue", publicJWK)); path != "" {
		t.Errorf("public JWK object: got (%q, %q); want clean", path, what)
	}
}

// noise is deterministic pseudo-random bytes (an LCG), never a key.
func noise(n int) []byte {
	b := make([]byte, n)
	x := uint32(2463534242)
	for i := range b {
		x = x*1664525 + 1013904223
		b[i] = byte(x >> 24)
	}
	return b
}

func secretCertificate(t testing.TB) (*x509.Certificate, string) {
	k := secretRSA(t)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "caplab test"},
		NotBefore: time.Unix(1700000000, 0), NotAfter: time.Unix(1900000000, 0)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

func TestScanSecretsPresetsAreClean(t *testing.T) {
	files, err := filepath.Glob("../../policy/presets/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no presets found: %v", err)
	}
	for _, f := range files {
		doc, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if path, what := scanSecrets(doc); path != "" {
			t.Errorf("%s: got (%q, %q); want clean", filepath.Base(f), path, what)
		}
	}
}

func TestScanSecretsRootAndNonJSON(t *testing.T) {
	if path, what := scanSecrets([]byte(`"` + realConsumerKey + `"`)); path != "/" || what != kindConsumerKey {
		t.Errorf("root string: got (%q, %q); want (\"/\", %q)", path, what, kindConsumerKey)
	}
	if path, what := scanSecrets([]byte(realConsumerKey)); path != "" {
		t.Errorf("not JSON: got (%q, %q); want clean", path, what)
	}
	if path, _ := scanSecrets([]byte(`{"a/b~c":"` + realConsumerKey + `"}`)); path != "/a~1b~0c" {
		t.Errorf("escaped pointer: got %q; want %q", path, "/a~1b~0c")
	}
}

// Decoy DER headers cannot exhaust the checks and hide a key behind them:
// past the budget the document is refused.
func TestScanSecretsDERBudget(t *testing.T) {
	decoy := []byte{0x30, 0x03, 0x02, 0x01, 0x00}
	var many []byte
	for range maxDERCandidates + 1 {
		many = append(many, decoy...)
	}
	for n, want := range map[int]string{maxDERCandidates: "", maxDERCandidates + 1: kindTooManyDER} {
		doc := secretDoc(t, "lesson", base64.StdEncoding.EncodeToString(many[:n*len(decoy)]))
		sc := secretScanner{derBudget: maxDERCandidates}
		// Each decoy is seen at one of the four alignments only.
		if _, what := sc.scan(doc); what != want {
			t.Errorf("%d decoys: got %q; want %q", n, what, want)
		}
	}
}

// maxScanWorkPerByte bounds the bytes examined per input byte: NFKC can
// grow text ~11×, each base64 level at most 3×, and each string is viewed
// a bounded number of times (the inputs below stay near 20).
const maxScanWorkPerByte = 400

// The scan is linear: on adversarial 60 KiB inputs it examines at most a
// constant number of bytes per input byte (plus the fixed DER budget).
func TestScanSecretsWorkIsLinear(t *testing.T) {
	const size = 60 << 10
	nested := "x"
	for len(nested) < size/2 {
		nested = base64.StdEncoding.EncodeToString([]byte(nested + " " + nested))
	}
	for name, s := range map[string]string{
		"NFKC expansion":      strings.Repeat("\ufdfa", size/3),
		"nested percent":      strings.Repeat("%252525", size/7),
		"nested base64":       nested[:size/2],
		"many 3MVG":           strings.Repeat("3MVG", size/4),
		"3MVG runs":           strings.Repeat("3MVG"+strings.Repeat("a", 41)+" ", size/46),
		"entities":            strings.Repeat("&amp;amp;", size/9),
		"spaces":              strings.Repeat("3 M V G ", size/8),
		"DER headers":         base64.StdEncoding.EncodeToString([]byte(strings.Repeat("\x30\x82\x2f\x00\x02\x01\x00", size/10))),
		"kty and d":           strings.Repeat(`"kty":"d":`, size/10),
		"base64 noise":        base64.StdEncoding.EncodeToString(noise(size * 3 / 4)),
		"fullwidth percent":   strings.Repeat("％２５", size/9),
		"begin without close": strings.Repeat("-----BEGIN A ", size/13),
	} {
		doc, _ := json.Marshal(map[string]string{"lesson": s})
		sc := secretScanner{derBudget: maxDERCandidates}
		sc.scan(doc)
		if limit := maxScanWorkPerByte*len(doc) + maxDERCandidates*maxDERKeyBytes; sc.work > limit {
			t.Errorf("%s: examined %d bytes for a %d-byte document; want at most %d", name, sc.work, len(doc), limit)
		}
	}
}

func jsonDoc(t testing.TB, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// FuzzScanSecrets: any document or string is scanned without a panic, in
// work linear in its size, and a string is judged the same wherever it sits.
func FuzzScanSecrets(f *testing.F) {
	f.Add("\u200b" + realConsumerKey)
	f.Add(`{"lesson":"` + strings.Replace(realSessionID, "!", "%2521", 1) + `"}`)
	f.Fuzz(func(t *testing.T, s string) {
		for _, doc := range [][]byte{[]byte(s), jsonDoc(t, s)} {
			sc := secretScanner{derBudget: maxDERCandidates}
			path, what := sc.scan(doc)
			if (path == "") != (what == "") || path != "" && path[0] != '/' {
				t.Fatalf("scan(%q) = (%q, %q); want both empty or a pointer and a kind", doc, path, what)
			}
			if limit := maxScanWorkPerByte*len(doc) + maxDERCandidates*maxDERKeyBytes; sc.work > limit {
				t.Fatalf("examined %d bytes for a %d-byte document; want at most %d", sc.work, len(doc), limit)
			}
		}
		_, bare := scanSecrets(jsonDoc(t, s))
		path, inLesson := scanSecrets(jsonDoc(t, map[string]string{"lesson": s}))
		if inLesson != bare || bare != "" && path != "/lesson" {
			t.Fatalf("as the root: %q; as /lesson: (%q, %q)", bare, path, inLesson)
		}
	})
}

func BenchmarkScanSecrets(b *testing.B) {
	preset, err := os.ReadFile("../../policy/presets/web-server-self-authorize.json")
	if err != nil {
		b.Fatal(err)
	}
	for name, doc := range map[string][]byte{
		"preset":               preset,
		"60KiB NFKC expansion": jsonDoc(b, map[string]string{"lesson": strings.Repeat("\ufdfa", 20<<10)}),
		"60KiB base64 noise":   jsonDoc(b, map[string]string{"lesson": base64.StdEncoding.EncodeToString(noise(45 << 10))}),
	} {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(doc)))
			for b.Loop() {
				scanSecrets(doc)
			}
		})
	}
}
