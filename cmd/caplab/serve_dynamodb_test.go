package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caplab/caplab/lambda/lambdatest"
	"github.com/caplab/caplab/policy"
)

func TestServeStoreFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"unknown store", []string{"--store", "postgres"}},
		{"dynamodb without a table", []string{"--store", "dynamodb"}},
		{"a table without dynamodb", []string{"--table", "caplab"}},
		{"an endpoint with the memory store", []string{"--store", "memory", "--endpoint", "http://127.0.0.1:8000"}},
		{"create-table without dynamodb", []string{"--create-table"}},
	}
	for _, tt := range tests {
		args := append([]string{"--data", t.TempDir(), "--addr", "127.0.0.1:0"}, tt.args...)
		if code := serveCmd(args); code != exitUsage {
			t.Errorf("%s: exit %d; want %d", tt.name, code, exitUsage)
		}
	}
	for _, ok := range []struct {
		kind, table, endpoint string
		create                bool
	}{{"bolt", "", "", false}, {"memory", "", "", false}, {"dynamodb", "t1", "", false}, {"dynamodb", "t1", "http://127.0.0.1:8000", true}} {
		if err := checkStoreFlags(ok.kind, ok.table, ok.endpoint, ok.create); err != nil {
			t.Errorf("%+v: %v; want accepted", ok, err)
		}
	}
}

// TestServeDynamoDB: caplab serve --store dynamodb keeps shares, live orgs
// and relay tenants in the table (DynamoDB Local here), so a second server
// on the same table sees them; without --create-table a missing table is
// an error naming it.
func TestServeDynamoDB(t *testing.T) {
	lambdatest.SetLocalAWSEnv(t)
	ddb, err := lambdatest.StartDynamoDBLocalNoTest(lambdatest.RepoRoot(t))
	if err != nil {
		t.Fatalf("DynamoDB Local: %v\n%s", err, lambdatest.InstallHint)
	}
	t.Cleanup(ddb.Stop)
	data := t.TempDir()
	start := func(table string, create bool) (string, func(), error) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		srv, cleanup, err := newServer(serveConfig{data: data, addr: ln.Addr().String(), log: slog.New(slog.NewTextHandler(io.Discard, nil)),
			store: "dynamodb", table: table, endpoint: ddb.Endpoint, createTable: create})
		if err != nil {
			ln.Close()
			return "", nil, err
		}
		go srv.Serve(ln)
		return "http://" + ln.Addr().String(), func() { srv.Close(); cleanup() }, nil
	}

	if _, _, err := start("caplab-missing", false); err == nil || !strings.Contains(err.Error(), "caplab-missing") || !strings.Contains(err.Error(), "--create-table") {
		t.Errorf("missing table without --create-table: got %v; want an error naming the table and --create-table", err)
	}

	base, stop, err := start("caplab-serve", true)
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := policy.Preset("web-server-self-authorize")
	resp, err := http.Post(base+"/api/scenarios", "application/json", bytes.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	var share struct{ ID, Issuer string }
	json.NewDecoder(resp.Body).Decode(&share)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || share.ID == "" {
		t.Fatalf("share: got %d %+v; want 201 with an id", resp.StatusCode, share)
	}
	raw, err := os.ReadFile(filepath.Join(data, "relay-admin-key"))
	if err != nil {
		t.Fatal(err)
	}
	tenant := `{"loginHost":"https://globex.my.salesforce.com","clientId":"caplab_client","destinations":[{"id":"main","url":"https://app.globex.test/oauth/callback"}]}`
	req, _ := http.NewRequest(http.MethodPut, base+"/relay/admin/tenants/globex", strings.NewReader(tenant))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+hex.EncodeToString(raw[:32]))
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		t.Fatalf("PUT relay tenant: got %d; want 2xx", resp.StatusCode)
	}
	stop()

	// A second server on the same table: the share and the tenant are there.
	base2, stop2, err := start("caplab-serve", false)
	if err != nil {
		t.Fatal(err)
	}
	defer stop2()
	resp, err = http.Get(base2 + "/api/scenarios/" + share.ID)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "Web server flow with self-authorization") {
		t.Errorf("GET the share from a second server: got %d %.200s; want 200 with the scenario", resp.StatusCode, body)
	}
	st, err := openDynamoStore(serveConfig{table: "caplab-serve", endpoint: ddb.Endpoint})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := st.GetTenant(context.Background(), "globex"); err != nil || got.ClientID != "caplab_client" {
		t.Errorf("relay tenant in the table: got %+v, %v; want globex with client caplab_client", got, err)
	}
}
