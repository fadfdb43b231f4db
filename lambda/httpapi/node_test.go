package httpapi_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// repoRoot is the module root (where package.json and node_modules live).
func repoRoot(t *testing.T) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// TestOpenIDClient runs the openid-client 6 script against an rfc-mode live
// org on 127.0.0.1: discovery, code flow with PKCE, iss checks, userinfo,
// introspection, refresh and revocation.
func TestOpenIDClient(t *testing.T) {
	root := repoRoot(t)
	if _, err := os.Stat(filepath.Join(root, "node_modules", "openid-client", "package.json")); err != nil {
		t.Fatalf("openid-client is not installed: run npm ci in %s (make tools does it)", root)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is not on PATH: install Node.js 20 or later")
	}
	e := newEnv(t, envOpt{mode: "rfc"})
	cmd := exec.CommandContext(t.Context(), node, "testdata/openid-client.mjs", e.issuer, clientID, clientSecret, callback, username, password)
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node openid-client.mjs: %v\n%s", err, out)
	}
	var res map[string]any
	line := strings.TrimSpace(string(out))
	if i := strings.LastIndexByte(line, '\n'); i >= 0 {
		line = line[i+1:]
	}
	if json.Unmarshal([]byte(line), &res) != nil || res["ok"] != true || res["issuer"] != e.issuer || res["tamperedIssRejected"] != true {
		t.Fatalf("unexpected output:\n%s", out)
	}
	t.Logf("openid-client: %s", line)
}
