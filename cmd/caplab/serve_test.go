package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
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
	if resp.StatusCode != 201 || !strings.HasPrefix(share.Issuer, base+"/o/") || strings.Contains(share.Issuer, share.ID) {
		t.Fatalf("share: %d %+v", resp.StatusCode, share)
	}
	kid := func(issuer string) string {
		resp, err := http.Get(issuer + "/id/keys")
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
	if kid(share.Issuer) == "" {
		t.Fatal("no kid")
	}
	// The query (which may carry codes) is never logged.
	http.Get(share.Issuer + "/services/oauth2/authorize?code=SECRETCODE&state=x")
	if !strings.Contains(logs.String(), "path="+strings.TrimPrefix(share.Issuer, base)+"/services/oauth2/authorize") || strings.Contains(logs.String(), "SECRETCODE") {
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
	var share struct{ ID, Issuer string }
	json.NewDecoder(resp.Body).Decode(&share)
	resp.Body.Close()
	keys1, _ := http.Get(share.Issuer + "/id/keys")
	b1, _ := io.ReadAll(keys1.Body)
	keys1.Body.Close()
	srv.Close()
	cleanup()

	base2 := startServe(t, data, "", io.Discard)
	keys2, err := http.Get(base2 + strings.TrimPrefix(share.Issuer, base) + "/id/keys")
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

// freePortRange finds n consecutive free loopback ports.
func freePortRange(t *testing.T, n int) (lo, hi int) {
	t.Helper()
	for start := 20000 + os.Getpid()%20000; start < 60000; start += n {
		ok := true
		for p := start; p < start+n && ok; p++ {
			ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
			if err != nil {
				ok = false
				continue
			}
			ln.Close()
		}
		if ok {
			return start, start + n - 1
		}
	}
	t.Fatal("no free port range")
	return 0, 0
}

// TestServeOrgOrigins: each live org is served at the root of its own
// loopback origin (instance_url and issuer have no path, as on
// Salesforce), keeps that origin across a restart, and the /o/{id} alias
// serves the same org.
func TestServeOrgOrigins(t *testing.T) {
	data := t.TempDir()
	lo, hi := freePortRange(t, 3)
	start := func() (string, func()) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		srv, cleanup, err := newServer(serveConfig{data: data, addr: ln.Addr().String(), log: slog.New(slog.NewTextHandler(io.Discard, nil)),
			orgPortLo: lo, orgPortHi: hi})
		if err != nil {
			t.Fatal(err)
		}
		go srv.Serve(ln)
		return "http://" + ln.Addr().String(), func() { srv.Close(); cleanup() }
	}
	base, stop := start()
	doc, _ := policy.Preset("web-server-self-authorize")
	issuers := map[string]bool{}
	var first string
	for range 2 {
		resp, err := http.Post(base+"/api/scenarios", "application/json", bytes.NewReader(doc))
		if err != nil {
			t.Fatal(err)
		}
		var share struct{ Issuer string }
		json.NewDecoder(resp.Body).Decode(&share)
		resp.Body.Close()
		u, err := url.Parse(share.Issuer)
		if err != nil || u.Path != "" || u.Hostname() != "127.0.0.1" {
			t.Fatalf("issuer %q: want an origin with no path", share.Issuer)
		}
		if p, _ := strconv.Atoi(u.Port()); p < lo || p > hi {
			t.Fatalf("issuer port %s outside %d-%d", u.Port(), lo, hi)
		}
		issuers[share.Issuer] = true
		if first == "" {
			first = share.Issuer
		}
	}
	if len(issuers) != 2 {
		t.Fatalf("two shares got origins %v; want two different origins", issuers)
	}
	discover := func(issuer string) string {
		t.Helper()
		resp, err := http.Get(issuer + "/.well-known/openid-configuration")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var d struct {
			Issuer        string `json:"issuer"`
			TokenEndpoint string `json:"token_endpoint"`
		}
		json.NewDecoder(resp.Body).Decode(&d)
		if resp.StatusCode != 200 || d.TokenEndpoint != issuer+"/services/oauth2/token" {
			t.Fatalf("discovery at %s: %d %+v", issuer, resp.StatusCode, d)
		}
		return d.Issuer
	}
	if got := discover(first); got != first {
		t.Fatalf("discovery issuer %q; want %q", got, first)
	}
	stop()
	base2, stop2 := start()
	defer stop2()
	if got := discover(first); got != first {
		t.Fatalf("after a restart the org answers as %q; want the same origin %q", got, first)
	}
	if base2 == "" {
		t.Fatal("no main server")
	}
}
