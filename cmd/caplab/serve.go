package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/caplab/caplab/lambda/httpapi"
	"github.com/caplab/caplab/lambda/relay"
	"github.com/caplab/caplab/lambda/store"
	"github.com/caplab/caplab/lambda/store/boltstore"
	"github.com/caplab/caplab/lambda/store/memstore"
)

// serveCmd is `caplab serve`: the playground, share links, evaluation and
// the live orgs of shared scenarios on one local address, with the
// embedded store in the data directory.
func serveCmd(args []string) int {
	fs := flag.NewFlagSet("caplab serve", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8080", "listen address")
	data := fs.String("data", ".caplab", "data directory (embedded store and signing key)")
	site := fs.String("site", "site", "directory of the playground's static files")
	baseURL := fs.String("base-url", "", "public base URL for issuers and share links (default http://ADDR)")
	storeKind := fs.String("store", "bolt", "bolt (durable, a file in --data) or memory (lost on exit; for benchmarks and throwaway runs)")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "caplab serve: unexpected argument", fs.Arg(0))
		return exitUsage
	}
	if *storeKind != "bolt" && *storeKind != "memory" {
		fmt.Fprintf(os.Stderr, "caplab serve: --store must be bolt or memory; got %q\n", *storeKind)
		return exitUsage
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "caplab serve:", err)
		return exitFail
	}
	srv, cleanup, err := newServer(serveConfig{data: *data, site: *site, baseURL: *baseURL, addr: ln.Addr().String(), log: log, memory: *storeKind == "memory"})
	if err != nil {
		ln.Close()
		fmt.Fprintln(os.Stderr, "caplab serve:", err)
		return exitFail
	}
	defer cleanup()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
	}()
	log.Info("caplab serving", "addr", "http://"+ln.Addr().String(), "data", *data, "site", *site, "store", *storeKind)
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(os.Stderr, "caplab serve:", err)
		return exitFail
	}
	log.Info("caplab stopped")
	return exitOK
}

type serveConfig struct {
	data, site, baseURL, addr string
	log                       *slog.Logger
	memory                    bool // in-memory store instead of bbolt
}

// liveStore is what the server keeps state in: the live org's store and
// the relay's.
type liveStore interface {
	store.Store
	relay.Store
}

// memoryStore pairs the in-memory twins.
type memoryStore struct {
	*memstore.Store
	*relay.MemoryStore
}

func openStore(c serveConfig) (liveStore, error) {
	if c.memory {
		return memoryStore{memstore.New(), relay.NewMemoryStore()}, nil
	}
	return boltstore.Open(filepath.Join(c.data, "caplab.db"))
}

// newServer builds the HTTP server: embedded store, persistent signing and
// cookie keys in the data directory, request logs.
func newServer(c serveConfig) (*http.Server, func(), error) {
	if err := os.MkdirAll(c.data, 0o700); err != nil {
		return nil, nil, err
	}
	st, err := openStore(c)
	if err != nil {
		return nil, nil, err
	}
	key, err := httpapi.LoadOrCreateKey(filepath.Join(c.data, "signing-key.pem"))
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	cookieKey, err := loadOrCreateSecret(filepath.Join(c.data, "cookie-key"))
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	base := strings.TrimSuffix(c.baseURL, "/")
	if base == "" {
		base = "http://" + c.addr
	}
	cfg := httpapi.Config{BaseURL: base, SigningKey: key, CookieKey: cookieKey, Logger: c.log}
	if c.site != "" {
		cfg.Site = http.FileServer(http.Dir(c.site))
	}
	adminKey, err := relayAdminKey(c.data)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/relay/", relay.New(relay.Config{AdminKey: adminKey, CallbackURL: base + relay.PathCallback, Logger: c.log}, st))
	mux.Handle("/", httpapi.New(cfg, st))
	h := httpapi.LogRequests(c.log, mux)
	srv := &http.Server{Addr: c.addr, Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
	return srv, func() { st.Close() }, nil
}

// relayAdminKey is the relay admin API's key: $CAPLAB_RELAY_ADMIN_KEY, else
// a random key kept in the data directory (read it from there to register
// tenants; it is never logged).
func relayAdminKey(data string) (string, error) {
	if k := os.Getenv(relay.EnvAdminKey); k != "" {
		return k, nil
	}
	b, err := loadOrCreateSecret(filepath.Join(data, "relay-admin-key"))
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:32]), nil
}

// loadOrCreateSecret reads 32 random bytes from path, creating them once.
func loadOrCreateSecret(path string) ([]byte, error) {
	if b, err := os.ReadFile(path); err == nil && len(b) >= 32 {
		return b, nil
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	return b, os.WriteFile(path, b, 0o600)
}
