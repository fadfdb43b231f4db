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
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/caplab/caplab/lambda/httpapi"
	"github.com/caplab/caplab/lambda/relay"
	"github.com/caplab/caplab/lambda/store"
	"github.com/caplab/caplab/lambda/store/boltstore"
	"github.com/caplab/caplab/lambda/store/dynamostore"
	"github.com/caplab/caplab/lambda/store/memstore"
	"github.com/caplab/caplab/site"
)

// serveCmd is `caplab serve`: the playground, share links, evaluation and
// the live orgs of shared scenarios on one local address, with the
// embedded store in the data directory.
func serveCmd(args []string) int {
	fs := flag.NewFlagSet("caplab serve", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8080", "listen address")
	data := fs.String("data", ".caplab", "data directory (embedded store and signing key)")
	site := fs.String("site", "build/site", "directory of the playground as built (make build: hashed, pre-compressed files)")
	baseURL := fs.String("base-url", "", "public base URL for issuers and share links (default http://ADDR)")
	storeKind := fs.String("store", "bolt", "bolt (durable, a file in --data), memory (lost on exit; for benchmarks and throwaway runs) or dynamodb (a DynamoDB table, as deployed: --table, --endpoint)")
	table := fs.String("table", "", "with --store dynamodb: the table")
	endpoint := fs.String("endpoint", "", "with --store dynamodb: the DynamoDB endpoint, such as DynamoDB Local's http://127.0.0.1:8000 (default AWS's; credentials and region come from the AWS environment either way)")
	createTable := fs.Bool("create-table", false, "with --store dynamodb: create the table (with its TTL) if it does not exist")
	orgPorts := fs.String("org-ports", defaultOrgPorts, "port range LO-HI giving each live org its own origin on the --addr host, or \"off\" (live orgs only at /o/{id})")
	orgDomain := fs.String("org-domain", "", "serve each live org at {id}.DOMAIN instead (a wildcard DNS name pointing here); turns --org-ports off")
	shareTTL := fs.Duration("share-ttl", store.DefaultRetention.ShareIdle, "delete a share and its live org after this long without use")
	grantTTL := fs.Duration("grant-retention", store.DefaultRetention.Grant, "delete a grant and its tokens this long after it was made")
	accessLog := fs.Bool("access-log", true, "log each request (method, path, status, duration) to stderr; false for benchmarks, where a log line per request is a write per request")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	var lo, hi int
	if *orgPorts != "off" && *orgDomain == "" {
		var err error
		if lo, hi, err = parsePortRange(*orgPorts); err != nil {
			fmt.Fprintln(os.Stderr, "caplab serve:", err)
			return exitUsage
		}
	}
	if *shareTTL <= 0 || *grantTTL <= 0 {
		fmt.Fprintln(os.Stderr, "caplab serve: --share-ttl and --grant-retention must be positive durations, like 2160h")
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "caplab serve: unexpected argument", fs.Arg(0))
		return exitUsage
	}
	if err := checkStoreFlags(*storeKind, *table, *endpoint, *createTable); err != nil {
		fmt.Fprintln(os.Stderr, "caplab serve:", err)
		return exitUsage
	}
	tuneGC()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "caplab serve:", err)
		return exitFail
	}
	srv, cleanup, err := newServer(serveConfig{data: *data, site: *site, baseURL: *baseURL, addr: ln.Addr().String(), log: log,
		store: *storeKind, table: *table, endpoint: *endpoint, createTable: *createTable,
		orgPortLo: lo, orgPortHi: hi, orgDomain: *orgDomain, retention: store.Retention{ShareIdle: *shareTTL, Grant: *grantTTL},
		noAccessLog: !*accessLog})
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
	store                     string // bolt (""), memory or dynamodb
	table, endpoint           string // --store dynamodb
	createTable               bool
	orgPortLo, orgPortHi      int // a port per live org (0: none, /o/{id} only)
	orgDomain                 string
	retention                 store.Retention // zero: store.DefaultRetention
	noAccessLog               bool            // no log line per request (--access-log=false)
}

// logRequests wraps h with the request log unless c turns it off.
func (c serveConfig) logRequests(h http.Handler) http.Handler {
	if c.noAccessLog {
		return h
	}
	return httpapi.LogRequests(c.log, h)
}

// The garbage collector's setting for `caplab serve` (unless GOGC and
// GOMEMLIMIT say otherwise): its live heap is small (decoded live orgs,
// request buffers), so collecting when the heap has grown 4× rather than
// 1× saves CPU per request (a third more introspections per second on a
// 2-core machine), with a soft limit that keeps a memory store's heap
// bounded.
const (
	serveGCPercent   = 400
	serveMemoryLimit = 1 << 30
)

func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(serveGCPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(serveMemoryLimit)
	}
}

// defaultOrgPorts is where `caplab serve` gives live orgs their origins:
// next to the default 8080, clear of the usual development ports.
const defaultOrgPorts = "8100-8999"

// pruneEvery is how often the embedded store deletes expired records.
const pruneEvery = time.Hour

// liveStore is what the server keeps state in: the live org's store and
// the relay's.
type liveStore interface {
	store.Store
	relay.Store
}

// memoryStore pairs the in-memory twins.
type memoryStore struct {
	*memstore.Store
	*memstore.Relay
}

// dynamoStore pairs the DynamoDB stores, which share one table.
type dynamoStore struct {
	*dynamostore.Store
	*dynamostore.Relay
}

// dynamoSetupTimeout bounds loading the AWS configuration and checking (or
// creating) the table at start, so a wrong endpoint fails instead of hanging.
const dynamoSetupTimeout = 2 * time.Minute

// checkStoreFlags refuses a --store that does not exist and the DynamoDB
// flags without --store dynamodb (or dynamodb without a table).
func checkStoreFlags(kind, table, endpoint string, createTable bool) error {
	switch {
	case kind != "bolt" && kind != "memory" && kind != "dynamodb":
		return fmt.Errorf("--store must be bolt, memory or dynamodb; got %q", kind)
	case kind == "dynamodb" && table == "":
		return errors.New("--store dynamodb needs --table NAME")
	case kind != "dynamodb" && (table != "" || endpoint != "" || createTable):
		return errors.New("--table, --endpoint and --create-table go with --store dynamodb")
	}
	return nil
}

func openStore(c serveConfig) (liveStore, error) {
	switch c.store {
	case "memory":
		return memoryStore{memstore.New(), memstore.NewRelay()}, nil
	case "dynamodb":
		return openDynamoStore(c)
	}
	return boltstore.Open(filepath.Join(c.data, "caplab.db"))
}

// openDynamoStore connects to the table: AWS configuration (credentials,
// region) from the environment, as the Lambda functions load it. The table
// must exist, unless createTable (DynamoDB Local, a first run).
func openDynamoStore(c serveConfig) (liveStore, error) {
	ctx, cancel := context.WithTimeout(context.Background(), dynamoSetupTimeout)
	defer cancel()
	client, err := dynamostore.NewClient(ctx, c.endpoint)
	if err != nil {
		return nil, fmt.Errorf("DynamoDB: %w", err)
	}
	if c.createTable {
		if err := dynamostore.CreateTable(ctx, client, c.table); err != nil {
			return nil, err
		}
	} else if _, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &c.table}); err != nil {
		return nil, fmt.Errorf("DynamoDB table %s: %w (--create-table creates it)", c.table, err)
	}
	return dynamoStore{dynamostore.New(client, c.table), dynamostore.NewRelay(client, c.table)}, nil
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
	retention := c.retention
	if retention == (store.Retention{}) {
		retention = store.DefaultRetention
	}
	cfg := httpapi.Config{BaseURL: base, OrgDomain: c.orgDomain, SigningKey: key, CookieKey: cookieKey, Logger: c.log, Retention: retention}
	var orgs *orgListeners
	if c.orgPortLo > 0 {
		host, _, _ := net.SplitHostPort(c.addr)
		registry := filepath.Join(c.data, "org-ports.json")
		if c.store == "memory" {
			registry = ""
		}
		if orgs, err = newOrgListeners(host, base, c.orgPortLo, c.orgPortHi, registry, c.log); err != nil {
			st.Close()
			return nil, nil, err
		}
		cfg.AssignOrigin = orgs.assign
	}
	if c.site != "" {
		cfg.Site = site.Handler(c.site)
	}
	adminKey, err := relayAdminKey(c.data)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	api := httpapi.NewServer(cfg, st)
	mux := http.NewServeMux()
	mux.Handle("/relay/", relay.New(relay.Config{AdminKey: adminKey, CallbackURL: base + relay.PathCallback, Logger: c.log}, st))
	mux.Handle("/", api)
	h := c.logRequests(mux)
	srv := &http.Server{Addr: c.addr, Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
	exists := func(orgID string) bool {
		_, err := st.GetLiveOrg(context.Background(), orgID)
		return err == nil
	}
	if orgs != nil {
		orgs.handler = func(orgID, origin string) http.Handler {
			return c.logRequests(api.OrgHandler(orgID, origin))
		}
		if err := orgs.restore(exists); err != nil {
			st.Close()
			return nil, nil, err
		}
	}
	stopPruning := startPruning(st, retention, c.log, func() {
		if orgs != nil {
			if err := orgs.drop(exists); err != nil {
				c.log.Warn("saving the live org ports", "err", err)
			}
		}
	})
	return srv, func() {
		stopPruning()
		if orgs != nil {
			orgs.close()
		}
		st.Close()
	}, nil
}

// startPruning deletes expired records every pruneEvery (and once at
// start), then runs after (which closes the listeners of deleted live
// orgs). It returns the function that stops it.
func startPruning(st liveStore, r store.Retention, log *slog.Logger, after func()) func() {
	p, ok := st.(store.Pruner)
	if !ok {
		return func() {}
	}
	done := make(chan struct{})
	prune := func() {
		n, err := p.Prune(context.Background(), time.Now(), r)
		if err != nil {
			log.Warn("pruning expired records", "err", err)
			return
		}
		if n > 0 {
			log.Info("pruned expired records", "deleted", n)
		}
		after()
	}
	go func() {
		prune()
		t := time.NewTicker(pruneEvery)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				prune()
			case <-done:
				return
			}
		}
	}()
	return sync.OnceFunc(func() { close(done) })
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
