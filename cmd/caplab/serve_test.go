package main

import (
	"bytes"
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

	"github.com/caplab/caplab/policy"
)

// startServe runs newServer on 127.0.0.1:0 and returns its base URL.
func startServe(t *testing.T, data, site string, logs io.Writer) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv, cleanup, err := newServer(serveConfig{data: data, site: site, addr: ln.Addr().String(), log: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close(); cleanup() })
	return "http://" + ln.Addr().String()
}

func TestServe(t *testing.T) {
	data := t.TempDir()
	site := t.TempDir()
	os.WriteFile(filepath.Join(site, "index.html"), []byte("<!doctype html><title>caplab</title>"), 0o644)
	var logs bytes.Buffer
	base := startServe(t, data, site, &logs)
	for _, p := range []string{"/", "/s/AAAAAAAAAAAA"} {
		resp, err := http.Get(base + p)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), "<title>caplab</title>") {
			t.Fatalf("GET %s: %d %s", p, resp.StatusCode, body)
		}
	}
	doc, _ := policy.Preset("web-server-self-authorize")
	resp, err := http.Post(base+"/api/scenarios?mode=rfc", "application/json", bytes.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	var share struct{ ID, Issuer string }
	json.NewDecoder(resp.Body).Decode(&share)
	resp.Body.Close()
	if resp.StatusCode != 201 || share.Issuer != base+"/o/"+share.ID {
		t.Fatalf("share: %d %+v", resp.StatusCode, share)
	}
	kid := func(base, id string) string {
		resp, err := http.Get(base + "/o/" + id + "/id/keys")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var jwks struct{ Keys []struct{ Kid string } }
		json.NewDecoder(resp.Body).Decode(&jwks)
		if len(jwks.Keys) != 1 {
			t.Fatalf("jwks: %+v", jwks)
		}
		return jwks.Keys[0].Kid
	}
	if kid(base, share.ID) == "" {
		t.Fatal("no kid")
	}
	// The query (which may carry codes) is never logged.
	http.Get(base + "/o/" + share.ID + "/services/oauth2/authorize?code=SECRETCODE&state=x")
	if !strings.Contains(logs.String(), "path=/o/"+share.ID+"/services/oauth2/authorize") || strings.Contains(logs.String(), "SECRETCODE") {
		t.Fatalf("logs:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "status=") || !strings.Contains(logs.String(), "duration=") {
		t.Fatalf("logs lack status or duration:\n%s", logs.String())
	}
	for _, f := range []string{"caplab.db", "signing-key.pem", "cookie-key"} {
		if _, err := os.Stat(filepath.Join(data, f)); err != nil {
			t.Fatal(err)
		}
	}
}

func TestServeRestartKeepsState(t *testing.T) {
	data := t.TempDir()
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	srv, cleanup, err := newServer(serveConfig{data: data, addr: ln.Addr().String(), log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	base := "http://" + ln.Addr().String()
	doc, _ := policy.Preset("web-server-self-authorize")
	resp, err := http.Post(base+"/api/scenarios", "application/json", bytes.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	var share struct{ ID string }
	json.NewDecoder(resp.Body).Decode(&share)
	resp.Body.Close()
	keys1, _ := http.Get(base + "/o/" + share.ID + "/id/keys")
	b1, _ := io.ReadAll(keys1.Body)
	keys1.Body.Close()
	srv.Close()
	cleanup()

	base2 := startServe(t, data, "", io.Discard)
	keys2, err := http.Get(base2 + "/o/" + share.ID + "/id/keys")
	if err != nil {
		t.Fatal(err)
	}
	b2, _ := io.ReadAll(keys2.Body)
	keys2.Body.Close()
	if keys2.StatusCode != 200 || !bytes.Equal(b1, b2) {
		t.Fatalf("after restart: %d\n%s\nvs\n%s", keys2.StatusCode, b2, b1)
	}
}

func TestServeFlags(t *testing.T) {
	if code := serveCmd([]string{"--nope"}); code != exitUsage {
		t.Fatalf("bad flag: exit %d", code)
	}
	if code := serveCmd([]string{"extra"}); code != exitUsage {
		t.Fatalf("extra argument: exit %d", code)
	}
	if code := serveCmd([]string{"--addr", "256.0.0.1:99999", "--data", t.TempDir()}); code != exitFail {
		t.Fatalf("bad address: exit %d", code)
	}
}

// The relay is mounted under /relay/: its admin API takes the key kept in
// the data directory, and a callback for an unknown flow is an error page,
// never a redirect.
func TestServeMountsRelay(t *testing.T) {
	data := t.TempDir()
	var logs bytes.Buffer
	base := startServe(t, data, "", &logs)
	raw, err := os.ReadFile(filepath.Join(data, "relay-admin-key"))
	if err != nil {
		t.Fatalf("relay admin key not kept in the data directory: %v", err)
	}
	key := hex.EncodeToString(raw[:32])
	tenant := `{"loginHost":"https://globex.my.salesforce.com","clientId":"caplab_client","destinations":[{"id":"main","url":"https://app.globex.test/oauth/callback"}]}`
	put := func(auth string) int {
		req, _ := http.NewRequest(http.MethodPut, base+"/relay/admin/tenants/globex", strings.NewReader(tenant))
		req.Header.Set("Content-Type", "application/json")
		if auth != "" {
			req.Header.Set("Authorization", "Bearer "+auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			t.Fatalf("PUT tenant: %d %s", resp.StatusCode, body)
		}
		return resp.StatusCode
	}
	if code := put("wrong-key"); code != http.StatusUnauthorized && code != http.StatusForbidden {
		t.Errorf("PUT tenant with a wrong key: got %d; want 401 or 403", code)
	}
	if code := put(key); code < 200 || code > 299 {
		t.Errorf("PUT tenant with the admin key: got %d; want 2xx", code)
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(base + "/relay/callback?code=abc&state=unknown-handle")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
		t.Errorf("callback for an unknown flow: got %d Location %q; want 400 and no redirect", resp.StatusCode, resp.Header.Get("Location"))
	}
	if strings.Contains(logs.String(), key) {
		t.Error("the relay admin key appears in the logs")
	}
}
