package lambdamain

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/caplab/caplab/lambda/relay"
)

// Environment variables (set by infra/template.yaml).
const (
	EnvTable           = "CAPLAB_TABLE"                 // DynamoDB table name
	EnvBaseURL         = "CAPLAB_BASE_URL"              // public base URL; issuers are BASE/o/{id}
	EnvSigningKeyParam = "CAPLAB_SIGNING_KEY_PARAM"     // SSM SecureString: RSA private key, PEM
	EnvCookieKeyParam  = "CAPLAB_COOKIE_KEY_PARAM"      // SSM SecureString: base64 of ≥32 random bytes
	EnvOrgDomain       = "CAPLAB_ORG_DOMAIN"            // optional: live orgs at {id}.{domain}
	EnvRelayAdminParam = "CAPLAB_RELAY_ADMIN_KEY_PARAM" // relay: SSM SecureString with the admin key (optional: no admin API)
	EnvDynamoEndpoint  = "CAPLAB_DYNAMODB_ENDPOINT"     // tests only: DynamoDB Local on 127.0.0.1
	EnvSSMEndpoint     = "CAPLAB_SSM_ENDPOINT"          // tests only: a fake SSM on 127.0.0.1
)

// Env is the function's configuration from its environment.
type Env struct {
	Table, BaseURL, SigningKeyParam, CookieKeyParam, OrgDomain string
	RelayCallbackURL, RelayAdminKeyParam, RelayFlowTTL         string // the callback (relay) function
	DynamoEndpoint, SSMEndpoint                                string
}

// LoadEnv reads and checks fn's environment. The issuer, the public base
// URL and the relay's callback URL come only from here, never from a
// request's Host header.
func LoadEnv(fn Function) (Env, error) {
	e := Env{
		Table: os.Getenv(EnvTable), BaseURL: strings.TrimSuffix(os.Getenv(EnvBaseURL), "/"),
		SigningKeyParam: os.Getenv(EnvSigningKeyParam), CookieKeyParam: os.Getenv(EnvCookieKeyParam),
		OrgDomain:        os.Getenv(EnvOrgDomain),
		RelayCallbackURL: os.Getenv(relay.EnvCallbackURL), RelayAdminKeyParam: os.Getenv(EnvRelayAdminParam),
		RelayFlowTTL:   os.Getenv(relay.EnvFlowTTL),
		DynamoEndpoint: os.Getenv(EnvDynamoEndpoint), SSMEndpoint: os.Getenv(EnvSSMEndpoint),
	}
	need := map[string]string{EnvTable: e.Table, EnvBaseURL: e.BaseURL}
	if fn.Relay {
		need[relay.EnvCallbackURL] = e.RelayCallbackURL
	} else {
		need[EnvSigningKeyParam], need[EnvCookieKeyParam] = e.SigningKeyParam, e.CookieKeyParam
	}
	var missing []string
	for name, v := range need {
		if v == "" {
			missing = append(missing, name)
		}
	}
	slices.Sort(missing)
	if len(missing) > 0 {
		return e, fmt.Errorf("missing environment: %s", strings.Join(missing, ", "))
	}
	if err := checkBaseURL(e.BaseURL); err != nil {
		return e, err
	}
	for _, ep := range []string{e.DynamoEndpoint, e.SSMEndpoint} {
		if ep != "" && !isLoopbackURL(ep) {
			return e, fmt.Errorf("endpoint override %q must be a loopback http URL (tests only)", ep)
		}
	}
	return e, nil
}

// checkBaseURL: https origin without path, query or userinfo (http only on
// loopback, for tests and `sam local`).
func checkBaseURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%s=%q: want scheme://host[:port] with no path", EnvBaseURL, s)
	}
	if u.Scheme != "https" && !(u.Scheme == "http" && isLoopbackURL(s)) {
		return fmt.Errorf("%s=%q: must be https", EnvBaseURL, s)
	}
	return nil
}

func isLoopbackURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil {
		return false
	}
	h := u.Hostname()
	return (u.Scheme == "http" || u.Scheme == "https") && (h == "127.0.0.1" || h == "localhost" || h == "::1")
}

// Secrets are the function's keys, from SSM Parameter Store.
type Secrets struct {
	SigningKey    *rsa.PrivateKey // live-org functions
	CookieKey     []byte          // live-org functions
	RelayAdminKey string          // callback function; empty: admin API off
}

// SSMAPI is the part of the SSM client LoadSecrets uses.
type SSMAPI interface {
	GetParameters(context.Context, *ssm.GetParametersInput, ...func(*ssm.Options)) (*ssm.GetParametersOutput, error)
}

// LoadSecrets fetches the function's SecureString parameters, decrypted,
// in one call.
func LoadSecrets(ctx context.Context, client SSMAPI, fn Function, e Env) (Secrets, error) {
	var names []string
	if fn.Relay {
		if e.RelayAdminKeyParam == "" {
			return Secrets{}, nil
		}
		names = []string{e.RelayAdminKeyParam}
	} else {
		names = []string{e.SigningKeyParam, e.CookieKeyParam}
	}
	out, err := client.GetParameters(ctx, &ssm.GetParametersInput{Names: names, WithDecryption: aws.Bool(true)})
	if err != nil {
		return Secrets{}, fmt.Errorf("ssm GetParameters: %w", err)
	}
	if len(out.InvalidParameters) > 0 {
		return Secrets{}, fmt.Errorf("ssm: parameters not found: %s", strings.Join(out.InvalidParameters, ", "))
	}
	vals := map[string]string{}
	for _, p := range out.Parameters {
		vals[aws.ToString(p.Name)] = aws.ToString(p.Value)
	}
	var s Secrets
	if fn.Relay {
		s.RelayAdminKey = strings.TrimSpace(vals[e.RelayAdminKeyParam])
		if len(s.RelayAdminKey) < relay.MinAdminKeyLen {
			return s, fmt.Errorf("%s: the relay admin key must be at least %d characters", e.RelayAdminKeyParam, relay.MinAdminKeyLen)
		}
		return s, nil
	}
	if s.SigningKey, err = ParseSigningKey(vals[e.SigningKeyParam]); err != nil {
		return s, fmt.Errorf("%s: %w", e.SigningKeyParam, err)
	}
	ck, err := base64.StdEncoding.DecodeString(strings.TrimSpace(vals[e.CookieKeyParam]))
	if err != nil || len(ck) < 32 {
		return s, fmt.Errorf("%s: want base64 of at least 32 random bytes", e.CookieKeyParam)
	}
	s.CookieKey = ck
	return s, nil
}

// ParseSigningKey reads an RSA private key in PEM (PKCS #1 or PKCS #8).
func ParseSigningKey(p string) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode([]byte(p))
	if block == nil {
		return nil, errors.New("no PEM block")
	}
	rk, err := x509.ParsePKCS1PrivateKey(block.Bytes)
	if err != nil {
		k, err8 := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err8 != nil {
			return nil, err8
		}
		var ok bool
		if rk, ok = k.(*rsa.PrivateKey); !ok {
			return nil, errors.New("not an RSA key")
		}
	}
	if rk.N.BitLen() < 2048 {
		return nil, errors.New("RSA key shorter than 2048 bits")
	}
	return rk, nil
}
