package main

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/caplab/caplab/policy"
)

// TestOrgServesAtRoot: `caplab org` serves one scenario as a live org at
// the root of its address: the issuer is the origin, and the endpoints
// hang off it with no path prefix.
func TestOrgServesAtRoot(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	origin := "http://" + ln.Addr().String()
	doc, _ := policy.Preset("web-server-self-authorize")
	h, err := newOrgHandler(doc, "salesforce", origin, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	resp, err := http.Get(origin + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	var d struct{ Issuer, TokenEndpoint string }
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	resp.Body.Close()
	d.Issuer, _ = m["issuer"].(string)
	d.TokenEndpoint, _ = m["token_endpoint"].(string)
	if resp.StatusCode != 200 || d.Issuer != origin || d.TokenEndpoint != origin+"/services/oauth2/token" {
		t.Fatalf("discovery: %d issuer %q token %q; want the origin %s", resp.StatusCode, d.Issuer, d.TokenEndpoint, origin)
	}
	// The main server's routes are not here: only the org.
	resp, err = http.Post(origin+"/api/scenarios", "application/json", bytes.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 && resp.StatusCode != 405 {
		t.Fatalf("POST /api/scenarios on a live org's origin: %d; want 404", resp.StatusCode)
	}
}

func TestOrgCommandErrors(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"org", "testdata/does-not-exist.json"}, nil, &out, &errb); code == exitOK {
		t.Fatalf("missing file: exit %d", code)
	}
	if code := run([]string{"org", "--mode", "strict", "--preset", "web-server-self-authorize"}, nil, &out, &errb); code != exitUsage {
		t.Fatalf("bad mode: exit %d; want %d", code, exitUsage)
	}
	if !strings.Contains(errb.String(), "mode") {
		t.Fatalf("stderr does not name the flag: %s", errb.String())
	}
}
