package httpapi

import (
	"context"
	"net/http"
	"strings"
	"sync"

	"github.com/caplab/caplab/lambda/store"
	"github.com/caplab/caplab/policy"
)

// Login History: the live org records every login and token attempt that
// names a user of the scenario (an unknown username leaves no row, as on
// Salesforce, whose rows need a user): the login page's as "Application"
// logins, OAuth decisions as "Remote Access 2.0" with the app's name. The
// status is the engine's answer mapped by policy.LoginHistoryStatus, so the
// playground and the live org agree. A granted request's row is written
// in the same transaction as its tokens (grantedLogin); a refused one's on
// its own, as the answer goes out. A store error while recording a refusal
// is logged, never turned into a failed login.

// loginAudit is what one request tells Login History: the engine's last
// answer (evaluate reports it) and whom it was about.
type loginAudit struct {
	mu        sync.Mutex
	loginType string
	o         *liveOrg
	res       *policy.EventResult
	user      string
	app       string
	status    string // set outside the engine (a lockout)
	recorded  bool   // the row went out with the request's own write
}

type auditKey struct{}

func auditOf(ctx context.Context) *loginAudit {
	a, _ := ctx.Value(auditKey{}).(*loginAudit)
	return a
}

// observe keeps the engine's answer to the request's steps (the last one
// is the request itself; the user may be named by an earlier one, as the
// grant's origin names the user of a refresh).
func (a *loginAudit) observe(o *liveOrg, steps []step, res policy.EventResult) {
	if a == nil || len(steps) == 0 {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	cur := steps[len(steps)-1].ev
	user := ""
	for i := len(steps) - 1; i >= 0 && user == ""; i-- {
		user = steps[i].ev.User
	}
	app := o.sc.AppByConsumerKey(cur.ClientID)
	if user == "" && cur.Grant == "client_credentials" && app != nil {
		user = app.OAuth.ClientCredentials.RunAs
	}
	a.o, a.res, a.user, a.app = o, &res, user, ""
	if app != nil {
		a.app = app.Name
	}
}

// lockedOut records that the request was refused for a lockout.
func (a *loginAudit) lockedOut(o *liveOrg, user, clientID string) {
	if a == nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.o, a.user, a.status = o, user, policy.LoginStatusLockout
	if app := o.sc.AppByConsumerKey(clientID); app != nil {
		a.app = app.Name
	}
}

// audited records the Login History of each request of h (the token
// endpoint, SOAP login()) as its answer goes out: the engine's status
// when it refused, Success when it granted and the client got a 200.
func (s *Server) audited(loginType string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a := &loginAudit{loginType: loginType}
		r = r.WithContext(context.WithValue(r.Context(), auditKey{}, a))
		h(&auditWriter{ResponseWriter: w, header: func(status int) { s.recordAudit(r, a, status, loginType) }}, r)
	}
}

func (s *Server) recordAudit(r *http.Request, a *loginAudit, httpStatus int, loginType string) {
	a.mu.Lock()
	o, user, app, status := a.o, a.user, a.app, a.status
	if a.recorded {
		o = nil
	}
	if status == "" && a.res != nil {
		switch {
		case a.res.Outcome != policy.Granted:
			status = policy.LoginHistoryStatus(*a.res)
		case httpStatus == http.StatusOK:
			status = policy.LoginStatusSuccess
		}
	}
	a.mu.Unlock()
	if status != "" && o != nil {
		s.recordLogin(r, o, user, loginType, app, status)
	}
}

// recordLogin adds a row to the live org's Login History for a user of
// the scenario.
func (s *Server) recordLogin(r *http.Request, o *liveOrg, username, loginType, app, status string) {
	s.recordLoginEvent(r, o, store.LoginEvent{User: username, LoginType: loginType, App: app, Status: status})
}

// recordLoginEvent is recordLogin for a row with more to say (SOAP
// login()'s ApiType and ApiVersion), written on its own.
func (s *Server) recordLoginEvent(r *http.Request, o *liveOrg, e store.LoginEvent) {
	rows := s.loginRow(r, o, e)
	if len(rows) == 0 {
		return
	}
	w := store.Write{OrgID: o.id, Now: rows[0].At, Logins: rows, Behind: true} // no answer waits on a row
	if err := s.st.Commit(context.WithoutCancel(r.Context()), w); err != nil {
		s.cfg.Logger.Warn("login history not recorded", "org", o.id, "err", err)
	}
}

// loginRow is the row of e (none for a name that is no user of the
// scenario): the request's details (time, source address, browser,
// platform, login URL, method) are filled in here.
func (s *Server) loginRow(r *http.Request, o *liveOrg, e store.LoginEvent) []store.LoginEvent {
	org, u := o.sc.FindUser(e.User)
	if u == nil {
		return nil
	}
	e.OrgID, e.ID, e.At, e.Org = o.id, randomToken("")[:22], s.cfg.Now(), org.Name
	e.Browser, e.Platform = userAgent(r.UserAgent())
	e.SourceIP, e.LoginURL, e.Method = clientIP(r), r.Host, r.Method
	return []store.LoginEvent{e}
}

// grantedLogin is the Success row of a request the engine granted, for the
// write that issues its tokens (none outside the audited endpoints, or for
// no user of the scenario); the request then records nothing more.
func (s *Server) grantedLogin(r *http.Request) []store.LoginEvent {
	a := auditOf(r.Context())
	if a == nil {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.o == nil || a.res == nil || a.res.Outcome != policy.Granted || a.status != "" {
		return nil
	}
	a.recorded = true
	return s.loginRow(r, a.o, store.LoginEvent{User: a.user, LoginType: a.loginType, App: a.app, Status: policy.LoginStatusSuccess})
}

// auditAuthorize records an authorization decision: a refusal, or a grant
// delivered at once (user-agent flow); a code is recorded when redeemed.
func (s *Server) auditAuthorize(r *http.Request, o *liveOrg, user, clientID string, res policy.EventResult) {
	if res.Outcome == policy.Granted && res.Delivery != policy.DeliverRedirectFragment {
		return
	}
	app := ""
	if a := o.sc.AppByConsumerKey(clientID); a != nil {
		app = a.Name
	}
	s.recordLogin(r, o, user, policy.LoginTypeOAuth, app, policy.LoginHistoryStatus(res))
}

// auditWriter calls header once, just before the response's status goes
// out, so the row is stored before the client sees the answer.
type auditWriter struct {
	http.ResponseWriter
	header func(status int)
	done   bool
}

func (w *auditWriter) WriteHeader(code int) {
	if !w.done {
		w.done = true
		w.header(code)
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *auditWriter) Write(b []byte) (int, error) {
	if !w.done {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

func (w *auditWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// browserTokens are the User-Agent products Login History names, most
// specific first (Edge and Opera also say Chrome; Chrome also says Safari).
var browserTokens = []struct{ token, name string }{
	{"Edg/", "Edge"}, {"OPR/", "Opera"}, {"Firefox/", "Firefox"}, {"Chrome/", "Chrome"}, {"Version/", "Safari"},
}

// platformTokens are the User-Agent platforms Login History names.
var platformTokens = []struct{ token, name string }{
	{"Windows", "Windows"}, {"iPhone", "iOS"}, {"iPad", "iOS"}, {"Android", "Android"}, {"Mac OS X", "Mac OSX"}, {"Linux", "Linux"},
}

// userAgent is Login History's Browser ("Chrome 120") and Platform for a
// User-Agent: "Unknown" for API clients.
func userAgent(ua string) (browser, platform string) {
	browser, platform = "Unknown", "Unknown"
	for _, b := range browserTokens {
		if _, after, ok := strings.Cut(ua, b.token); ok {
			major := after[:len(after)-len(strings.TrimLeft(after, "0123456789"))]
			browser = strings.TrimSpace(b.name + " " + major)
			break
		}
	}
	for _, p := range platformTokens {
		if strings.Contains(ua, p.token) {
			platform = p.name
			break
		}
	}
	return browser, platform
}
