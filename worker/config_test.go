package main

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/caplab/caplab/lambda/store/memstore"
)

func keyPEM(t *testing.T, bits int) string {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

// goodEnv is a complete configuration.
func goodEnv(t *testing.T) map[string]string {
	return map[string]string{
		EnvBaseURLs:      "https://caplab.example.org https://caplab.acme.workers.dev",
		EnvSigningKey:    keyPEM(t, 2048),
		EnvCookieKey:     base64.StdEncoding.EncodeToString(make([]byte, CookieKeyBytes)),
		EnvRelayAdminKey: strings.Repeat("k", 32),
	}
}

func TestLoadConfig(t *testing.T) {
	c, err := LoadConfig(func(k string) string { return goodEnv(t)[k] })
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.BaseURLs, " "); got != "https://caplab.example.org https://caplab.acme.workers.dev" {
		t.Fatalf("BaseURLs = %q", got)
	}
	for _, tc := range []struct {
		name, key, value, want string
	}{
		{"no base URL", EnvBaseURLs, "", EnvBaseURLs + ": missing"},
		{"http base URL", EnvBaseURLs, "http://caplab.example.org", "must be https"},
		{"base URL with a path", EnvBaseURLs, "https://caplab.example.org/app", "no path"},
		{"base URL in upper case", EnvBaseURLs, "https://CapLab.example.org", "lower case"},
		{"too many base URLs", EnvBaseURLs, "https://a.test https://b.test https://c.test https://d.test https://e.test https://f.test https://g.test https://h.test https://i.test", "at most"},
		{"no signing key", EnvSigningKey, "", EnvSigningKey + ": missing secret"},
		{"not a key", EnvSigningKey, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", EnvSigningKey + ":"},
		{"short key", EnvSigningKey, keyPEM(t, 1024), "1024 bits"},
		{"no cookie key", EnvCookieKey, "", EnvCookieKey + ": missing secret"},
		{"short cookie key", EnvCookieKey, base64.StdEncoding.EncodeToString(make([]byte, 16)), "at least 32"},
		{"short relay key", EnvRelayAdminKey, "short", EnvRelayAdminKey},
		{"org domain with a scheme", EnvOrgDomain, "https://orgs.example.org", EnvOrgDomain},
		{"relay TTL too long", EnvRelayFlowTTL, "1h", EnvRelayFlowTTL},
		{"huge value", EnvSigningKey, strings.Repeat("x", maxConfigValueLength+1), "longer than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := goodEnv(t)
			env[tc.key] = tc.value
			_, err := LoadConfig(func(k string) string { return env[k] })
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("LoadConfig = %v; want an error with %q", err, tc.want)
			}
		})
	}
}

// TestHostRouting: the base URL comes from the request's scheme and Host,
// only when the configuration names it; a live org's {id}.{OrgDomain} goes
// to the live org; anything else is 421.
func TestHostRouting(t *testing.T) {
	env := goodEnv(t)
	env[EnvOrgDomain] = "orgs.example.org"
	cfg, err := LoadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	h := NewHandler(cfg, memstore.New(), memstore.NewRelay(), http.NotFoundHandler(), slog.New(slog.DiscardHandler))
	share := func(target string) (int, string) {
		req := httptest.NewRequest(http.MethodPost, target, strings.NewReader(`{"schemaVersion":1,"orgs":[{"name":"A"}]}`))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		var out struct{ Issuer string }
		json.Unmarshal(rec.Body.Bytes(), &out)
		return rec.Code, out.Issuer
	}
	for _, base := range cfg.BaseURLs {
		code, issuer := share(base + "/api/scenarios")
		if code != http.StatusCreated || !strings.HasPrefix(issuer, "https://") || !strings.HasSuffix(issuer, ".orgs.example.org") {
			t.Fatalf("share via %s: %d, issuer %q; want 201 and https://{id}.orgs.example.org", base, code, issuer)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, issuer+"/.well-known/openid-configuration", nil))
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"issuer":"`+issuer+`"`) {
			t.Fatalf("discovery at %s: %d %.200s", issuer, rec.Code, rec.Body)
		}
	}
	for _, target := range []string{"https://evil.example/api/scenarios", "http://caplab.example.org/api/scenarios", "https://x.y.orgs.example.org/", "http://abc.orgs.example.org/"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
		body, _ := io.ReadAll(rec.Body)
		if rec.Code != http.StatusMisdirectedRequest || !strings.Contains(string(body), "unknown_host") {
			t.Errorf("%s: %d %s; want 421 unknown_host", target, rec.Code, body)
		}
	}
}
