package lambdatest

import (
	"sync"
	"testing"
	"time"
)

var (
	sharedMu  sync.Mutex
	shared    *DynamoDBLocal
	sharedErr error
)

// SharedDynamoDBLocal returns the test binary's one DynamoDB Local,
// starting it on first use (tests use their own tables). Call
// StopSharedDynamoDBLocal from TestMain after m.Run. A missing java or
// node_modules fails the test with the install hint; it never skips.
func SharedDynamoDBLocal(t testing.TB) *DynamoDBLocal {
	t.Helper()
	SetLocalAWSEnv(t)
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if shared == nil && sharedErr == nil {
		start := time.Now()
		shared, sharedErr = StartDynamoDBLocalNoTest(RepoRoot(t))
		if sharedErr == nil {
			t.Logf("DynamoDB Local ready on %s in %s", shared.Endpoint, time.Since(start).Round(time.Millisecond))
		}
	}
	if sharedErr != nil {
		t.Fatalf("DynamoDB Local: %v\n%s", sharedErr, InstallHint)
	}
	return shared
}

// StopSharedDynamoDBLocal kills the shared DynamoDB Local, if started.
func StopSharedDynamoDBLocal() {
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if shared != nil {
		shared.Stop()
		shared = nil
	}
}
