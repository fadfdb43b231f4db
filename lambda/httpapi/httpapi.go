// Package httpapi is caplab's HTTP API, shared by `caplab serve` and the
// AWS Lambda functions: share links and evaluation under /api, and the live
// org of each shared scenario: real OAuth, identity, REST and SOAP
// endpoints whose every decision comes from the policy engine.
//
// A live org is served at the root of its own origin, as a Salesforce org
// is (instance_url and issuer have no path): by host name when OrgDomain is
// set ({org id}.{OrgDomain}), or by a listener of its own (OrgHandler,
// which `caplab serve` opens on a loopback port per live org). On the main
// server, /o/{org id} is an alias serving the same org under a path.
package httpapi

import (
	"context"
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
	// BaseURL is the public base URL of the main server (scheme://host[:port],
	// no trailing slash): the playground, the API and the /o/{id} aliases.
	BaseURL string
	// OrgDomain, when set, serves each live org at https://{org id}.{OrgDomain}
	// (a wildcard DNS name and certificate point at this server).
	OrgDomain string
	// AssignOrigin, when set, gives a new live org its own origin (for
	// `caplab serve`: a loopback listener). It runs once, at share time;
	// the origin is stored with the share. Without it (and without
	// OrgDomain) a live org's issuer is its /o/{id} alias.
	AssignOrigin func(ctx context.Context, orgID string) (origin string, err error)
	// SigningKey signs id tokens and is published at /id/keys. Required.
	SigningKey *rsa.PrivateKey
	// PreviousSigningKeys are public keys of earlier signing keys, still
	// published at /id/keys after a rotation so id tokens signed before it
	// verify until they expire.
	PreviousSigningKeys []*rsa.PublicKey
	// CookieKey authenticates the login and consent flow cookies (32 random
	// bytes; generated when empty, which ends flows in progress on restart)
	// and, through a key derived from it, the self-contained access tokens
	// and session IDs (tokens.go).
	CookieKey []byte
	// PreviousCookieKeys are earlier cookie keys: access tokens signed
	// under them are still accepted until they expire after a rotation.
	PreviousCookieKeys [][]byte
	// Retention is how long shares and grants are kept (default
	// store.DefaultRetention); the store deletes what is older.
	Retention store.Retention
	// MaxGrantsPerOrg caps the grants of each new live org (default
	// store.MaxGrantsPerOrg).
	MaxGrantsPerOrg int
	// Now is the wall clock (default time.Now).
	Now func() time.Time
	// Logger receives internal errors (default slog.Default()).
	Logger *slog.Logger
	// NoRateLimits turns the per-IP rate limits off (benchmarks, and tests
	// that drive many flows from 127.0.0.1). Never set it on a public server.
	NoRateLimits bool
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
	cfg    Config
	st     store.Store
	keyID  string
	mux    *http.ServeMux // the main server: API, site, /o/{id} aliases
	orgMux *http.ServeMux // one live org at its root

	mu    sync.Mutex
	cache map[string]*liveOrg // decoded live orgs, by live org id

	tokenKeys [][]byte       // access-token MAC keys, the current one first (tokens.go)
	verified  verifiedTokens // claims of access tokens verified lately (tokens.go)

	limits rateLimits
}

// rateLimits are the per-client-IP limits on the public endpoints whose
// work or guessing an anonymous caller could otherwise repeat at will.
type rateLimits struct {
	share    *limiter // POST /api/scenarios
	evaluate *limiter // POST /api/evaluate
	login    *limiter // login form posts
	userCode *limiter // device user-code entries (RFC 8628 §5.1)
}

// Per-IP rates: generous for a person, tight for a script.
const (
	sharePerMinute, shareBurst       = 10, 20
	evaluatePerMinute, evaluateBurst = 60, 30
	loginPerMinute, loginBurst       = 10, 10
	userCodePerMinute, userCodeBurst = 5, 5
)

func newRateLimits() rateLimits {
	return rateLimits{
		share:    newLimiter(sharePerMinute, shareBurst),
		evaluate: newLimiter(evaluatePerMinute, evaluateBurst),
		login:    newLimiter(loginPerMinute, loginBurst),
		userCode: newLimiter(userCodePerMinute, userCodeBurst),
	}
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
	if cfg.Retention == (store.Retention{}) {
		cfg.Retention = store.DefaultRetention
	}
	cfg.OrgDomain = strings.ToLower(strings.Trim(cfg.OrgDomain, "."))
	if len(cfg.CookieKey) == 0 {
		cfg.CookieKey = randomBytes(32)
	}
	if cfg.SigningKey == nil {
		panic("httpapi: Config.SigningKey is required")
	}
	s := &Server{cfg: cfg, st: st, keyID: keyID(&cfg.SigningKey.PublicKey), mux: http.NewServeMux(), orgMux: http.NewServeMux(), cache: map[string]*liveOrg{},
		tokenKeys: tokenKeys(append([][]byte{cfg.CookieKey}, cfg.PreviousCookieKeys...)...)}
	if !cfg.NoRateLimits {
		s.limits = newRateLimits()
	}
	s.routes()
	return s
}

func (s *Server) routes() {
	m := s.mux
	m.HandleFunc("POST /api/scenarios", s.limited(func() *limiter { return s.limits.share }, "shares", s.handleShare))
	m.HandleFunc("GET /api/scenarios/{id}", s.handleGetScenario)
	m.HandleFunc("POST /api/evaluate", s.limited(func() *limiter { return s.limits.evaluate }, "evaluations", s.handleEvaluate))
	m.HandleFunc("/o/{id}/", s.serveAlias)
	m.HandleFunc("GET /.well-known/oauth-authorization-server/o/{id}", func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		s.live(s.handleDiscovery)(w, withRoute(r, s.aliasRoute(id)))
	})
	if s.cfg.Site != nil {
		m.HandleFunc("GET /s/{id}", s.serveIndex)
		m.HandleFunc("/", s.serveSite)
	}

	o := s.orgMux
	o.HandleFunc("GET /{$}", s.live(s.handleOrgRoot))
	o.HandleFunc("GET /services/oauth2/authorize", s.live(s.handleAuthorize))
	o.HandleFunc("POST /services/oauth2/authorize", s.live(s.handleAuthorizePost))
	o.HandleFunc("POST /services/oauth2/token", s.audited(policy.LoginTypeOAuth, s.live(s.handleToken))) // audit.go: Login History
	o.HandleFunc("GET /setup/connect", s.live(s.handleConnect))
	o.HandleFunc("POST /setup/connect", s.live(s.handleConnectPost))
	o.HandleFunc("POST /services/oauth2/revoke", s.live(s.handleRevoke))
	o.HandleFunc("GET /services/oauth2/revoke", s.live(s.handleRevoke))
	o.HandleFunc("POST /services/oauth2/introspect", s.live(s.handleIntrospect))
	o.HandleFunc("GET /services/oauth2/userinfo", s.live(s.handleUserinfo))
	o.HandleFunc("POST /services/oauth2/userinfo", s.live(s.handleUserinfo))
	o.HandleFunc("GET /.well-known/openid-configuration", s.live(s.handleDiscovery))
	o.HandleFunc("GET /.well-known/oauth-authorization-server", s.live(s.handleDiscovery))
	o.HandleFunc("GET /id/keys", s.live(s.handleKeys))
	o.HandleFunc("GET /id/{orgId}/{userId}", s.live(s.handleIdentity))
	o.HandleFunc("POST /id/{orgId}/{userId}", s.live(s.handleIdentity))
	o.HandleFunc("/services/data", s.live(s.handleData)) // rest.go: the versions list and each version's resources
	o.HandleFunc("/services/data/{rest...}", s.live(s.handleData))
	o.HandleFunc("/services/oauth2/{rest...}", s.handleOAuthFallback)
	o.HandleFunc("/services/Soap/{api}/{version}", s.live(s.handleSoap)) // soap.go: login(), logout()
	o.HandleFunc("/services/Soap/{api}/{version}/{instance}", s.live(s.handleSoap))
	o.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		noStore(w)
		writeJSON(w, http.StatusNotFound, oauthError{"not_found", "no such endpoint: " + r.Method + " " + r.URL.Path})
	})
}

// limited applies a per-client-IP rate limit (nil: none) before h.
func (s *Server) limited(l func() *limiter, what string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if ok, retry := l().Allow(clientIP(r), s.cfg.Now()); !ok {
			tooManyRequests(w, retry, what)
			return
		}
		h(w, r)
	}
}

// aliasRoute is the route of /o/{id} on the main server.
func (s *Server) aliasRoute(id string) route {
	prefix := "/o/" + id
	return route{id: id, base: s.cfg.BaseURL + prefix, prefix: prefix}
}

// serveAlias serves /o/{id}/… as the live org's root.
func (s *Server) serveAlias(w http.ResponseWriter, r *http.Request) {
	rt := s.aliasRoute(r.PathValue("id"))
	r2 := withRoute(r, rt)
	u := *r.URL // WithContext shares the URL: copy it before changing the path
	u.Path, u.RawPath = strings.TrimPrefix(r.URL.Path, rt.prefix), ""
	r2.URL = &u
	s.orgMux.ServeHTTP(w, r2)
}

// OrgHandler serves one live org at the root of its own origin (a
// loopback listener of `caplab serve`, or `caplab org`); origin is its
// scheme://host[:port].
func (s *Server) OrgHandler(orgID, origin string) http.Handler {
	rt := route{id: orgID, base: strings.TrimSuffix(origin, "/")}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.serve(w, withRoute(collapseSlashes(r), rt), s.orgMux)
	})
}

// orgByHost is the live org a request's Host names under OrgDomain.
func (s *Server) orgByHost(r *http.Request) (route, bool) {
	if s.cfg.OrgDomain == "" {
		return route{}, false
	}
	host := strings.ToLower(r.Host)
	if h, _, ok := strings.Cut(host, ":"); ok && !strings.HasPrefix(host, "[") {
		host = h
	}
	id, ok := strings.CutSuffix(host, "."+s.cfg.OrgDomain)
	if !ok || !validOrgID(id) {
		return route{}, false
	}
	scheme := "https://"
	if strings.HasPrefix(s.cfg.BaseURL, "http://") {
		scheme = "http://"
	}
	return route{id: id, base: scheme + r.Host}, true
}

// originFor is a new live org's canonical origin: {id}.{OrgDomain}, the
// one AssignOrigin gives, else its alias on the main server.
func (s *Server) originFor(ctx context.Context, orgID string) (string, error) {
	switch {
	case s.cfg.OrgDomain != "":
		scheme := "https://"
		if strings.HasPrefix(s.cfg.BaseURL, "http://") {
			scheme = "http://"
		}
		return scheme + orgID + "." + s.cfg.OrgDomain, nil
	case s.cfg.AssignOrigin != nil:
		return s.cfg.AssignOrigin(ctx, orgID)
	}
	return "", nil
}

// issuerOf is the canonical issuer of a share's live org.
func (s *Server) issuerOf(rec store.Scenario) string {
	if rec.Origin != "" {
		return rec.Origin
	}
	return s.aliasRoute(rec.OrgID).base
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

// ServeHTTP serves a request: a live org's when its Host names one, else
// the main server's.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if rt, ok := s.orgByHost(r); ok {
		s.serve(w, withRoute(collapseSlashes(r), rt), s.orgMux)
		return
	}
	s.serve(w, r, s.mux)
}

// serve runs h, turning a panic into a 500 JSON error.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, h http.Handler) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.cfg.Logger.Error("panic", "method", r.Method, "path", r.URL.Path, "panic", v)
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "server_error", "error_description": "internal error"})
		}
	}()
	h.ServeHTTP(w, r)
}

// handleOAuthFallback answers unknown OAuth paths and wrong methods.
func (s *Server) handleOAuthFallback(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	allow := map[string]string{"authorize": "GET, POST", "token": "POST", "revoke": "GET, POST", "introspect": "POST", "userinfo": "GET, POST"}
	if a, ok := allow[r.PathValue("rest")]; ok {
		w.Header().Set("Allow", a)
		writeJSON(w, http.StatusMethodNotAllowed, oauthError{policy.LiveErrInvalidRequest, "use " + a})
		return
	}
	writeJSON(w, http.StatusNotFound, map[string]string{"error": "not_found", "error_description": "no such endpoint: " + r.Method + " " + r.URL.Path})
}
