package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/caplab/caplab/lambda/ratelimit"
	"github.com/caplab/caplab/lambda/store"
	"github.com/caplab/caplab/policy"
)

// The SOAP API's login() and logout() on the partner (u) and enterprise (c)
// endpoints, as integrations with stored credentials call them (jsforce's
// conn.login without OAuth settings, simple-salesforce, Data Loader). The
// engine's soapLogin event decides login(); its session ID works on the REST
// API, is no OAuth token (the revoke endpoint refuses it), and ends by
// logout(), by idling out, or with the user.

// soapAPI is one SOAP endpoint: its WSDL's namespace and its faults'.
type soapAPI struct{ ns, faultNS string }

var soapAPIs = map[string]soapAPI{
	"u": {"urn:partner.soap.sforce.com", "urn:fault.partner.soap.sforce.com"},
	"c": {"urn:enterprise.soap.sforce.com", "urn:fault.enterprise.soap.sforce.com"},
}

const (
	soapEnvNS = "http://schemas.xmlsoap.org/soap/envelope/"
	xsiNS     = "http://www.w3.org/2001/XMLSchema-instance"

	// maxAPIVersionBytes: versions are like "64.0", and the engine's
	// apiVersion field takes at most 16 characters; cutting a longer one
	// keeps it invalid, so the engine still refuses it.
	maxAPIVersionBytes = 16
)

// handleSoap is /services/Soap/{api}/{version}[/{instance}]: POST a SOAP 1.1
// envelope whose Body is login or logout.
func (s *Server) handleSoap(w http.ResponseWriter, r *http.Request, o *liveOrg) {
	noStore(w)
	api, ok := soapAPIs[r.PathValue("api")]
	if !ok || !s.soapInstance(o, r.PathValue("instance")) {
		writeSoapFault(w, soapAPIs["u"], clientFault("no SOAP service at "+o.path(r.URL.Path)+": this live org serves login() and logout() at /services/Soap/u/{version} (partner) and /services/Soap/c/{version} (enterprise)").at(http.StatusNotFound))
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeSoapFault(w, api, clientFault("the SOAP API takes POST requests; got "+r.Method).at(http.StatusMethodNotAllowed))
		return
	}
	version := r.PathValue("version")
	if len(version) > maxAPIVersionBytes {
		version = version[:maxAPIVersionBytes]
	}
	env, f := readEnvelope(w, r)
	if f != nil {
		writeSoapFault(w, api, *f)
		return
	}
	op := env.Body.Ops[0]
	switch {
	case op.XMLName.Space == api.ns && op.XMLName.Local == "login":
		s.soapLogin(w, r, o, api, version, op)
	case op.XMLName.Space == api.ns && op.XMLName.Local == "logout":
		s.soapLogout(w, r, o, api, env.sessionID(api))
	default:
		writeSoapFault(w, api, clientFault(fmt.Sprintf(policy.LiveSoapNoOperationFormat, op.XMLName.Space, op.XMLName.Local)))
	}
}

// soapInstance checks the optional last segment of a serverUrl: the 15- or
// 18-character id of one of the scenario's orgs.
func (s *Server) soapInstance(o *liveOrg, instance string) bool {
	if instance == "" {
		return true
	}
	for i := range o.sc.Orgs {
		if id := o.sc.Orgs[i].OrgID(); instance == id || len(id) >= 15 && instance == id[:15] {
			return true
		}
	}
	return false
}

// soapLogin is login(): the engine decides on the password states (the
// password field is the password followed by the security token, compared
// in constant time), the caller's address, the endpoint's version and
// whether the user is locked out; the attempt then counts towards the
// lockout as the engine read it (login.go).
func (s *Server) soapLogin(w http.ResponseWriter, r *http.Request, o *liveOrg, api soapAPI, version string, op soapOperation) {
	ctx := r.Context()
	now := s.cfg.Now()
	if allowed, retry := s.limits.login.Allow(clientIP(r), now); !allowed {
		w.Header().Set("Retry-After", ratelimit.RetryAfter(retry))
		writeSoapFault(w, api, clientFault("too many login() calls from this address; retry after "+ratelimit.RetryAfter(retry)+" s").at(http.StatusTooManyRequests))
		return
	}
	// The store is written only for a user of the scenario (80 characters
	// at most); any other name costs one engine run and no record.
	username := strings.TrimSpace(op.Username)
	org, u := o.sc.FindUser(username)
	pwState, tokState := passwordStates(u, op.Password)
	ev := policy.Event{Do: "soapLogin", Org: orgFor(o, username, ""), User: username, Password: pwState, SecurityToken: tokState,
		FromIP: sourceIP(r), APIVersion: version}
	lock, err := s.lockout(ctx, o, u, &ev, now) // login.go
	var res policy.EventResult
	if err == nil {
		res, err = s.evaluate(ctx, o, []step{{at: now, ev: ev}})
	}
	if err == nil && u != nil {
		err = s.countAttempt(ctx, o, org, username, lock, res, now)
	}
	if err != nil {
		s.soapInternal(w, r, api, err)
		return
	}
	// Login History: every attempt of a scenario user, as SOAP (Partner or
	// Enterprise) with the version the client called.
	apiType := map[string]string{"u": "SOAP Partner", "c": "SOAP Enterprise"}[r.PathValue("api")]
	audit := func(status string) {
		s.recordLoginEvent(r, o, store.LoginEvent{User: username, LoginType: policy.LoginTypeSOAP, Status: status, APIType: apiType, APIVersion: version})
	}
	if res.Outcome != policy.Granted {
		audit(policy.LoginHistoryStatus(res))
		status := res.HTTPStatus
		if status < 400 {
			status = http.StatusInternalServerError
		}
		writeSoapFault(w, api, sfFault(res.Error, res.ErrorDescription).at(status))
		return
	}
	sessionID, life, err := s.startSession(r, o, ev, res, now, store.LoginEvent{User: username, LoginType: policy.LoginTypeSOAP,
		Status: policy.LoginStatusSuccess, APIType: apiType, APIVersion: version})
	if err != nil {
		s.soapInternal(w, r, api, err)
		return
	}
	writeSoap(w, http.StatusOK, api.ns, loginResponse(o, s.identityOf(o, ev.Org, username), r.PathValue("api"), version, sessionID, life))
}

// sourceIP is the caller's address for the engine's trusted-range checks,
// or "" when it is no plain IP.
func sourceIP(r *http.Request) string {
	a, err := netip.ParseAddr(clientIP(r))
	if err != nil || a.Zone() != "" {
		return ""
	}
	return a.Unmap().String()
}

// startSession starts a login() session: a session ID (self-contained,
// as an access token is, tokens.go) of a grant of its own (no app, not an
// approval) whose origin is the login() request, living as long as the
// engine's session timeout says. The grant and the Login History row
// (login) are one write.
func (s *Server) startSession(r *http.Request, o *liveOrg, ev policy.Event, res policy.EventResult, now time.Time, login store.LoginEvent) (string, time.Duration, error) {
	id := s.identityOf(o, ev.Org, ev.User)
	life := lifetime(res)
	g := store.Grant{ID: newGrantID(), ScenarioID: o.id, Org: ev.Org, User: ev.User,
		Origin: toStoreStep(step{at: now, ev: ev}), Status: store.GrantActive, CreatedAt: now}
	// A login() session carries the user's whole access, which OAuth calls
	// the full scope: the REST API's scope check lets it through.
	sessionID, err := s.mintAccess(id.orgID, accessClaims{Org: o.id, Grant: g.ID, Kind: sessionKind, Scope: "full",
		Issued: now.UnixMilli(), Timeout: life.Milliseconds()})
	if err != nil {
		return "", 0, err
	}
	w := store.Write{OrgID: o.id, Now: now, Grant: &g, Logins: s.loginRow(r, o, login)}
	if err := s.st.Commit(r.Context(), w); err != nil {
		return "", 0, err
	}
	return sessionID, life, nil
}

// soapLogout is logout(): it ends the session its SessionHeader names (a
// login() session or an OAuth access token, both session IDs on Salesforce).
func (s *Server) soapLogout(w http.ResponseWriter, r *http.Request, o *liveOrg, api soapAPI, sessionID string) {
	ctx := r.Context()
	illegal := func() {
		writeSoapFault(w, api, sfFault(policy.LiveErrInvalidSessionID, policy.LiveDescSoapIllegalSession))
	}
	if sessionID == "" {
		illegal()
		return
	}
	now := s.cfg.Now()
	tok, _, err := s.readToken(ctx, o, sessionID, now)
	switch {
	case missing(err):
		illegal()
		return
	case err != nil:
		s.soapInternal(w, r, api, err)
		return
	case tok.Kind != store.KindSession && tok.Kind != store.KindAccess:
		illegal()
		return
	}
	m := store.Mark{Key: tok.Hash, OrgID: o.id, Revoked: true, ExpiresAt: tok.ExpiresAt}
	if err := s.st.Commit(ctx, store.Write{OrgID: o.id, Now: now, Marks: []store.Mark{m}}); err != nil {
		s.soapInternal(w, r, api, err)
		return
	}
	writeSoap(w, http.StatusOK, api.ns, "<logoutResponse/>")
}

// refuseSessionRevoke answers /services/oauth2/revoke for a login()
// session as the engine's revoke event does (a session ID is no OAuth
// token: unsupported_token_type). The session stays valid.
func (s *Server) refuseSessionRevoke(w http.ResponseWriter, r *http.Request, o *liveOrg, tok store.Token, g store.Grant) {
	steps, err := history(g, tok)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	steps = append(steps, step{at: s.cfg.Now(), ev: policy.Event{Do: "revoke", Use: "prev"}})
	res, err := s.evaluate(r.Context(), o, steps)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	if res.Outcome == policy.Granted {
		// The engine never revokes a session here; should it ever, the
		// live org must not claim a revocation it did not make.
		s.internal(w, r, errors.New("the engine granted the revocation of a session ID"))
		return
	}
	revokeError(w, o, res.HTTPStatus, res.Error, res.ErrorDescription)
}
