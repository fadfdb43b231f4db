package lambdatest

import (
	"strings"
	"testing"
)

// A machine without node_modules gets an error and the install hint (the
// DynamoDB tests fail with it; they never skip).
func TestMissingJarHint(t *testing.T) {
	if _, _, err := DynamoDBLocalJar(t.TempDir()); err == nil {
		t.Fatal("DynamoDBLocalJar found a jar in an empty directory")
	}
	for _, want := range []string{"apt-get install -y openjdk-17-jre-headless", "npm ci"} {
		if !strings.Contains(InstallHint, want) {
			t.Errorf("InstallHint lacks %q", want)
		}
	}
	if _, lib, err := DynamoDBLocalJar(RepoRoot(t)); err != nil {
		t.Fatalf("%v\n%s", err, InstallHint)
	} else if !strings.HasSuffix(lib, "DynamoDBLocal_lib") {
		t.Fatalf("native library folder %s", lib)
	}
}

func TestLoopbackClientRefusesOutside(t *testing.T) {
	_, err := LoopbackClient().Get("http://192.0.2.1/") // TEST-NET-1: never dialled
	if err == nil || !strings.Contains(err.Error(), "loopback only") {
		t.Fatalf("LoopbackClient dialled a non-loopback address: %v", err)
	}
}
