package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/caplab/caplab/lambda/cmd/lambdamain"
)

// PhysicalID names the one keys resource; it never changes, so an update
// is never followed by a delete of the "old" resource.
const PhysicalID = "caplab-keys"

// Key sizes.
const (
	signingKeyBits = 2048 // RS256 id tokens; what Salesforce's own JWKS uses
	randomKeyBytes = 32   // cookie key, origin header value and relay admin key: 256 bits
)

// SecretsAPI is the part of the Secrets Manager client keygen uses.
type SecretsAPI interface {
	lambdamain.SecretsAPI
	PutSecretValue(context.Context, *secretsmanager.PutSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.PutSecretValueOutput, error)
}

// Props are the custom resource's properties.
type Props struct {
	LiveOrgSecret           string // ARN of the live-org functions' secret
	RelaySecret             string // ARN of the relay's secret
	SigningKeyGeneration    string // a new value writes a new signing key
	RelayAdminKeyGeneration string // a new value writes a new relay admin key
}

func parseProps(m map[string]any) (Props, error) {
	str := func(k string) string {
		switch v := m[k].(type) {
		case string:
			return v
		case float64:
			return fmt.Sprint(v)
		}
		return ""
	}
	p := Props{LiveOrgSecret: str("LiveOrgSecret"), RelaySecret: str("RelaySecret"),
		SigningKeyGeneration: str("SigningKeyGeneration"), RelayAdminKeyGeneration: str("RelayAdminKeyGeneration")}
	// In a fixed order, so the same bad request always names the same property.
	for _, f := range []struct{ name, v string }{{"LiveOrgSecret", p.LiveOrgSecret}, {"RelaySecret", p.RelaySecret}} {
		if !strings.HasPrefix(f.v, "arn:") {
			return p, fmt.Errorf("property %s = %q: want a secret ARN", f.name, f.v)
		}
	}
	return p, nil
}

// handle answers one CloudFormation request. Data carries the secrets'
// current version ids: the functions' environment names them, so a new
// version (a rotation) gives every function a fresh execution environment
// that loads it.
func handle(ctx context.Context, sm SecretsAPI, ev cfn.Event) (string, map[string]any, error) {
	if ev.RequestType == cfn.RequestDelete {
		return PhysicalID, nil, nil // the secrets are the stack's; deleting it deletes them
	}
	p, err := parseProps(ev.ResourceProperties)
	if err != nil {
		return PhysicalID, nil, err
	}
	var rot Rotate
	if ev.RequestType == cfn.RequestUpdate {
		old, _ := parseProps(ev.OldResourceProperties)
		rot = Rotate{SigningKey: old.SigningKeyGeneration != p.SigningKeyGeneration, RelayAdminKey: old.RelayAdminKeyGeneration != p.RelayAdminKeyGeneration}
	}
	live, relay, err := Ensure(ctx, sm, p, rot)
	if err != nil {
		return PhysicalID, nil, err
	}
	return PhysicalID, map[string]any{"LiveOrgVersion": live, "RelayVersion": relay}, nil
}

// Rotate says which keys to replace although they are valid.
type Rotate struct{ SigningKey, RelayAdminKey bool }

// Ensure makes both secrets hold complete, valid keys, generating what is
// missing or invalid (and what rot asks for), and writes a secret only
// when it changed. It returns their current version ids.
func Ensure(ctx context.Context, sm SecretsAPI, p Props, rot Rotate) (liveVersion, relayVersion string, err error) {
	var live lambdamain.LiveOrgKeys
	liveVersion, err = current(ctx, sm, p.LiveOrgSecret, &live)
	if err != nil {
		return "", "", err
	}
	changed := liveVersion == ""
	if _, err := lambdamain.ParseSigningKey(live.SigningKey); err != nil || rot.SigningKey {
		if live.SigningKey, err = newSigningKey(); err != nil {
			return "", "", err
		}
		changed = true
	}
	if ck, err := base64.StdEncoding.DecodeString(live.CookieKey); err != nil || len(ck) < lambdamain.CookieKeyBytes {
		live.CookieKey, changed = base64.StdEncoding.EncodeToString(random(randomKeyBytes)), true
	}
	if len(live.OriginVerify) < lambdamain.MinOriginVerifyLen {
		live.OriginVerify, changed = base64.RawURLEncoding.EncodeToString(random(randomKeyBytes)), true
	}
	if changed {
		if liveVersion, err = put(ctx, sm, p.LiveOrgSecret, live); err != nil {
			return "", "", err
		}
	}

	var rk lambdamain.RelayKeys
	relayVersion, err = current(ctx, sm, p.RelaySecret, &rk)
	if err != nil {
		return "", "", err
	}
	changed = relayVersion == ""
	if _, err := (lambdamain.RelayKeys{AdminKey: rk.AdminKey, OriginVerify: live.OriginVerify}).Decode(); err != nil || rot.RelayAdminKey {
		rk.AdminKey, changed = base64.RawURLEncoding.EncodeToString(random(randomKeyBytes)), true
	}
	if rk.OriginVerify != live.OriginVerify {
		rk.OriginVerify, changed = live.OriginVerify, true
	}
	if changed {
		if relayVersion, err = put(ctx, sm, p.RelaySecret, rk); err != nil {
			return "", "", err
		}
	}
	return liveVersion, relayVersion, nil
}

// current reads the AWSCURRENT version into v; an empty secret, or one
// that is not our JSON, reads as empty ("" version).
func current(ctx context.Context, sm SecretsAPI, arn string, v any) (string, error) {
	out, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(arn), VersionStage: aws.String("AWSCURRENT")})
	var nf *smtypes.ResourceNotFoundException
	if errors.As(err, &nf) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("secretsmanager GetSecretValue %s: %w", arn, err)
	}
	if json.Unmarshal([]byte(aws.ToString(out.SecretString)), v) != nil {
		return "", nil
	}
	return aws.ToString(out.VersionId), nil
}

func put(ctx context.Context, sm SecretsAPI, arn string, v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	out, err := sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(arn), SecretString: aws.String(string(b))})
	if err != nil {
		return "", fmt.Errorf("secretsmanager PutSecretValue %s: %w", arn, err)
	}
	return aws.ToString(out.VersionId), nil
}

func newSigningKey() (string, error) {
	k, err := rsa.GenerateKey(rand.Reader, signingKeyBits)
	if err != nil {
		return "", err
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return "", err
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), nil
}

func random(n int) []byte {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand, Go 1.24+)
	return b
}

func isLoopback(s string) bool {
	u, err := url.Parse(s)
	h := ""
	if err == nil {
		h = u.Hostname()
	}
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && (h == "127.0.0.1" || h == "localhost" || h == "::1")
}
