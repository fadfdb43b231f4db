package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// orgListeners gives every live org of `caplab serve` its own origin: a
// listener on a loopback port of its own, so the org is served at the root
// of an origin as a Salesforce org is (the Salesforce CLI appends
// "services/oauth2/userinfo" to instance_url without a slash, so an issuer
// with a path breaks it). Ports come from a range and are remembered in the
// data directory, so a live org keeps its origin across restarts.
// *.localhost host names would need no ports, but they do not resolve for
// Node, Go or Python clients.
type orgListeners struct {
	listenHost string // host the listeners bind (the main server's)
	urlHost    string // host in the origins (the base URL's)
	scheme     string
	lo, hi     int
	file       string // registry of org id → port ("" keeps it in memory)
	log        *slog.Logger
	handler    func(orgID, origin string) http.Handler // set once the API exists

	mu       sync.Mutex
	ports    map[string]int
	servers  map[string]*http.Server
	assigned map[string]time.Time // when assign ran (the share is stored just after)
}

// assignGrace keeps a just-assigned port from being dropped before its
// share is stored (assign runs first, PutScenario after).
const assignGrace = 10 * time.Minute

// parsePortRange reads "LO-HI".
func parsePortRange(s string) (lo, hi int, err error) {
	a, b, ok := strings.Cut(s, "-")
	if ok {
		lo, err = strconv.Atoi(a)
		if err == nil {
			hi, err = strconv.Atoi(b)
		}
	}
	if !ok || err != nil || lo < 1024 || hi > 65535 || lo > hi {
		return 0, 0, fmt.Errorf("--org-ports must be LO-HI within 1024-65535, like 8100-8999; got %q", s)
	}
	return lo, hi, nil
}

func newOrgListeners(listenHost, base string, lo, hi int, file string, log *slog.Logger) (*orgListeners, error) {
	scheme, urlHost, _ := strings.Cut(base, "://")
	if h, _, err := net.SplitHostPort(urlHost); err == nil {
		urlHost = h
	}
	if strings.Contains(urlHost, ":") {
		urlHost = "[" + urlHost + "]"
	}
	l := &orgListeners{listenHost: listenHost, urlHost: urlHost, scheme: scheme, lo: lo, hi: hi, file: file, log: log,
		ports: map[string]int{}, servers: map[string]*http.Server{}, assigned: map[string]time.Time{}}
	if file == "" {
		return l, nil
	}
	b, err := os.ReadFile(file)
	if errors.Is(err, os.ErrNotExist) {
		return l, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &l.ports); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return l, nil
}

func (l *orgListeners) origin(port int) string {
	return l.scheme + "://" + l.urlHost + ":" + strconv.Itoa(port)
}

// assign gives a new live org a free port of the range, starts its
// listener and returns its origin.
func (l *orgListeners) assign(_ context.Context, orgID string) (string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	used := map[int]bool{}
	for _, p := range l.ports {
		used[p] = true
	}
	for p := l.lo; p <= l.hi; p++ {
		if used[p] {
			continue
		}
		if err := l.listen(orgID, p); err != nil {
			continue // taken by another program: try the next
		}
		l.ports[orgID] = p
		l.assigned[orgID] = time.Now()
		if err := l.save(); err != nil {
			return "", err
		}
		return l.origin(p), nil
	}
	return "", fmt.Errorf("no free port left in %d-%d for a new live org (widen --org-ports, or wait for idle shares to expire)", l.lo, l.hi)
}

// listen starts the live org's listener; the caller holds the lock.
func (l *orgListeners) listen(orgID string, port int) error {
	ln, err := net.Listen("tcp", net.JoinHostPort(l.listenHost, strconv.Itoa(port)))
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: l.handler(orgID, l.origin(port)), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
	l.servers[orgID] = srv
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			l.log.Warn("live org listener stopped", "port", port, "err", err)
		}
	}()
	return nil
}

// restore reopens the listeners of the live orgs that still exist and
// forgets the others.
func (l *orgListeners) restore(exists func(orgID string) bool) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for id, p := range l.ports {
		if !exists(id) {
			delete(l.ports, id)
			continue
		}
		if err := l.listen(id, p); err != nil {
			l.log.Warn("a live org's port is taken; it is reachable through its /o/ alias only", "port", p, "err", err)
		}
	}
	return l.save()
}

// drop closes the listeners of live orgs that no longer exist (pruned).
func (l *orgListeners) drop(exists func(orgID string) bool) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for id := range l.ports {
		if exists(id) || time.Since(l.assigned[id]) < assignGrace {
			continue
		}
		if srv := l.servers[id]; srv != nil {
			srv.Close()
		}
		delete(l.servers, id)
		delete(l.ports, id)
		delete(l.assigned, id)
	}
	return l.save()
}

func (l *orgListeners) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, srv := range l.servers {
		srv.Close()
	}
}

// save writes the registry atomically; the caller holds the lock.
func (l *orgListeners) save() error {
	if l.file == "" {
		return nil
	}
	b, err := json.MarshalIndent(l.ports, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(filepath.Dir(l.file), "."+filepath.Base(l.file)+".tmp")
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, l.file)
}
