package lambdamain

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/caplab/caplab/lambda/relay"
)

// The stack keeps the functions' keys in two Secrets Manager secrets,
// written by the keygen custom resource (lambda/cmd/keygen) as JSON: one
// for the live-org functions, one for the relay, so the relay cannot read
// the signing key. Rotating the signing key writes a new version of the
// live-org secret; Secrets Manager then labels the old one AWSPREVIOUS,
// and the functions publish both public keys at /id/keys.

// LiveOrgKeys is the live-org secret.
type LiveOrgKeys struct {
	SigningKey   string `json:"signingKey"`   // RSA private key, PKCS #8 PEM
	CookieKey    string `json:"cookieKey"`    // base64 of CookieKeyBytes random bytes
	OriginVerify string `json:"originVerify"` // the value CloudFront sends in HeaderOriginVerify
}

// RelayKeys is the relay's secret.
type RelayKeys struct {
	AdminKey     string `json:"adminKey"`     // the relay admin API's bearer key
	OriginVerify string `json:"originVerify"` // the same value as the live-org secret's
}

// Key sizes.
const (
	CookieKeyBytes     = 32 // HMAC-SHA256 key for the login and consent cookies
	MinOriginVerifyLen = 32 // characters: a guess must be hopeless (the keygen writes 43, 256 bits)
)

// Secrets are the function's decoded keys.
type Secrets struct {
	SigningKey   *rsa.PrivateKey  // live-org functions
	PreviousKeys []*rsa.PublicKey // the AWSPREVIOUS signing key, still published at /id/keys
	CookieKey    []byte           // live-org functions
	// PreviousCookieKey is the AWSPREVIOUS cookie key when a rotation
	// changed it: access tokens signed under it stay valid until they expire.
	PreviousCookieKey []byte
	// OriginVerify is the secret header value CloudFront adds to every
	// request it forwards; a request without it came straight to the
	// API Gateway endpoint and is refused. Empty (tests that build the
	// handler directly): no check.
	OriginVerify  string
	RelayAdminKey string // callback function
}

// Decode checks the live-org secret and decodes it.
func (k LiveOrgKeys) Decode() (Secrets, error) {
	var s Secrets
	var err error
	if s.SigningKey, err = ParseSigningKey(k.SigningKey); err != nil {
		return s, fmt.Errorf("signingKey: %w", err)
	}
	ck, err := base64.StdEncoding.DecodeString(strings.TrimSpace(k.CookieKey))
	if err != nil || len(ck) < CookieKeyBytes {
		return s, fmt.Errorf("cookieKey: want base64 of at least %d random bytes", CookieKeyBytes)
	}
	s.CookieKey = ck
	if len(k.OriginVerify) < MinOriginVerifyLen {
		return s, fmt.Errorf("originVerify: want at least %d characters", MinOriginVerifyLen)
	}
	s.OriginVerify = k.OriginVerify
	return s, nil
}

// Decode checks the relay's secret and decodes it.
func (k RelayKeys) Decode() (Secrets, error) {
	if len(k.AdminKey) < relay.MinAdminKeyLen {
		return Secrets{}, fmt.Errorf("adminKey: want at least %d characters", relay.MinAdminKeyLen)
	}
	if len(k.OriginVerify) < MinOriginVerifyLen {
		return Secrets{}, fmt.Errorf("originVerify: want at least %d characters", MinOriginVerifyLen)
	}
	return Secrets{RelayAdminKey: k.AdminKey, OriginVerify: k.OriginVerify}, nil
}

// SecretsAPI is the part of the Secrets Manager client the functions use.
type SecretsAPI interface {
	GetSecretValue(context.Context, *secretsmanager.GetSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// SSMAPI is the part of the SSM client the functions use.
type SSMAPI interface {
	GetParameter(context.Context, *ssm.GetParameterInput, ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
}

// ErrNoVersion: the secret has no version with that staging label.
var ErrNoVersion = errors.New("no such secret version")

// GetSecretJSON reads the secret's version with the staging label stage
// into v.
func GetSecretJSON(ctx context.Context, c SecretsAPI, arn, stage string, v any) (versionID string, err error) {
	out, err := c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(arn), VersionStage: aws.String(stage)})
	var nf *smtypes.ResourceNotFoundException
	if errors.As(err, &nf) {
		return "", ErrNoVersion
	}
	if err != nil {
		return "", fmt.Errorf("secretsmanager GetSecretValue %s (%s): %w", arn, stage, err)
	}
	if err := json.Unmarshal([]byte(aws.ToString(out.SecretString)), v); err != nil {
		return "", fmt.Errorf("secret %s (%s) is not the expected JSON: %w", arn, stage, err)
	}
	return aws.ToString(out.VersionId), nil
}

// Fetch makes the init's network calls, at once: the public base URL
// from SSM (unless the environment has it) and the function's secret
// (for the live-org functions also its previous version).
func Fetch(ctx context.Context, sm SecretsAPI, ps SSMAPI, fn Function, e Env) (Env, Secrets, error) {
	var (
		wg                  sync.WaitGroup
		base                = e.BaseURL
		baseErr, err, prevE error
		s                   Secrets
		prev                LiveOrgKeys
	)
	if base == "" {
		wg.Go(func() { base, baseErr = baseURLFromSSM(ctx, ps, e.BaseURLParam) })
	}
	if fn.Relay {
		wg.Go(func() {
			var k RelayKeys
			if _, err = GetSecretJSON(ctx, sm, e.RelaySecretARN, "AWSCURRENT", &k); err == nil {
				s, err = k.Decode()
			}
		})
	} else {
		wg.Go(func() {
			var k LiveOrgKeys
			if _, err = GetSecretJSON(ctx, sm, e.SecretARN, "AWSCURRENT", &k); err == nil {
				s, err = k.Decode()
			}
		})
		wg.Go(func() { prev, prevE = previousKeys(ctx, sm, e.SecretARN) })
	}
	wg.Wait()
	if err == nil {
		err = baseErr
	}
	if err == nil {
		err = prevE
	}
	if err != nil {
		return e, s, err
	}
	if sk, err := ParseSigningKey(prev.SigningKey); err == nil && !sk.PublicKey.Equal(&s.SigningKey.PublicKey) {
		s.PreviousKeys = []*rsa.PublicKey{&sk.PublicKey}
	}
	if ck, err := base64.StdEncoding.DecodeString(strings.TrimSpace(prev.CookieKey)); err == nil && len(ck) >= CookieKeyBytes && !bytes.Equal(ck, s.CookieKey) {
		s.PreviousCookieKey = ck
	}
	return e.withBaseURL(base), s, nil
}

// previousKeys is the AWSPREVIOUS version of the live-org secret (zero when
// there is none: no rotation yet). Its keys are checked where they are
// used: an unusable one is simply not accepted any more.
func previousKeys(ctx context.Context, sm SecretsAPI, arn string) (LiveOrgKeys, error) {
	var k LiveOrgKeys
	_, err := GetSecretJSON(ctx, sm, arn, "AWSPREVIOUS", &k)
	if errors.Is(err, ErrNoVersion) {
		return LiveOrgKeys{}, nil
	}
	return k, err
}

func baseURLFromSSM(ctx context.Context, ps SSMAPI, name string) (string, error) {
	out, err := ps.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name)})
	if err != nil {
		return "", fmt.Errorf("ssm GetParameter %s: %w", name, err)
	}
	v := strings.TrimSuffix(strings.TrimSpace(aws.ToString(out.Parameter.Value)), "/")
	if err := checkBaseURL(v); err != nil {
		return "", fmt.Errorf("parameter %s: %w", name, err)
	}
	return v, nil
}
