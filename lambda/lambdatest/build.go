package lambdatest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// The function binaries are built once per test binary and architecture
// (one `go build` for all of them: the packages compile once, the links
// run in parallel) and shared by every test that runs them.
var (
	buildsMu  sync.Mutex
	builds    = map[string]*buildResult{} // by GOARCH
	buildsDir string
)

type buildResult struct {
	once sync.Once
	bins map[string]string
	err  error
}

// BuildFunctions builds lambda/cmd/<name> for linux/goarch as infra/Makefile
// does (-tags lambda.norpc, CGO_ENABLED=0, -trimpath -s -w) and returns
// name → path of a file named bootstrap. Call CleanupBuilds from TestMain.
func BuildFunctions(t testing.TB, goarch string, names ...string) map[string]string {
	t.Helper()
	buildsMu.Lock()
	if buildsDir == "" {
		d, err := os.MkdirTemp("", "caplab-bootstraps-")
		if err != nil {
			buildsMu.Unlock()
			t.Fatal(err)
		}
		buildsDir = d
	}
	b := builds[goarch]
	if b == nil {
		b = &buildResult{}
		builds[goarch] = b
	}
	dir := filepath.Join(buildsDir, goarch)
	buildsMu.Unlock()
	b.once.Do(func() { b.bins, b.err = buildAll(RepoRoot(t), dir, goarch) })
	if b.err != nil {
		t.Fatal(b.err)
	}
	out := map[string]string{}
	for _, n := range names {
		p, ok := b.bins[n]
		if !ok {
			t.Fatalf("no function %q under lambda/cmd", n)
		}
		out[n] = p
	}
	return out
}

// FunctionNames are the directories under lambda/cmd that build a
// function (lambdamain is their shared library).
var FunctionNames = []string{"authorize", "token", "api", "callback", "keygen"}

func buildAll(root, dir, goarch string) (map[string]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	args := []string{"build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w -buildid=", "-o", dir + string(filepath.Separator)}
	for _, n := range FunctionNames {
		args = append(args, "./lambda/cmd/"+n)
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+goarch, "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build (linux/%s): %v\n%s", goarch, err, out)
	}
	bins := map[string]string{}
	for _, n := range FunctionNames {
		fnDir := filepath.Join(dir, n+".d")
		if err := os.MkdirAll(fnDir, 0o755); err != nil {
			return nil, err
		}
		p := filepath.Join(fnDir, "bootstrap")
		if err := os.Rename(filepath.Join(dir, n), p); err != nil {
			return nil, err
		}
		bins[n] = p
	}
	return bins, nil
}

// CleanupBuilds removes the shared builds.
func CleanupBuilds() {
	buildsMu.Lock()
	defer buildsMu.Unlock()
	if buildsDir != "" {
		os.RemoveAll(buildsDir)
		buildsDir = ""
		builds = map[string]*buildResult{}
	}
}
