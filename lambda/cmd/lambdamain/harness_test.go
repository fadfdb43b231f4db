package lambdamain_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/caplab/caplab/lambda/cmd/lambdamain"
	"github.com/caplab/caplab/lambda/lambdatest"
)

func TestMain(m *testing.M) {
	for _, kv := range lambdatest.LocalAWSEnv() {
		k, v, _ := strings.Cut(kv, "=")
		os.Setenv(k, v)
	}
	code := m.Run()
	lambdatest.StopSharedDynamoDBLocal()
	lambdatest.CleanupBuilds()
	os.Exit(code)
}

const (
	liveSecretARN  = "arn:aws:secretsmanager:us-east-1:123456789012:secret:caplab-test-live-AbCdEf"
	relaySecretARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:caplab-test-relay-AbCdEf"
	baseURLParam   = "/caplab-test/public-base-url"
	relayAdminKey  = "test-relay-admin-key-0123456789abcdef"
	originVerify   = "test-origin-verify-0123456789abcdefghijk"
)

var (
	keyOnce   sync.Once
	keyPEM    string
	cookieB64 string
)

// testKeys are a fresh RSA key (PKCS #8 PEM) and cookie key, as the
// keygen custom resource writes them into the live-org secret, and the
// same decoded.
func testKeys(t testing.TB) (lambdamain.LiveOrgKeys, lambdamain.Secrets) {
	keyOnce.Do(func() {
		keyPEM = newKeyPEM()
		ck := make([]byte, 32)
		rand.Read(ck)
		cookieB64 = base64.StdEncoding.EncodeToString(ck)
	})
	k := lambdamain.LiveOrgKeys{SigningKey: keyPEM, CookieKey: cookieB64, OriginVerify: originVerify}
	s, err := k.Decode()
	if err != nil {
		t.Fatal(err)
	}
	return k, s
}

func newKeyPEM() string {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

// fakeAWS starts a fake Secrets Manager holding both secrets and a fake
// SSM holding the base URL parameter.
func fakeAWS(t testing.TB, base string) (*lambdatest.FakeSecretsManager, *lambdatest.FakeSSM) {
	live, _ := testKeys(t)
	sm := lambdatest.StartFakeSecretsManager(t)
	sm.PutJSON(liveSecretARN, live)
	sm.PutJSON(relaySecretARN, lambdamain.RelayKeys{AdminKey: relayAdminKey, OriginVerify: originVerify})
	return sm, lambdatest.StartFakeSSM(t, map[string]string{baseURLParam: base})
}

// functionEnv is the environment the template gives the functions, with
// the fakes' endpoints.
func functionEnv(table, dynamo string, sm *lambdatest.FakeSecretsManager, ps *lambdatest.FakeSSM) map[string]string {
	return map[string]string{
		lambdamain.EnvTable: table, lambdamain.EnvBaseURLParam: baseURLParam,
		lambdamain.EnvSecretARN: liveSecretARN, lambdamain.EnvRelaySecretARN: relaySecretARN,
		lambdamain.EnvDynamoEndpoint: dynamo, lambdamain.EnvSSMEndpoint: ps.URL, lambdamain.EnvSecretsEndpoint: sm.URL,
	}
}

func dynamoClient(endpoint string, rt http.RoundTripper) *dynamodb.Client {
	return lambdatest.DynamoClient(endpoint, rt)
}

func newTable(t testing.TB, client *dynamodb.Client) string {
	return lambdatest.NewTable(t, client, "caplab-lambda")
}

func quietLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(discard{}, &slog.HandlerOptions{Level: slog.LevelError + 1}))
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

func hashHex(v string) string {
	sum := sha256.Sum256([]byte(v))
	return hex.EncodeToString(sum[:])
}

func nowUTC() time.Time { return time.Now().UTC() }

type rsaPublicKey = rsa.PublicKey

func b64url(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
