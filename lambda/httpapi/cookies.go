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
// form's CSRF token to the authorization request it was shown for, and a
// login session so a user who logged in once is not asked again. Both are
// HMAC-signed JSON; nothing is kept server-side.
const (
	flowCookie    = "caplab_flow"
	sessionCookie = "caplab_session"
	flowTTL       = 10 * time.Minute
	sessionTTL    = 2 * time.Hour
)

// flowState is the flow cookie: the authorization request's raw query, the
// form's CSRF token, the scenario and an expiry.
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

func (s *Server) sign(v any) string {
	body, _ := json.Marshal(v)
	enc := base64.RawURLEncoding.EncodeToString(body)
	m := hmac.New(sha256.New, s.cfg.CookieKey)
	m.Write([]byte(enc))
	return enc + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (s *Server) verify(value string, v any) bool {
	enc, sig, ok := strings.Cut(value, ".")
	if !ok {
		return false
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil {
		return false
	}
	m := hmac.New(sha256.New, s.cfg.CookieKey)
	m.Write([]byte(enc))
	if !hmac.Equal(got, m.Sum(nil)) {
		return false
	}
	body, err := base64.RawURLEncoding.DecodeString(enc)
	return err == nil && json.Unmarshal(body, v) == nil
}

func (s *Server) secureCookies() bool { return strings.HasPrefix(s.cfg.BaseURL, "https://") }

func (s *Server) setCookie(w http.ResponseWriter, name, path, value string, ttl time.Duration) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: path, MaxAge: int(ttl.Seconds()),
		HttpOnly: true, Secure: s.secureCookies(), SameSite: http.SameSiteLaxMode})
}

func authorizePath(id string) string { return "/o/" + id + "/services/oauth2/authorize" }

// form is where an HTML form's signed flow cookie lives: the authorize
// endpoint's login and approval forms, or the device verification page's.
type form struct {
	cookie string
	path   func(id string) string
}

var (
	authorizeForm = form{flowCookie, authorizePath}
	connectForm   = form{deviceFlowCookie, connectPath}
)

// newFlow starts a form flow: a signed cookie carrying the request's query
// and a CSRF token the form echoes.
func (s *Server) newFlow(w http.ResponseWriter, fm form, id, query string) string {
	csrf := base64.RawURLEncoding.EncodeToString(randomBytes(24))
	f := flowState{Scenario: id, Query: query, CSRF: csrf, Exp: s.cfg.Now().Add(flowTTL).Unix()}
	s.setCookie(w, fm.cookie, fm.path(id), s.sign(f), flowTTL)
	return csrf
}

// checkFlow verifies the flow cookie and the form's CSRF token.
func (s *Server) checkFlow(r *http.Request, fm form, id string) (flowState, bool) {
	var f flowState
	c, err := r.Cookie(fm.cookie)
	if err != nil || !s.verify(c.Value, &f) || f.Scenario != id || s.cfg.Now().Unix() >= f.Exp {
		return f, false
	}
	return f, equalSecret(r.PostForm.Get("csrf"), f.CSRF)
}

// postedFlow parses a posted form (bounded) and checks its flow; on failure
// it has answered with an error page.
func (s *Server) postedFlow(w http.ResponseWriter, r *http.Request, fm form, id, restart string) (flowState, bool) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	if err := r.ParseForm(); err != nil {
		errorPage(w, http.StatusBadRequest, policy.LiveErrInvalidRequest, "malformed form", "")
		return flowState{}, false
	}
	f, ok := s.checkFlow(r, fm, id)
	if !ok {
		errorPage(w, http.StatusForbidden, policy.LiveErrInvalidRequest, "the form expired or its CSRF token does not match; "+restart, "")
	}
	return f, ok
}

// postedDecision reads the approval form: the logged-in user and
// decision=allow|deny; on failure it has answered with an error page.
func (s *Server) postedDecision(w http.ResponseWriter, r *http.Request, id string) (user, decision string, ok bool) {
	user, decision = s.session(r, id), r.PostForm.Get("decision")
	if user == "" || (decision != "allow" && decision != "deny") {
		errorPage(w, http.StatusBadRequest, policy.LiveErrInvalidRequest, "log in and choose allow or deny", "")
		return "", "", false
	}
	return user, decision, true
}

func (s *Server) setSession(w http.ResponseWriter, id, user string) {
	v := loginSession{Scenario: id, User: user, Exp: s.cfg.Now().Add(sessionTTL).Unix()}
	s.setCookie(w, sessionCookie, "/o/"+id+"/", s.sign(v), sessionTTL)
}

// session is the logged-in username for this scenario, or "".
func (s *Server) session(r *http.Request, id string) string {
	var v loginSession
	c, err := r.Cookie(sessionCookie)
	if err != nil || !s.verify(c.Value, &v) || v.Scenario != id || s.cfg.Now().Unix() >= v.Exp {
		return ""
	}
	return v.User
}
