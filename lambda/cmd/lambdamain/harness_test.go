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
	os.Exit(code)
}

const (
	signingParam    = "/caplab/test/signing-key"
	cookieParam     = "/caplab/test/cookie-key"
	relayAdminParam = "/caplab/test/relay-admin-key"
	relayAdminKey   = "test-relay-admin-key-0123456789abcdef"
)

var (
	keyOnce   sync.Once
	keyPEM    string
	cookieB64 string
)

// testSecrets are a fresh RSA key (PKCS #8 PEM) and cookie key, as they
// would sit in SSM.
func testSecrets(t testing.TB) (map[string]string, lambdamain.Secrets) {
	keyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		der, _ := x509.MarshalPKCS8PrivateKey(k)
		keyPEM = string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
		ck := make([]byte, 32)
		rand.Read(ck)
		cookieB64 = base64.StdEncoding.EncodeToString(ck)
	})
	sk, err := lambdamain.ParseSigningKey(keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	ck, _ := base64.StdEncoding.DecodeString(cookieB64)
	return map[string]string{signingParam: keyPEM, cookieParam: cookieB64}, lambdamain.Secrets{SigningKey: sk, CookieKey: ck}
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
