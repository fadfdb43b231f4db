package lambdatest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// FakeRuntime is the Lambda runtime API (2018-06-01) on 127.0.0.1, as
// aws-lambda-go's own tests fake it: GET …/invocation/next hands out queued
// events, POST …/invocation/{id}/response and …/error capture the answer,
// POST …/init/error captures an init failure.
type FakeRuntime struct {
	Addr string // host:port for AWS_LAMBDA_RUNTIME_API

	mu        sync.Mutex
	queue     chan invocation
	waiting   map[string]chan Result
	firstNext time.Time
	nextSeen  chan struct{}
	initErr   chan string
	seq       int
}

type invocation struct {
	id    string
	event []byte
}

// Result is what the function posted for one invocation.
type Result struct {
	Body    []byte
	IsError bool
}

// StartFakeRuntime listens on a free loopback port until the test ends.
func StartFakeRuntime(t testing.TB) *FakeRuntime {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &FakeRuntime{Addr: l.Addr().String(), queue: make(chan invocation, 16), waiting: map[string]chan Result{},
		nextSeen: make(chan struct{}), initErr: make(chan string, 1)}
	srv := &http.Server{Handler: http.HandlerFunc(f.serve)}
	go srv.Serve(l)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		srv.Close()
	})
	return f
}

const runtimePrefix = "/2018-06-01/runtime/"

func (f *FakeRuntime) serve(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, runtimePrefix)
	switch {
	case r.Method == http.MethodGet && path == "invocation/next":
		f.mu.Lock()
		if f.firstNext.IsZero() {
			f.firstNext = time.Now()
			close(f.nextSeen)
		}
		f.mu.Unlock()
		select {
		case inv := <-f.queue:
			h := w.Header()
			h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
			h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(30*time.Second).UnixMilli(), 10))
			h.Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:caplab-test")
			h.Set("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000;Parent=0000000000000000;Sampled=0")
			h.Set("Content-Type", "application/json")
			w.Write(inv.event)
		case <-r.Context().Done():
		}
	case r.Method == http.MethodPost && strings.HasPrefix(path, "invocation/"):
		rest := strings.TrimPrefix(path, "invocation/")
		id, kind, _ := strings.Cut(rest, "/")
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		ch := f.waiting[id]
		delete(f.waiting, id)
		f.mu.Unlock()
		if ch != nil {
			ch <- Result{Body: body, IsError: kind == "error"}
		}
		w.WriteHeader(http.StatusAccepted)
	case r.Method == http.MethodPost && path == "init/error":
		body, _ := io.ReadAll(r.Body)
		select {
		case f.initErr <- string(body):
		default:
		}
		w.WriteHeader(http.StatusAccepted)
	default:
		http.NotFound(w, r)
	}
}

// WaitReady waits for the function's first /next poll (the end of its
// init) and returns when it happened.
func (f *FakeRuntime) WaitReady(timeout time.Duration, exited <-chan error) (time.Time, error) {
	select {
	case <-f.nextSeen:
		f.mu.Lock()
		defer f.mu.Unlock()
		return f.firstNext, nil
	case msg := <-f.initErr:
		return time.Time{}, fmt.Errorf("init error: %s", msg)
	case err := <-exited:
		return time.Time{}, fmt.Errorf("function exited during init: %v", err)
	case <-time.After(timeout):
		return time.Time{}, errors.New("no /next poll within " + timeout.String())
	}
}

// Invoke queues an event and waits for the function's response.
func (f *FakeRuntime) Invoke(event []byte, timeout time.Duration) (Result, error) {
	f.mu.Lock()
	f.seq++
	id := fmt.Sprintf("req-%04d", f.seq)
	ch := make(chan Result, 1)
	f.waiting[id] = ch
	f.mu.Unlock()
	f.queue <- invocation{id: id, event: event}
	select {
	case res := <-ch:
		return res, nil
	case <-time.After(timeout):
		return Result{}, fmt.Errorf("no response to %s within %s", id, timeout)
	}
}
