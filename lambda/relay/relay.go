// Package relay is the intermediate-redirect relay: one callback URL,
// registered as a Connected App's only callback, that forwards each
// authorization response to the right consumer org's own destination.
//
// The relay is safe by construction (security.md §2.2, R1–R13):
//   - destinations come only from a server-side registry of tenants, and are
//     checked when the flow starts (start.go), never taken from the
//     callback request (R1, R2, R12; destination.go);
//   - the authorize request's state is an opaque 256-bit handle to a stored,
//     single-use, short-lived flow that binds tenant, destination, expected
//     issuer, client id and the consumer's own state (R3–R5; flow.go);
//   - the callback claims the flow once, aborts on an issuer mismatch, and
//     forwards code or error unchanged with a bare 302/303 (R4–R9;
//     callback.go); every failure is an error page, never a redirect (R11;
//     page.go);
//   - the consumer's PKCE challenge passes through and the relay never sees
//     the verifier, so a code stolen at the relay is useless (R10).
//
// Routes (mount the handler at /relay/):
//
//	GET  /relay/start?tenant=&dest=&state=&code_challenge=&code_challenge_method=S256[&scope=&nonce=&prompt=&login_hint=]
//	GET  /relay/callback?code|error…&state=&iss=     (POST form_post too)
//	PUT|GET|DELETE /relay/admin/tenants/{id}         (Authorization: Bearer <admin key>)
package relay

import (
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/caplab/caplab/lambda/ratelimit"
)

// Config configures the relay.
type Config struct {
	// AdminKey protects the admin API (Authorization: Bearer). Empty
	// disables the admin API; otherwise at least 32 characters.
	AdminKey string
	// CallbackURL is the relay's public callback URL, exactly as
	// registered on the Connected App (in canonical form), e.g.
	// https://relay.acme-isv.test/relay/callback. It is the redirect_uri
	// of every authorize request the relay starts, and so the redirect_uri
	// the consumer sends when it redeems the code (R10).
	CallbackURL string
	// FlowTTL is how long a started flow may take to come back; default 10
	// minutes, at most 15.
	FlowTTL time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Logger receives one line per request (tenant, outcome, duration;
	// never a code, state or handle). Default slog.Default().
	Logger *slog.Logger
	// NoRateLimits turns off the per-client-IP limit on starting flows
	// (tests that start many flows from 127.0.0.1). Never on a public relay.
	NoRateLimits bool
}

// Starting a flow writes a record, so it is limited per client IP:
// plenty for people signing in, little for a script filling the store.
const startsPerMinute, startBurst = 30, 30

// Defaults and bounds of Config.
const (
	DefaultFlowTTL = 10 * time.Minute
	MaxFlowTTL     = 15 * time.Minute
	MinAdminKeyLen = 32
)

// Environment variables read by ConfigFromEnv.
const (
	EnvAdminKey    = "CAPLAB_RELAY_ADMIN_KEY"
	EnvCallbackURL = "CAPLAB_RELAY_CALLBACK_URL"
	EnvFlowTTL     = "CAPLAB_RELAY_FLOW_TTL"
)

// ConfigFromEnv reads a Config from CAPLAB_RELAY_ADMIN_KEY,
// CAPLAB_RELAY_CALLBACK_URL and CAPLAB_RELAY_FLOW_TTL (a Go duration), and
// validates it.
func ConfigFromEnv() (Config, error) {
	cfg := Config{AdminKey: os.Getenv(EnvAdminKey), CallbackURL: os.Getenv(EnvCallbackURL)}
	if v := os.Getenv(EnvFlowTTL); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return cfg, fmt.Errorf("%s: %w", EnvFlowTTL, err)
		}
		cfg.FlowTTL = d
	}
	return cfg, cfg.Validate()
}

// Validate reports what is wrong with cfg, if anything.
func (cfg Config) Validate() error {
	u, err := parseStrictURL(cfg.CallbackURL, kindCallback)
	if err != nil {
		return fmt.Errorf("relay: callback URL: %w", err)
	}
	if u.String() != cfg.CallbackURL {
		return fmt.Errorf("relay: callback URL must be written canonically, as %q (and registered so on the Connected App)", u.String())
	}
	if cfg.AdminKey != "" && len(cfg.AdminKey) < MinAdminKeyLen {
		return fmt.Errorf("relay: admin key must be at least %d characters (or empty to disable the admin API)", MinAdminKeyLen)
	}
	if cfg.FlowTTL < 0 || cfg.FlowTTL > MaxFlowTTL {
		return fmt.Errorf("relay: flow TTL must be between 0 (default %v) and %v", DefaultFlowTTL, MaxFlowTTL)
	}
	return nil
}

// handler is the relay.
type handler struct {
	st       Store
	callback string
	ttl      time.Duration
	now      func() time.Time
	log      *slog.Logger
	admin    bool
	adminKey [sha256.Size]byte // SHA-256 of the admin key, compared in constant time
	starts   *ratelimit.Limiter
}

// New returns the relay's handler. It panics if cfg is invalid: call
// cfg.Validate first to get the error.
func New(cfg Config, st Store) http.Handler {
	if err := cfg.Validate(); err != nil {
		panic(err)
	}
	h := &handler{st: st, callback: cfg.CallbackURL, ttl: cfg.FlowTTL, now: cfg.Now, log: cfg.Logger}
	if h.ttl == 0 {
		h.ttl = DefaultFlowTTL
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.log == nil {
		h.log = slog.Default()
	}
	if cfg.AdminKey != "" {
		h.admin, h.adminKey = true, sha256.Sum256([]byte(cfg.AdminKey))
	}
	if !cfg.NoRateLimits {
		h.starts = ratelimit.New(startsPerMinute, startBurst)
	}
	return h
}

// Route paths.
const (
	PathStart         = "/relay/start"
	PathCallback      = "/relay/callback"
	PathAdminTenants  = "/relay/admin/tenants/"
	maxRawQueryLength = 8 << 10
)

// outcome is what a request came to, for the log line.
type outcome struct {
	tenant string
	result string
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	began := time.Now()
	hdr := w.Header()
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("Pragma", "no-cache")
	hdr.Set("Referrer-Policy", "no-referrer")
	hdr.Set("X-Content-Type-Options", "nosniff")

	var op string
	var out outcome
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			out = outcome{out.tenant, "panic"}
			h.log.LogAttrs(r.Context(), slog.LevelError, "relay panic", slog.String("panic", fmt.Sprint(v)))
			writePage(w, failInternal)
		}
		h.log.LogAttrs(r.Context(), slog.LevelInfo, "relay "+op,
			slog.String("tenant", out.tenant),
			slog.String("outcome", out.result),
			slog.Duration("duration", time.Since(began)))
	}()

	path := r.URL.Path
	switch {
	case len(r.URL.RawQuery) > maxRawQueryLength:
		op, out = "request", outcome{"", failBadRequest.code}
		writePage(w, failBadRequest)
	case path == PathStart:
		op, out = "start", h.start(w, r)
	case path == PathCallback:
		op, out = "callback", h.callbackHandler(w, r)
	case strings.HasPrefix(path, PathAdminTenants):
		op, out = "admin", h.adminTenants(w, r, strings.TrimPrefix(path, PathAdminTenants))
	default:
		op, out = "request", outcome{"", failNotFound.code}
		writePage(w, failNotFound)
	}
}

// storeFailure logs a store error (the message only ever holds ids and
// hashes) and writes the "try again" page.
func (h *handler) storeFailure(ctx context.Context, w http.ResponseWriter, tenant string, err error) outcome {
	h.logStoreError(ctx, tenant, err)
	return fail(w, tenant, failUnavailable)
}

func (h *handler) logStoreError(ctx context.Context, tenant string, err error) {
	h.log.LogAttrs(ctx, slog.LevelError, "relay store", slog.String("tenant", tenant), slog.String("error", err.Error()))
}
