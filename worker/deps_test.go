package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/caplab/caplab/worker/workertest"
)

// TestWorkerImportsNoAWSOrBolt: the Worker's js/wasm build depends on no
// AWS SDK, Lambda, DynamoDB or bbolt package (they would not run there, and
// they would swell the script past Cloudflare's size limit).
func TestWorkerImportsNoAWSOrBolt(t *testing.T) {
	for _, pkg := range []string{"./worker", "./lambda/store/d1store/internal/probe"} {
		cmd := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "list", "-deps", "-f", "{{.ImportPath}}", pkg)
		cmd.Dir = workertest.Root()
		cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go list %s: %v\n%s", pkg, err, out)
		}
		deps := strings.Fields(string(out))
		if len(deps) < 10 {
			t.Fatalf("go list %s: %d packages; want the whole graph", pkg, len(deps))
		}
		for _, d := range deps {
			for _, banned := range []string{"github.com/aws/", "go.etcd.io/bbolt", "/lambda/store/dynamostore", "/lambda/store/boltstore", "/lambda/cmd/", "/lambda/lambdatest"} {
				if strings.Contains(d, banned) {
					t.Errorf("%s (GOOS=js) depends on %s", pkg, d)
				}
			}
		}
	}
}
