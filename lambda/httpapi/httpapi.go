// Package httpapi is caplab's HTTP API, shared by `caplab serve` and the
// AWS Lambda functions: share links and evaluation under /api, and the live
// org of each shared scenario under its issuer /o/{id}: real OAuth
// endpoints whose every decision comes from the policy engine.
package httpapi

import (
	"crypto/rsa"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/caplab/caplab/lambda/store"
	"github.com/caplab/caplab/policy"
)

// Config configures the handler.
type Config struct {
	// BaseURL is the public base URL (scheme://host[:port], no trailing
	// slash); issuers are BaseURL + "/o/{id}".
	BaseURL string
	// SigningKey signs id tokens and is published at /id/keys. Required.
	SigningKey *rsa.PrivateKey
	// CookieKey authenticates the login and consent flow cookies (32 random
	// bytes; generated when empty, which ends flows in progress on restart).
	CookieKey []byte
	// IDSalt salts share ids (default "caplab-share-v1").
	IDSalt string
	// Now is the wall clock (default time.Now).
	Now func() time.Time
	// Logger receives internal errors (default slog.Default()).
	Logger *slog.Logger
	// Site, when set, serves "/" and "/s/{id}" (both the playground's
	// index.html) and the playground's static files.
	Site http.Handler
}

// Limits.
const (
	maxBodyBytes = 64 << 10 // scenario API and OAuth form bodies
)

// Server holds the handler's state.
type Server struct {
	cfg   Config
	st    store.Store
	keyID string
	mux   *http.ServeMux

	mu    sync.Mutex
	cache map[string]*liveOrg // decoded shared scenarios, by id
}

// New returns the HTTP handler with every route.
func New(cfg Config, st store.Store) http.Handler {
	return NewServer(cfg, st)
}

// NewServer is New returning the concrete server.
func NewServer(cfg Config, st store.Store) *Server {
	cfg.BaseURL = strings.TrimSuffix(cfg.BaseURL, "/")
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.IDSalt == "" {
		cfg.IDSalt = "caplab-share-v1"
	}
	if len(cfg.CookieKey) == 0 {
		cfg.CookieKey = randomBytes(32)
	}
	if cfg.SigningKey == nil {
		panic("httpapi: Config.SigningKey is required")
	}
	s := &Server{cfg: cfg, st: st, keyID: keyID(&cfg.SigningKey.PublicKey), mux: http.NewServeMux(), cache: map[string]*liveOrg{}}
	s.routes()
	return s
}

func (s *Server) routes() {
	m := s.mux
	m.HandleFunc("POST /api/scenarios", s.handleShare)
	m.HandleFunc("GET /api/scenarios/{id}", s.handleGetScenario)
	m.HandleFunc("POST /api/evaluate", s.handleEvaluate)

	const o = "/o/{id}"
	m.HandleFunc("GET "+o+"/services/oauth2/authorize", s.handleAuthorize)
	m.HandleFunc("POST "+o+"/services/oauth2/authorize", s.handleAuthorizePost)
	m.HandleFunc("POST "+o+"/services/oauth2/token", s.handleToken)
	m.HandleFunc("GET "+o+"/setup/connect", s.handleConnect)
	m.HandleFunc("POST "+o+"/setup/connect", s.handleConnectPost)
	m.HandleFunc("POST "+o+"/services/oauth2/revoke", s.handleRevoke)
	m.HandleFunc("POST "+o+"/services/oauth2/introspect", s.handleIntrospect)
	m.HandleFunc("GET "+o+"/services/oauth2/userinfo", s.handleUserinfo)
	m.HandleFunc("POST "+o+"/services/oauth2/userinfo", s.handleUserinfo)
	m.HandleFunc("GET "+o+"/.well-known/openid-configuration", s.handleDiscovery)
	m.HandleFunc("GET /.well-known/oauth-authorization-server/o/{id}", s.handleDiscovery)
	m.HandleFunc("GET "+o+"/id/keys", s.handleKeys)
	m.HandleFunc("GET "+o+"/id/{orgId}/{userId}", s.handleIdentity)
	m.HandleFunc("POST "+o+"/id/{orgId}/{userId}", s.handleIdentity)
	m.HandleFunc("GET "+o+"/services/data/{rest...}", s.handleData)
	m.HandleFunc(o+"/services/oauth2/{rest...}", s.handleOAuthFallback)

	if s.cfg.Site != nil {
		m.HandleFunc("GET /s/{id}", s.serveIndex)
		m.HandleFunc("/", s.serveSite)
	}
}

// serveSite serves the playground's static files (GET and HEAD only).
func (s *Server) serveSite(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeJSON(w, http.StatusMethodNotAllowed, apiError{Error: "method_not_allowed", Message: r.Method + " is not allowed here"})
		return
	}
	s.cfg.Site.ServeHTTP(w, r)
}

// serveIndex serves the playground page for a shared scenario.
func (s *Server) serveIndex(w http.ResponseWriter, r *http.Request) {
	r2 := r.Clone(r.Context())
	r2.URL.Path = "/"
	s.cfg.Site.ServeHTTP(w, r2)
}

// ServeHTTP serves a request, turning a panic into a 500 JSON error.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.cfg.Logger.Error("panic", "method", r.Method, "path", r.URL.Path, "panic", v)
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "server_error", "error_description": "internal error"})
		}
	}()
	s.mux.ServeHTTP(w, r)
}

// issuer is the live org's issuer URL.
func (s *Server) issuer(id string) string { return s.cfg.BaseURL + "/o/" + id }

// handleOAuthFallback answers unknown OAuth paths and wrong methods.
func (s *Server) handleOAuthFallback(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	allow := map[string]string{"authorize": "GET, POST", "token": "POST", "revoke": "POST", "introspect": "POST", "userinfo": "GET, POST"}
	if a, ok := allow[r.PathValue("rest")]; ok {
		w.Header().Set("Allow", a)
		writeJSON(w, http.StatusMethodNotAllowed, oauthError{policy.LiveErrInvalidRequest, "use " + a})
		return
	}
	writeJSON(w, http.StatusNotFound, map[string]string{"error": "not_found", "error_description": "no such endpoint: " + r.Method + " " + r.URL.Path})
}
