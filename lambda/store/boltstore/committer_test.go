package boltstore

import (
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func openCommitter(t *testing.T) (*bolt.DB, *committer) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "c.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := newCommitter(db, func(err error) { t.Errorf("later: %v", err) })
	t.Cleanup(func() { c.close(); db.Close() })
	return db, c
}

// Calls no answer waits on share commits: a stream of them alone (one a
// millisecond, as a client-credentials load makes) costs a commit per
// behindDelay, not one each, and each lands within behindDelay or so.
func TestLaterCallsShareCommits(t *testing.T) {
	_, c := openCommitter(t)
	var ran atomic.Int32
	var mu sync.Mutex
	txs := map[int]bool{}
	start := time.Now()
	for range 50 {
		time.Sleep(behindDelay / 10)
		c.later(func(tx *bolt.Tx) (error, error) {
			mu.Lock()
			txs[tx.ID()] = true
			mu.Unlock()
			ran.Add(1)
			return nil, nil
		})
	}
	deadline := time.Now().Add(20 * behindDelay)
	for ran.Load() < 50 && time.Now().Before(deadline) {
		time.Sleep(behindDelay / 5)
	}
	if n := ran.Load(); n != 50 {
		t.Fatalf("%d of 50 later calls committed after %v", n, 20*behindDelay)
	}
	// One commit per behindDelay of the run, and a spare at each end (a
	// loaded machine stretches the run, and the allowance with it).
	allowed := int(time.Since(start)/behindDelay) + 2
	mu.Lock()
	defer mu.Unlock()
	if commits := len(txs); commits > allowed {
		t.Errorf("50 later calls over %v took %d commits; want about one per %v (at most %d)", time.Since(start).Round(time.Millisecond), commits, behindDelay, allowed)
	}
}

// A call that waits never waits for behindDelay, and takes the queued
// later calls with it.
func TestWaitingCallCommitsAtOnce(t *testing.T) {
	_, c := openCommitter(t)
	var laterRan atomic.Bool
	c.later(func(*bolt.Tx) (error, error) { laterRan.Store(true); return nil, nil })
	if err := c.do(func(*bolt.Tx) (error, error) { return nil, nil }); err != nil {
		t.Fatal(err)
	}
	if !laterRan.Load() {
		t.Error("a later call queued before a waiting one was not committed with it")
	}
}

// Closing commits what is queued, timer pending or not.
func TestCloseCommitsLaterCalls(t *testing.T) {
	db, err := bolt.Open(filepath.Join(t.TempDir(), "c.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c := newCommitter(db, func(err error) { t.Errorf("later: %v", err) })
	var ran atomic.Bool
	c.later(func(*bolt.Tx) (error, error) { ran.Store(true); return nil, nil })
	c.close()
	if !ran.Load() {
		t.Error("close dropped a queued later call")
	}
	time.Sleep(2 * behindDelay) // the stopped timer must not kick a closed channel
}
