package main

import (
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/caplab/caplab/lambda/httpapi"
	"github.com/caplab/caplab/lambda/relay"
)

// The Worker's configuration: vars in wrangler.json, secrets with
// `wrangler secret put NAME` (a local run reads them from .dev.vars).
const (
	EnvBaseURLs          = "CAPLAB_BASE_URLS"            // var: the public base URLs it answers on, space-separated; the first is canonical
	EnvOrgDomain         = "CAPLAB_ORG_DOMAIN"           // var, optional: live orgs at {id}.{domain}
	EnvRelayFlowTTL      = relay.EnvFlowTTL              // var, optional: a Go duration
	EnvSigningKey        = "CAPLAB_SIGNING_KEY"          // secret: RSA private key, PEM (PKCS #8 or #1)
	EnvPreviousKey       = "CAPLAB_PREVIOUS_SIGNING_KEY" // secret, optional: the key before a rotation, still published at /id/keys
	EnvCookieKey         = "CAPLAB_COOKIE_KEY"           // secret: base64 of at least CookieKeyBytes random bytes
	EnvRelayAdminKey     = relay.EnvAdminKey             // secret, optional: the relay admin API's bearer key
	BindingDB            = "DB"                          // the D1 database
	BindingAssets        = "ASSETS"                      // the playground's static assets
	EnvGoInstance        = "GO_INSTANCE"                 // var read by entry.mjs: "shared" (default) or "per-request"
	CookieKeyBytes       = 32                            // HMAC-SHA256 key of the login and consent cookies
	minSigningKeyBits    = 2048                          // RS256 keys shorter than this are refused (RFC 7518 §3.3)
	maxBaseURLs          = 8                             // a Server is kept per base URL: a handful of hostnames, not a list to grow
	maxConfigValueLength = 16 << 10                      // a PEM key is ~1.7 kB: anything much longer is a mistake
)

// Config is the Worker's checked configuration.
type Config struct {
	// BaseURLs are the public base URLs (scheme://host[:port]); a request
	// whose scheme and Host are not one of them (or a live org under
	// OrgDomain) is refused, so no answer is built from a Host header
	// that the configuration does not name.
	BaseURLs            []string
	OrgDomain           string
	RelayFlowTTL        time.Duration
	SigningKey          *rsa.PrivateKey
	PreviousSigningKeys []*rsa.PublicKey
	CookieKey           []byte
	RelayAdminKey       string
}

// LoadConfig reads and checks the configuration; getenv is the Worker's
// env (cloudflare.Getenv) or, in tests, a map. Every problem is named.
func LoadConfig(getenv func(string) string) (Config, error) {
	var c Config
	var errs []error
	fail := func(name, format string, a ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", name, fmt.Sprintf(format, a...)))
	}
	get := func(name string) string {
		v := strings.TrimSpace(getenv(name))
		if len(v) > maxConfigValueLength {
			fail(name, "longer than %d bytes", maxConfigValueLength)
			return ""
		}
		return v
	}

	for _, u := range strings.Fields(get(EnvBaseURLs)) {
		u = strings.TrimSuffix(u, "/")
		if err := checkBaseURL(u); err != nil {
			fail(EnvBaseURLs, "%v", err)
		} else if !slices.Contains(c.BaseURLs, u) {
			c.BaseURLs = append(c.BaseURLs, u)
		}
	}
	switch {
	case len(c.BaseURLs) == 0 && len(errs) == 0:
		fail(EnvBaseURLs, "missing: the public base URL, e.g. https://caplab.example.org")
	case len(c.BaseURLs) > maxBaseURLs:
		fail(EnvBaseURLs, "%d URLs; at most %d", len(c.BaseURLs), maxBaseURLs)
	}
	c.OrgDomain = strings.ToLower(strings.Trim(get(EnvOrgDomain), "."))
	if c.OrgDomain != "" && (strings.ContainsAny(c.OrgDomain, "/:@ ") || !strings.Contains(c.OrgDomain, ".")) {
		fail(EnvOrgDomain, "want a DNS name such as orgs.example.org")
	}
	if v := get(EnvRelayFlowTTL); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 || d > relay.MaxFlowTTL {
			fail(EnvRelayFlowTTL, "want a duration up to %v", relay.MaxFlowTTL)
		}
		c.RelayFlowTTL = d
	}

	if v := get(EnvSigningKey); v == "" {
		fail(EnvSigningKey, "missing secret (wrangler secret put %s)", EnvSigningKey)
	} else if k, err := parseSigningKey(v); err != nil {
		fail(EnvSigningKey, "%v", err)
	} else {
		c.SigningKey = k
	}
	if v := get(EnvPreviousKey); v != "" {
		k, err := parseSigningKey(v)
		switch {
		case err != nil:
			fail(EnvPreviousKey, "%v", err)
		case c.SigningKey == nil || !k.PublicKey.Equal(&c.SigningKey.PublicKey):
			c.PreviousSigningKeys = []*rsa.PublicKey{&k.PublicKey}
		}
	}
	if v := get(EnvCookieKey); v == "" {
		fail(EnvCookieKey, "missing secret (wrangler secret put %s)", EnvCookieKey)
	} else if b, err := base64.StdEncoding.DecodeString(v); err != nil || len(b) < CookieKeyBytes {
		fail(EnvCookieKey, "want base64 of at least %d random bytes", CookieKeyBytes)
	} else {
		c.CookieKey = b
	}
	if v := get(EnvRelayAdminKey); v != "" && len(v) < relay.MinAdminKeyLen {
		fail(EnvRelayAdminKey, "want at least %d characters (or none: no admin API)", relay.MinAdminKeyLen)
	} else {
		c.RelayAdminKey = v
	}
	return c, errors.Join(errs...)
}

// parseSigningKey is httpapi.ParseKey with the size check of the Lambda
// functions' keys.
func parseSigningKey(p string) (*rsa.PrivateKey, error) {
	k, err := httpapi.ParseKey([]byte(p))
	if err != nil {
		return nil, err
	}
	if k.N.BitLen() < minSigningKeyBits {
		return nil, fmt.Errorf("RSA key of %d bits; want at least %d", k.N.BitLen(), minSigningKeyBits)
	}
	return k, nil
}

// checkBaseURL: scheme://host[:port] with nothing else; https, or http
// on a loopback host (local runs).
func checkBaseURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return fmt.Errorf("%q: want scheme://host[:port] with no path", s)
	}
	if u.Scheme != "https" && !(u.Scheme == "http" && isLoopback(u.Hostname())) {
		return fmt.Errorf("%q: must be https (http only on 127.0.0.1 or localhost)", s)
	}
	if s != u.Scheme+"://"+strings.ToLower(u.Host) {
		return fmt.Errorf("%q: write it in lower case, as %s://%s", s, u.Scheme, strings.ToLower(u.Host))
	}
	return nil
}

func isLoopback(host string) bool { return host == "127.0.0.1" || host == "localhost" || host == "::1" }
