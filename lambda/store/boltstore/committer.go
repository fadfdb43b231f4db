package boltstore

import (
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// behindDelay is how long a call made with later may wait for company when
// no call is waiting on a commit: bookkeeping alone (a client-credentials
// token's Login History row) then shares one commit per behindDelay
// instead of costing two fdatasyncs a request. A call that waits commits
// at once, and takes the queued ones with it.
const behindDelay = 10 * time.Millisecond

// committer is group commit for bbolt: every write of the store is one
// call, and one goroutine commits the calls in read-write transactions.
// A call that finds it idle is committed at once (no batch delay: a lone
// request pays one commit, two fdatasyncs); calls that arrive while a
// commit is in flight queue, and the next commit takes them all. Under
// load the commits (and their syncs) are shared, and a request waits for
// at most the commit in flight and its own.
//
// A call's function returns an outcome (a refusal such as
// store.ErrAlreadyUsed, decided before it writes anything, so the other
// calls of its transaction still commit) or an error (which rolls the
// transaction back; each of its calls is then run in a transaction of its
// own, so one failure fails only its own call). Functions may run more
// than once and must start afresh each time.
//
// A call made with later is not waited for (store.Write.Behind): it is
// committed with the next batch, in order with the calls around it, at the
// latest behindDelay after it was queued; its error, if any, goes to
// onError.
type committer struct {
	db      *bolt.DB
	onError func(error)

	mu      sync.Mutex
	queue   []*call
	waiters int // calls in queue that wait (made with do)
	closed  bool
	kick    chan struct{} // a call is queued (buffered: one pending kick is enough)
	timer   *time.Timer   // kicks behindDelay after a later call queued alone; nil when none pends
	done    chan struct{} // closed when the goroutine has committed the last call
}

type call struct {
	fn      func(tx *bolt.Tx) (outcome, err error)
	outcome error
	err     error
	done    chan struct{} // closed when committed; nil for a call made with later
}

func newCommitter(db *bolt.DB, onError func(error)) *committer {
	c := &committer{db: db, onError: onError, kick: make(chan struct{}, 1), done: make(chan struct{})}
	go c.run()
	return c
}

// do runs fn in a shared read-write transaction and returns its outcome,
// or the error that kept its write from committing.
func (c *committer) do(fn func(tx *bolt.Tx) (outcome, err error)) error {
	k := &call{fn: fn, done: make(chan struct{})}
	if !c.enqueue(k) {
		return bolt.ErrDatabaseNotOpen
	}
	<-k.done
	if k.err != nil {
		return k.err
	}
	return k.outcome
}

// later queues fn without waiting for its commit.
func (c *committer) later(fn func(tx *bolt.Tx) (outcome, err error)) {
	if !c.enqueue(&call{fn: fn}) {
		c.onError(bolt.ErrDatabaseNotOpen)
	}
}

// flush waits until every call queued before it is committed.
func (c *committer) flush() error {
	return c.do(func(*bolt.Tx) (error, error) { return nil, nil })
}

func (c *committer) enqueue(k *call) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false
	}
	c.queue = append(c.queue, k)
	if k.done == nil {
		if c.timer == nil {
			c.timer = time.AfterFunc(behindDelay, c.kickLater)
		}
		return true
	}
	c.waiters++
	c.kickLocked()
	return true
}

// kickLater is the timer of a later call: commit what is queued.
func (c *committer) kickLater() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closed {
		c.kickLocked()
	}
}

func (c *committer) kickLocked() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// close commits what is queued and stops the goroutine.
func (c *committer) close() {
	c.mu.Lock()
	if !c.closed {
		c.closed = true
		close(c.kick)
	}
	c.mu.Unlock()
	<-c.done
}

func (c *committer) run() {
	defer close(c.done)
	for range c.kick {
		c.drain()
	}
	c.drain() // later calls whose timer had not fired when the store closed
}

// drain commits the queue, then again while calls wait: later calls
// queued during a commit wait for their timer (or a waiting call), so
// that under load, when commits are slow, they still share one.
func (c *committer) drain() {
	for {
		c.mu.Lock()
		batch := c.queue
		c.queue, c.waiters = nil, 0
		if c.timer != nil {
			c.timer.Stop()
			c.timer = nil
		}
		c.mu.Unlock()
		if len(batch) == 0 {
			return
		}
		c.commit(batch)
		for _, k := range batch {
			switch {
			case k.done != nil:
				close(k.done)
			case k.err != nil:
				c.onError(k.err)
			}
		}
		c.mu.Lock()
		again := c.waiters > 0 || c.closed
		if !again && len(c.queue) > 0 && c.timer == nil {
			c.timer = time.AfterFunc(behindDelay, c.kickLater)
		}
		c.mu.Unlock()
		if !again {
			return
		}
	}
}

// commit runs the batch in one transaction, or each call alone when that
// transaction failed.
func (c *committer) commit(batch []*call) {
	err := c.db.Update(func(tx *bolt.Tx) error {
		for _, k := range batch {
			k.outcome, k.err = k.fn(tx)
			if k.err != nil {
				return k.err
			}
		}
		return nil
	})
	if err == nil {
		return
	}
	for _, k := range batch {
		k.err = c.db.Update(func(tx *bolt.Tx) error {
			var err error
			k.outcome, err = k.fn(tx)
			return err
		})
	}
}
