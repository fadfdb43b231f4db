package lambdamain_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/caplab/caplab/lambda/cmd/lambdamain"
	"github.com/caplab/caplab/lambda/lambdatest"
	"github.com/caplab/caplab/lambda/store/dynamostore"
)

// TestKeysPublishPreviousKey: after a rotation the JWKS lists the current
// key first and the previous one after it, so id tokens signed with the
// previous key still verify.
func TestKeysPublishPreviousKey(t *testing.T) {
	d := lambdatest.SharedDynamoDBLocal(t)
	client := dynamoClient(d.Endpoint, nil)
	table := newTable(t, client)
	_, secrets := testKeys(t)
	old, err := lambdamain.ParseSigningKey(newKeyPEM())
	if err != nil {
		t.Fatal(err)
	}
	secrets.PreviousKeys = []*rsaPublicKey{&old.PublicKey, &secrets.SigningKey.PublicKey} // the current one is not listed twice
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	srv.Config.Handler = lambdamain.Build(lambdamain.API, lambdamain.Env{Table: table, BaseURL: base}, secrets, dynamostore.New(client, table), quietLogger())
	srv.Start()
	defer srv.Close()

	do := func(method, path string, body []byte) *http.Response {
		req, _ := http.NewRequest(method, base+path, bytes.NewReader(body))
		req.Header.Set(lambdamain.HeaderOriginVerify, originVerify)
		req.Header.Set("Content-Type", "application/json")
		resp, err := lambdatest.LoopbackClient().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	doc, _ := os.ReadFile("testdata/scenario.json")
	resp := do("POST", "/api/scenarios", doc)
	var shared struct{ Issuer string }
	json.NewDecoder(resp.Body).Decode(&shared)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("share: %d", resp.StatusCode)
	}
	resp = do("GET", shared.Issuer[len(base):]+"/id/keys", nil)
	defer resp.Body.Close()
	var jwks struct {
		Keys []struct{ Kid, N string }
	}
	json.NewDecoder(resp.Body).Decode(&jwks)
	if resp.StatusCode != http.StatusOK || len(jwks.Keys) != 2 {
		t.Fatalf("keys: %d, %d keys; want 200 with 2", resp.StatusCode, len(jwks.Keys))
	}
	if jwks.Keys[0].N != b64url(secrets.SigningKey.N.Bytes()) || jwks.Keys[1].N != b64url(old.N.Bytes()) {
		t.Fatal("want the current key first, then the previous one")
	}
	if jwks.Keys[0].Kid == jwks.Keys[1].Kid {
		t.Fatalf("both keys have kid %q", jwks.Keys[0].Kid)
	}
}
