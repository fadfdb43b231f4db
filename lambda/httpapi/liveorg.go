package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/caplab/caplab/lambda/store"
	"github.com/caplab/caplab/policy"
)

// liveOrg is a shared scenario served as a live org. The value cached per
// live org is shared; s.org hands each request its own copy carrying the
// URL the request reached the org at (base, prefix).
type liveOrg struct {
	id     string // live org id
	rec    store.Scenario
	mode   string
	sc     *policy.Scenario
	offset time.Duration // simulated clock = wall clock + offset

	base   string // this request's issuer: the org's origin, or {BaseURL}/o/{id}
	prefix string // path prefix of base ("" at the origin, "/o/{id}" on the alias)
}

// rfc says whether the live org runs in rfc mode.
func (o *liveOrg) rfc() bool { return o.mode == store.ModeRFC }

// issuer is the live org's issuer (and instance URL) for this request.
func (o *liveOrg) issuer() string { return o.base }

// path is an absolute path of the live org for this request.
func (o *liveOrg) path(p string) string { return o.prefix + p }

// sim turns a wall-clock time into the scenario's simulated time: the
// scenario's "now" at the moment it was shared, moving with the wall clock
// (the wall clock itself when the scenario has no "now").
func (o *liveOrg) sim(wall time.Time) time.Time { return wall.Add(o.offset).UTC() }

const maxCachedOrgs = 512

// touchEvery is how often a live org's last use is written: idle expiry
// is counted in days, so once a day is plenty.
const touchEvery = 24 * time.Hour

// loadOrg reads and decodes a live org by its id, cached: shares are
// immutable. An org idle past retention reads as not found.
func (s *Server) loadOrg(ctx context.Context, id string) (*liveOrg, error) {
	if !validOrgID(id) {
		return nil, store.ErrNotFound
	}
	now := s.cfg.Now()
	s.mu.Lock()
	o := s.cache[id]
	s.mu.Unlock()
	if o == nil {
		rec, err := s.st.GetLiveOrg(ctx, id)
		if err != nil {
			return nil, err
		}
		sc, err := policy.Decode(rec.Document)
		if err != nil {
			// Shared under an older engine whose rules it no longer meets.
			return nil, &staleShareError{err}
		}
		o = &liveOrg{id: id, rec: rec, mode: rec.Mode, sc: sc}
		if t, err := time.Parse(time.RFC3339, sc.Now); err == nil {
			o.offset = t.Sub(rec.CreatedAt)
		}
	}
	if s.cfg.Retention.ShareExpired(o.rec, now) {
		s.forget(id)
		return nil, store.ErrNotFound
	}
	if now.Sub(o.rec.LastUse()) >= touchEvery {
		if err := s.st.TouchScenario(ctx, o.rec, now); err != nil {
			return nil, err
		}
		o2 := *o
		o2.rec.LastUsedAt = now
		o = &o2
	}
	s.mu.Lock()
	if len(s.cache) >= maxCachedOrgs {
		clear(s.cache)
	}
	s.cache[id] = o
	s.mu.Unlock()
	return o, nil
}

func (s *Server) forget(id string) {
	s.mu.Lock()
	delete(s.cache, id)
	s.mu.Unlock()
}

// route is how a request reached a live org: its id and the URL it
// addressed the org by.
type route struct {
	id, base, prefix string
}

type routeKey struct{}

func withRoute(r *http.Request, rt route) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), routeKey{}, rt))
}

// org resolves the live org of the request, answering 404 itself.
func (s *Server) org(w http.ResponseWriter, r *http.Request) (*liveOrg, bool) {
	rt, _ := r.Context().Value(routeKey{}).(route)
	cached, err := s.loadOrg(r.Context(), rt.id)
	if err == nil {
		o := *cached
		o.base, o.prefix = rt.base, rt.prefix
		return &o, true
	}
	noStore(w)
	var stale *staleShareError
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeJSON(w, http.StatusNotFound, oauthError{"not_found", "no live org with this id (it may have expired)"})
	case errors.As(err, &stale):
		writeJSON(w, http.StatusGone, oauthError{"invalid_scenario", "this live org's scenario no longer passes this caplab's checks; fix it in the playground and share it again: " + stale.err.Error()})
	default:
		s.internal(w, r, err)
	}
	return nil, false
}

// live serves h with the request's live org; a request for an unknown,
// expired or stale one is answered here (404, 410) and never reaches h.
func (s *Server) live(h func(w http.ResponseWriter, r *http.Request, o *liveOrg)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if o, ok := s.org(w, r); ok {
			h(w, r, o)
		}
	}
}

// staleShareError: a stored share that no longer decodes.
type staleShareError struct{ err error }

func (e *staleShareError) Error() string { return "stale share: " + e.err.Error() }

// approvals are the live approvals of the users the steps name: only
// they can matter to the engine's answer, and each is one indexed lookup.
// When the steps continue a grant (known) that is an active approval, and
// name no user and app but its own, that grant is the approval that
// matters (the engine asks whether the user approved the app, and other
// apps' approvals cannot change its answer), and nothing is read.
func (s *Server) approvals(ctx context.Context, o *liveOrg, steps []step, known *store.Grant) ([]policy.LiveApproval, error) {
	if known != nil && known.Interactive && known.Status == store.GrantActive && onlyOf(o, steps, known) {
		return []policy.LiveApproval{{Org: known.Org, User: known.User, App: known.App}}, nil
	}
	var out []policy.LiveApproval
	seen := map[string]bool{}
	for _, st := range steps {
		u := st.ev.User
		if u == "" || seen[u] {
			continue
		}
		seen[u] = true
		gs, err := s.st.ListApprovals(ctx, o.id, u)
		if err != nil {
			return nil, err
		}
		for _, g := range gs {
			if g.Interactive && g.Status == store.GrantActive {
				out = append(out, policy.LiveApproval{Org: g.Org, User: g.User, App: g.App})
			}
		}
	}
	return out, nil
}

// onlyOf says whether the steps name no user and no app but g's.
func onlyOf(o *liveOrg, steps []step, g *store.Grant) bool {
	for _, st := range steps {
		if st.ev.User != "" && st.ev.User != g.User {
			return false
		}
		if st.ev.ClientID != "" {
			if app := o.sc.AppByConsumerKey(st.ev.ClientID); app == nil || app.Name != g.App {
				return false
			}
		}
	}
	return true
}

// step is a request for the engine: the event and its wall-clock time.
type step struct {
	at time.Time
	ev policy.Event
}

func toStoreStep(st step) store.Step {
	b, _ := json.Marshal(st.ev)
	return store.Step{At: st.at, Event: b}
}

func fromStoreStep(ss store.Step) (step, error) {
	var ev policy.Event
	err := json.Unmarshal(ss.Event, &ev)
	return step{at: ss.At, ev: ev}, err
}

// evaluate runs the engine over earlier steps and the current one (last),
// with the store's approvals, and returns the current step's result. Steps
// get ids s0, s1, …; a step's "use" of "prev" names the step before it.
func (s *Server) evaluate(ctx context.Context, o *liveOrg, steps []step) (policy.EventResult, error) {
	return s.evaluateKnown(ctx, o, steps, nil)
}

// evaluateKnown is evaluate for steps that continue the grant known (read
// with the request's records; see approvals).
func (s *Server) evaluateKnown(ctx context.Context, o *liveOrg, steps []step, known *store.Grant) (policy.EventResult, error) {
	approvals, err := s.approvals(ctx, o, steps, known)
	if err != nil {
		return policy.EventResult{}, err
	}
	ls := make([]policy.LiveStep, len(steps))
	for i, st := range steps {
		ev := st.ev
		ev.ID = "s" + strconv.Itoa(i)
		ev.Expect = nil
		if ev.Use == "prev" {
			ev.Use = "s" + strconv.Itoa(i-1)
		}
		ev.Host = "myDomain" // the live org is the org's My Domain
		ls[i] = policy.LiveStep{At: o.sim(st.at), Event: ev}
	}
	res := policy.EvaluateLive(o.sc, approvals, ls)
	auditOf(ctx).observe(o, steps, res[len(res)-1]) // audit.go: Login History
	return res[len(res)-1], nil
}

// lifetime is how long the engine says an issued access token lives.
func lifetime(res policy.EventResult) time.Duration {
	at, err1 := time.Parse(time.RFC3339, res.At)
	exp, err2 := time.Parse(time.RFC3339, res.Issued.ExpiresAt)
	if err1 != nil || err2 != nil || !exp.After(at) {
		return 2 * time.Hour
	}
	return exp.Sub(at)
}

// identity names a user of the live org.
type identity struct {
	org      *policy.Org
	user     *policy.User
	orgID    string
	userID   string
	username string
}

func (s *Server) identityOf(o *liveOrg, orgName, username string) identity {
	id := identity{username: username}
	org := o.sc.OrgNamed(orgName)
	if org == nil {
		return id
	}
	id.org, id.orgID = org, org.OrgID()
	for i := range org.Users {
		if org.Users[i].Username == username {
			id.user = &org.Users[i]
			id.userID = org.UserID(id.user)
		}
	}
	return id
}

// idURL is the identity URL of a user: {issuer}/id/{orgId}/{userId}.
func (s *Server) idURL(o *liveOrg, id identity) string {
	return o.issuer() + "/id/" + id.orgID + "/" + id.userID
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}

func splitScope(s string) []string { return strings.Fields(s) }
