package lambdamain

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"

	"github.com/caplab/caplab/lambda/relay"
)

// Environment variables (set by infra/template.yaml).
const (
	EnvTable           = "CAPLAB_TABLE"                   // DynamoDB table name
	EnvBaseURL         = "CAPLAB_BASE_URL"                // public base URL (a custom domain); issuers are BASE/o/{id}
	EnvBaseURLParam    = "CAPLAB_BASE_URL_PARAM"          // SSM String parameter holding the public base URL when EnvBaseURL is empty
	EnvSecretARN       = "CAPLAB_SECRET_ARN"              // Secrets Manager: the live-org functions' keys (LiveOrgKeys JSON)
	EnvRelaySecretARN  = "CAPLAB_RELAY_SECRET_ARN"        // Secrets Manager: the relay's keys (RelayKeys JSON)
	EnvSecretVersion   = "CAPLAB_SECRET_VERSION"          // not read: the secret's version id, so a rotation changes the configuration and Lambda starts new environments
	EnvOrgDomain       = "CAPLAB_ORG_DOMAIN"              // optional: live orgs at {id}.{domain}
	EnvDynamoEndpoint  = "CAPLAB_DYNAMODB_ENDPOINT"       // tests only: DynamoDB Local on 127.0.0.1
	EnvSSMEndpoint     = "CAPLAB_SSM_ENDPOINT"            // tests only: a fake SSM on 127.0.0.1
	EnvSecretsEndpoint = "CAPLAB_SECRETSMANAGER_ENDPOINT" // tests only: a fake Secrets Manager on 127.0.0.1
)

// Env is the function's configuration from its environment.
type Env struct {
	Table, BaseURL, BaseURLParam, OrgDomain      string
	SecretARN, RelaySecretARN                    string
	RelayCallbackURL, RelayFlowTTL               string // the callback (relay) function
	DynamoEndpoint, SSMEndpoint, SecretsEndpoint string
}

// LoadEnv reads and checks fn's environment. The public base URL comes
// from the environment or from the SSM parameter it names (the stack
// writes CloudFront's domain there), never from a request's Host header.
func LoadEnv(fn Function) (Env, error) {
	e := Env{
		Table: os.Getenv(EnvTable), BaseURL: strings.TrimSuffix(os.Getenv(EnvBaseURL), "/"), BaseURLParam: os.Getenv(EnvBaseURLParam),
		OrgDomain: os.Getenv(EnvOrgDomain), SecretARN: os.Getenv(EnvSecretARN), RelaySecretARN: os.Getenv(EnvRelaySecretARN),
		RelayCallbackURL: os.Getenv(relay.EnvCallbackURL), RelayFlowTTL: os.Getenv(relay.EnvFlowTTL),
		DynamoEndpoint: os.Getenv(EnvDynamoEndpoint), SSMEndpoint: os.Getenv(EnvSSMEndpoint), SecretsEndpoint: os.Getenv(EnvSecretsEndpoint),
	}
	need := map[string]string{EnvTable: e.Table}
	if e.BaseURL == "" {
		need[EnvBaseURL+" or "+EnvBaseURLParam] = e.BaseURLParam
	}
	if fn.Relay {
		need[EnvRelaySecretARN] = e.RelaySecretARN
	} else {
		need[EnvSecretARN] = e.SecretARN
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
	if e.BaseURL != "" {
		if err := checkBaseURL(e.BaseURL); err != nil {
			return e, err
		}
	}
	for _, ep := range []string{e.DynamoEndpoint, e.SSMEndpoint, e.SecretsEndpoint} {
		if ep != "" && !isLoopbackURL(ep) {
			return e, fmt.Errorf("endpoint override %q must be a loopback http URL (tests only)", ep)
		}
	}
	return e, nil
}

// withBaseURL sets the resolved base URL and what derives from it.
func (e Env) withBaseURL(base string) Env {
	e.BaseURL = strings.TrimSuffix(base, "/")
	if e.RelayCallbackURL == "" {
		e.RelayCallbackURL = e.BaseURL + "/relay/callback"
	}
	return e
}

// checkBaseURL: https origin without path, query or userinfo (http only on
// loopback, for tests).
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
