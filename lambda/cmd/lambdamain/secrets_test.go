package lambdamain_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/caplab/caplab/lambda/cmd/lambdamain"
)

func fakeClients(sm string, ps string) (*secretsmanager.Client, *ssm.Client) {
	creds := credentials.NewStaticCredentialsProvider("local", "local", "")
	return secretsmanager.New(secretsmanager.Options{Region: "us-east-1", Credentials: creds, BaseEndpoint: aws.String(sm)}),
		ssm.New(ssm.Options{Region: "us-east-1", Credentials: creds, BaseEndpoint: aws.String(ps)})
}

// TestFetch: the base URL comes from the SSM parameter (or the
// environment), the keys from the current secret version, and after a
// rotation the previous version's public key is kept for /id/keys.
func TestFetch(t *testing.T) {
	const base = "https://d111111abcdef8.cloudfront.net"
	sm, ps := fakeAWS(t, base)
	smc, psc := fakeClients(sm.URL, ps.URL)
	env := lambdamain.Env{Table: "t", BaseURLParam: baseURLParam, SecretARN: liveSecretARN, RelaySecretARN: relaySecretARN}
	ctx := context.Background()

	e, s, err := lambdamain.Fetch(ctx, smc, psc, lambdamain.Token, env)
	if err != nil {
		t.Fatal(err)
	}
	if e.BaseURL != base || s.SigningKey == nil || len(s.PreviousKeys) != 0 || s.OriginVerify != originVerify {
		t.Fatalf("base %q, key %v, previous %d, origin %q; want %s, a key, none, the secret's", e.BaseURL, s.SigningKey != nil, len(s.PreviousKeys), s.OriginVerify, base)
	}

	e, s, err = lambdamain.Fetch(ctx, smc, psc, lambdamain.Callback, env)
	if err != nil {
		t.Fatal(err)
	}
	if e.RelayCallbackURL != base+"/relay/callback" || s.RelayAdminKey != relayAdminKey || s.SigningKey != nil {
		t.Fatalf("relay: callback %q, admin key %q, signing key %v", e.RelayCallbackURL, s.RelayAdminKey, s.SigningKey != nil)
	}

	// Rotation: a new version; the old key is now the previous one.
	old, oldSecrets := testKeys(t)
	rotated := old
	rotated.SigningKey = newKeyPEM()
	sm.PutJSON(liveSecretARN, rotated)
	_, s, err = lambdamain.Fetch(ctx, smc, psc, lambdamain.API, env)
	if err != nil {
		t.Fatal(err)
	}
	if s.SigningKey.Equal(oldSecrets.SigningKey) || len(s.PreviousKeys) != 1 || !s.PreviousKeys[0].Equal(&oldSecrets.SigningKey.PublicKey) {
		t.Fatalf("after rotation: current is old %v, previous %d keys; want the new key current and the old one previous", s.SigningKey.Equal(oldSecrets.SigningKey), len(s.PreviousKeys))
	}
	if s.PreviousCookieKey != nil {
		t.Fatal("a rotation that kept the cookie key reported a previous one")
	}
	// A rotation of the cookie key: access tokens signed under the old one
	// stay valid (httpapi.Config.PreviousCookieKeys).
	recookied := rotated
	recookied.CookieKey = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, lambdamain.CookieKeyBytes))
	sm.PutJSON(liveSecretARN, recookied)
	if _, s, err = lambdamain.Fetch(ctx, smc, psc, lambdamain.API, env); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(s.PreviousCookieKey, oldSecrets.CookieKey) || bytes.Equal(s.CookieKey, oldSecrets.CookieKey) {
		t.Fatalf("after a cookie key rotation: previous %x, current %x; want the old key previous", s.PreviousCookieKey, s.CookieKey)
	}

	// A base URL in the environment (a custom domain) needs no SSM call.
	calls := ps.Calls.Load()
	withDomain := env
	withDomain.BaseURL = "https://caplab.example.org"
	if e, _, err = lambdamain.Fetch(ctx, smc, psc, lambdamain.API, withDomain); err != nil || e.BaseURL != "https://caplab.example.org" {
		t.Fatalf("custom domain: %q %v", e.BaseURL, err)
	}
	if ps.Calls.Load() != calls {
		t.Error("Fetch read SSM although the environment has the base URL")
	}
}

func TestFetchErrors(t *testing.T) {
	sm, ps := fakeAWS(t, "http://caplab.example.test") // http outside loopback: refused
	sm.Put(relaySecretARN+"-short", `{"adminKey":"short","originVerify":"x"}`)
	sm.Put(liveSecretARN+"-noorigin", `{"signingKey":`+jsonString(keyPEM)+`,"cookieKey":"`+cookieB64+`"}`)
	smc, psc := fakeClients(sm.URL, ps.URL)
	good := lambdamain.Env{Table: "t", BaseURL: "https://caplab.example.test", SecretARN: liveSecretARN, RelaySecretARN: relaySecretARN}
	for _, tc := range []struct {
		name string
		fn   lambdamain.Function
		env  func(e *lambdamain.Env)
		want string
	}{
		{"base URL parameter not https", lambdamain.API, func(e *lambdamain.Env) { e.BaseURL, e.BaseURLParam = "", baseURLParam }, baseURLParam},
		{"base URL parameter missing", lambdamain.API, func(e *lambdamain.Env) { e.BaseURL, e.BaseURLParam = "", "/nope" }, "/nope"},
		{"no such secret", lambdamain.Token, func(e *lambdamain.Env) { e.SecretARN += "-gone" }, "no such secret version"},
		{"relay admin key too short", lambdamain.Callback, func(e *lambdamain.Env) { e.RelaySecretARN += "-short" }, "adminKey"},
		{"no origin value", lambdamain.Authorize, func(e *lambdamain.Env) { e.SecretARN += "-noorigin" }, "originVerify"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _ = testKeys(t)
			e := good
			tc.env(&e)
			_, _, err := lambdamain.Fetch(context.Background(), smc, psc, tc.fn, e)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v; want one naming %q", err, tc.want)
			}
		})
	}
}

func jsonString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
}

func TestLoadEnv(t *testing.T) {
	for _, tc := range []struct {
		name string
		fn   lambdamain.Function
		env  map[string]string
		want string // "" = ok
	}{
		{"nothing", lambdamain.Token, nil, "CAPLAB_BASE_URL or CAPLAB_BASE_URL_PARAM, CAPLAB_SECRET_ARN, CAPLAB_TABLE"},
		{"relay needs its secret", lambdamain.Callback, map[string]string{lambdamain.EnvTable: "t", lambdamain.EnvBaseURLParam: "/p"}, "CAPLAB_RELAY_SECRET_ARN"},
		{"ok with the parameter", lambdamain.Token, map[string]string{lambdamain.EnvTable: "t", lambdamain.EnvBaseURLParam: "/p", lambdamain.EnvSecretARN: "arn:x"}, ""},
		{"ok with a domain", lambdamain.Token, map[string]string{lambdamain.EnvTable: "t", lambdamain.EnvBaseURL: "https://c.example.org", lambdamain.EnvSecretARN: "arn:x"}, ""},
		{"domain must be https", lambdamain.Token, map[string]string{lambdamain.EnvTable: "t", lambdamain.EnvBaseURL: "http://c.example.org", lambdamain.EnvSecretARN: "arn:x"}, "must be https"},
		{"endpoint overrides only on loopback", lambdamain.Token, map[string]string{lambdamain.EnvTable: "t", lambdamain.EnvBaseURLParam: "/p",
			lambdamain.EnvSecretARN: "arn:x", lambdamain.EnvSecretsEndpoint: "https://secretsmanager.us-east-1.amazonaws.com"}, "loopback"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, k := range []string{lambdamain.EnvTable, lambdamain.EnvBaseURL, lambdamain.EnvBaseURLParam, lambdamain.EnvSecretARN,
				lambdamain.EnvRelaySecretARN, lambdamain.EnvSecretsEndpoint, lambdamain.EnvSSMEndpoint, lambdamain.EnvDynamoEndpoint} {
				t.Setenv(k, tc.env[k])
			}
			_, err := lambdamain.LoadEnv(tc.fn)
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("err %v; want %q", err, tc.want)
			}
		})
	}
}
