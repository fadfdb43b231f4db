package httpapi

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/caplab/caplab/policy"
)

// Cookies of the authorization pages: a short-lived flow cookie binding a
// form's CSRF token to the request it was shown for, and a login session so
// a user who logged in once is not asked again. Each is HMAC-signed JSON
// whose MAC also covers the cookie's purpose, so one kind of cookie can
// never be replayed as another (a session cookie is not a flow cookie);
// nothing is kept server-side.
//
// A live org's cookies are scoped to it twice: by path (its /o/{id} alias,
// or "/" at its own origin) and by name (the org id is in the name), since
// browsers share cookies between ports of one host, and loopback live orgs
// are one host with many ports.
const (
	flowCookie    = "caplab_flow"
	sessionCookie = "caplab_session"
	flowTTL       = 10 * time.Minute
	sessionTTL    = 2 * time.Hour
)

// Cookie purposes, signed with the value.
const (
	purposeSession = "session"
	purposeFlow    = "flow:" // + the form's cookie name
)

// flowState is the flow cookie: the request's raw query, the form's CSRF
// token, the live org and an expiry.
type flowState struct {
	Scenario string `json:"s"`
	Query    string `json:"q"`
	CSRF     string `json:"c"`
	Exp      int64  `json:"e"`
}

// loginSession is the session cookie.
type loginSession struct {
	Scenario string `json:"s"`
	User     string `json:"u"`
	Exp      int64  `json:"e"`
}

func (s *Server) mac(purpose, enc string) []byte {
	m := hmac.New(sha256.New, s.cfg.CookieKey)
	m.Write([]byte(purpose))
	m.Write([]byte{0})
	m.Write([]byte(enc))
	return m.Sum(nil)
}

func (s *Server) sign(purpose string, v any) string {
	body, _ := json.Marshal(v)
	enc := base64.RawURLEncoding.EncodeToString(body)
	return enc + "." + base64.RawURLEncoding.EncodeToString(s.mac(purpose, enc))
}

func (s *Server) verify(purpose, value string, v any) bool {
	enc, sig, ok := strings.Cut(value, ".")
	if !ok {
		return false
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, s.mac(purpose, enc)) {
		return false
	}
	body, err := base64.RawURLEncoding.DecodeString(enc)
	return err == nil && json.Unmarshal(body, v) == nil
}

func (s *Server) secureCookies(o *liveOrg) bool { return strings.HasPrefix(o.base, "https://") }

// cookieName is a cookie's name for one live org.
func cookieName(base string, o *liveOrg) string {
	short := o.id
	if len(short) > 12 {
		short = short[:12]
	}
	return base + "_" + short
}

func (s *Server) setCookie(w http.ResponseWriter, o *liveOrg, name, value string, ttl time.Duration) {
	http.SetCookie(w, &http.Cookie{Name: cookieName(name, o), Value: value, Path: o.path("/"), MaxAge: int(ttl.Seconds()),
		HttpOnly: true, Secure: s.secureCookies(o), SameSite: http.SameSiteLaxMode})
}

func (s *Server) cookie(r *http.Request, o *liveOrg, name string) string {
	c, err := r.Cookie(cookieName(name, o))
	if err != nil {
		return ""
	}
	return c.Value
}

// Endpoints of a live org, relative to its root.
const (
	authorizeEndpoint = "/services/oauth2/authorize"
	connectEndpoint   = "/setup/connect"
)

// form is an HTML form's signed flow: the authorize endpoint's login and
// approval forms, or the device verification page's.
type form struct {
	cookie   string
	endpoint string
}

var (
	authorizeForm = form{flowCookie, authorizeEndpoint}
	connectForm   = form{deviceFlowCookie, connectEndpoint}
)

// newFlow starts a form flow: a signed cookie carrying the request's query
// and a CSRF token the form echoes.
func (s *Server) newFlow(w http.ResponseWriter, fm form, o *liveOrg, query string) string {
	csrf := base64.RawURLEncoding.EncodeToString(randomBytes(24))
	f := flowState{Scenario: o.id, Query: query, CSRF: csrf, Exp: s.cfg.Now().Add(flowTTL).Unix()}
	s.setCookie(w, o, fm.cookie, s.sign(purposeFlow+fm.cookie, f), flowTTL)
	return csrf
}

// readFlow verifies a form's flow cookie (signature, purpose, live org,
// expiry) without the CSRF check.
func (s *Server) readFlow(r *http.Request, fm form, o *liveOrg) (flowState, bool) {
	var f flowState
	v := s.cookie(r, o, fm.cookie)
	if v == "" || !s.verify(purposeFlow+fm.cookie, v, &f) || f.Scenario != o.id || s.cfg.Now().Unix() >= f.Exp || f.CSRF == "" {
		return flowState{}, false
	}
	return f, true
}

// checkFlow verifies the flow cookie and the form's CSRF token.
func (s *Server) checkFlow(r *http.Request, fm form, o *liveOrg) (flowState, bool) {
	f, ok := s.readFlow(r, fm, o)
	if !ok {
		return f, false
	}
	return f, equalSecret(r.PostForm.Get("csrf"), f.CSRF)
}

// postedFlow parses a posted form (bounded) and checks its flow; on failure
// it has answered with an error page.
func (s *Server) postedFlow(w http.ResponseWriter, r *http.Request, fm form, o *liveOrg, restart string) (flowState, bool) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	if err := r.ParseForm(); err != nil {
		errorPage(w, http.StatusBadRequest, policy.LiveErrInvalidRequest, "malformed form", "")
		return flowState{}, false
	}
	f, ok := s.checkFlow(r, fm, o)
	if !ok {
		errorPage(w, http.StatusForbidden, policy.LiveErrInvalidRequest, "the form expired or its CSRF token does not match; "+restart, "")
	}
	return f, ok
}

// postedDecision reads the approval form: the logged-in user and
// decision=allow|deny; on failure it has answered with an error page.
func (s *Server) postedDecision(w http.ResponseWriter, r *http.Request, o *liveOrg) (user, decision string, ok bool) {
	user, decision = s.session(r, o), r.PostForm.Get("decision")
	if user == "" || (decision != "allow" && decision != "deny") {
		errorPage(w, http.StatusBadRequest, policy.LiveErrInvalidRequest, "log in and choose allow or deny", "")
		return "", "", false
	}
	return user, decision, true
}

func (s *Server) setSession(w http.ResponseWriter, o *liveOrg, user string) {
	v := loginSession{Scenario: o.id, User: user, Exp: s.cfg.Now().Add(sessionTTL).Unix()}
	s.setCookie(w, o, sessionCookie, s.sign(purposeSession, v), sessionTTL)
}

// session is the logged-in username for this live org, or "".
func (s *Server) session(r *http.Request, o *liveOrg) string {
	var v loginSession
	c := s.cookie(r, o, sessionCookie)
	if c == "" || !s.verify(purposeSession, c, &v) || v.Scenario != o.id || s.cfg.Now().Unix() >= v.Exp || v.User == "" {
		return ""
	}
	return v.User
}
