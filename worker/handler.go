package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/caplab/caplab/lambda/httpapi"
	"github.com/caplab/caplab/lambda/relay"
	"github.com/caplab/caplab/lambda/store"
)

// NewHandler is the Worker's handler: the same httpapi server and relay as
// `caplab serve` and the Lambda functions (no handler logic of its own),
// one httpapi server per configured base URL so every URL it writes is the
// one the client used, the relay under /relay/, and site for the
// playground's page where the static assets did not answer first (/ and
// /s/{id}). A request for a host the configuration does not name gets 421.
func NewHandler(cfg Config, st store.Store, rst relay.Store, site http.Handler, logger *slog.Logger) http.Handler {
	w := &worker{cfg: cfg, servers: map[string]http.Handler{}}
	for _, base := range cfg.BaseURLs {
		api := httpapi.NewServer(httpapi.Config{
			BaseURL:             base,
			OrgDomain:           cfg.OrgDomain,
			SigningKey:          cfg.SigningKey,
			PreviousSigningKeys: cfg.PreviousSigningKeys,
			CookieKey:           cfg.CookieKey,
			Logger:              logger,
			Site:                site,
		}, st)
		mux := http.NewServeMux()
		mux.Handle("/relay/", w.relay(cfg, base, rst, logger))
		mux.Handle("/", api)
		w.servers[base] = mux
		if w.orgs == nil {
			w.orgs = api // live orgs under OrgDomain: the canonical base's server routes them by Host
		}
	}
	return httpapi.LogRequests(logger, w)
}

type worker struct {
	cfg     Config
	servers map[string]http.Handler // by base URL
	orgs    http.Handler
}

// relay is the relay of one base URL; its callback is always the canonical
// (first) base URL's, the one registered on Connected Apps.
func (w *worker) relay(cfg Config, base string, rst relay.Store, logger *slog.Logger) http.Handler {
	callback := cfg.BaseURLs[0] + relay.PathCallback
	return relay.New(relay.Config{AdminKey: cfg.RelayAdminKey, CallbackURL: callback, FlowTTL: cfg.RelayFlowTTL, Logger: logger}, rst)
}

func (w *worker) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	origin := requestOrigin(r)
	if h, ok := w.servers[origin]; ok {
		h.ServeHTTP(rw, r)
		return
	}
	if w.isOrgHost(origin) {
		w.orgs.ServeHTTP(rw, r)
		return
	}
	misdirected(rw, origin, w.cfg.BaseURLs)
}

// isOrgHost says whether origin is a live org's {id}.{OrgDomain} with the
// canonical base URL's scheme.
func (w *worker) isOrgHost(origin string) bool {
	if w.cfg.OrgDomain == "" {
		return false
	}
	scheme, host, _ := strings.Cut(origin, "://")
	canonical, _, _ := strings.Cut(w.cfg.BaseURLs[0], "://")
	if h, _, ok := strings.Cut(host, ":"); ok {
		host = h
	}
	id, ok := strings.CutSuffix(host, "."+w.cfg.OrgDomain)
	return ok && scheme == canonical && id != "" && !strings.Contains(id, ".")
}

// requestOrigin is scheme://host of the request as the client sent it:
// on Cloudflare the request URL is absolute; elsewhere (tests) the scheme
// comes from the connection.
func requestOrigin(r *http.Request) string {
	scheme := r.URL.Scheme
	if scheme == "" {
		scheme = "http"
		if r.TLS != nil {
			scheme = "https"
		}
	}
	return scheme + "://" + strings.ToLower(r.Host)
}

// misdirected answers a request for a host this Worker is not configured
// for (RFC 9110 §15.5.20), naming what it does answer.
func misdirected(w http.ResponseWriter, origin string, bases []string) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusMisdirectedRequest)
	b, _ := json.Marshal(map[string]string{"error": "unknown_host",
		"error_description": origin + " is not a base URL of this Worker (" + EnvBaseURLs + ": " + strings.Join(slices.Clone(bases), " ") + ")"})
	w.Write(append(b, '\n'))
}

// misconfigured answers every request while the configuration is broken;
// the reason is in the Worker's log, not in the answer.
func misconfigured(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusServiceUnavailable)
	w.Write([]byte(`{"error":"temporarily_unavailable","error_description":"the Worker's configuration is incomplete; its log says what is missing"}` + "\n"))
}

// pruneTimeout bounds the daily prune (one D1 batch).
const pruneTimeout = 25 * time.Second

// prune runs the store's retention once (the Worker's cron trigger).
func prune(ctx context.Context, st store.Store, now time.Time) (int, error) {
	p, ok := st.(store.Pruner)
	if !ok {
		return 0, nil
	}
	ctx, cancel := context.WithTimeout(ctx, pruneTimeout)
	defer cancel()
	return p.Prune(ctx, now, store.DefaultRetention)
}
