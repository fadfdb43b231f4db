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

// liveOrg is a shared scenario served as a live org.
type liveOrg struct {
	id     string
	mode   string
	sc     *policy.Scenario
	offset time.Duration // simulated clock = wall clock + offset
}

// rfc says whether the live org runs in rfc mode.
func (o *liveOrg) rfc() bool { return o.mode == store.ModeRFC }

// sim turns a wall-clock time into the scenario's simulated time: the
// scenario's "now" at the moment it was shared, moving with the wall clock
// (the wall clock itself when the scenario has no "now").
func (o *liveOrg) sim(wall time.Time) time.Time { return wall.Add(o.offset).UTC() }

const maxCachedOrgs = 512

// loadOrg reads and decodes a shared scenario, cached: shares are immutable.
func (s *Server) loadOrg(ctx context.Context, id string) (*liveOrg, error) {
	if !validID(id) {
		return nil, store.ErrNotFound
	}
	s.mu.Lock()
	o := s.cache[id]
	s.mu.Unlock()
	if o != nil {
		return o, nil
	}
	rec, err := s.st.GetScenario(ctx, id)
	if err != nil {
		return nil, err
	}
	sc, err := policy.Decode(rec.Document)
	if err != nil {
		return nil, err
	}
	o = &liveOrg{id: id, mode: rec.Mode, sc: sc}
	if t, err := time.Parse(time.RFC3339, sc.Now); err == nil {
		o.offset = t.Sub(rec.CreatedAt)
	}
	s.mu.Lock()
	if len(s.cache) >= maxCachedOrgs {
		clear(s.cache)
	}
	s.cache[id] = o
	s.mu.Unlock()
	return o, nil
}

// org resolves the {id} of an /o/{id} route, answering 404 itself.
func (s *Server) org(w http.ResponseWriter, r *http.Request) (*liveOrg, bool) {
	o, err := s.loadOrg(r.Context(), r.PathValue("id"))
	if err == nil {
		return o, true
	}
	noStore(w)
	if errors.Is(err, store.ErrNotFound) {
		writeJSON(w, http.StatusNotFound, oauthError{"not_found", "no shared scenario with this id"})
		return nil, false
	}
	s.internal(w, r, err)
	return nil, false
}

// approvals are the users' live approvals: interactive grants not revoked.
func (s *Server) approvals(ctx context.Context, o *liveOrg) ([]policy.LiveApproval, error) {
	gs, err := s.st.ListApprovals(ctx, o.id)
	if err != nil {
		return nil, err
	}
	var out []policy.LiveApproval
	for _, g := range gs {
		if g.Interactive && g.Status == store.GrantActive {
			out = append(out, policy.LiveApproval{Org: g.Org, User: g.User, App: g.App})
		}
	}
	return out, nil
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
	approvals, err := s.approvals(ctx, o)
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
	return res[len(res)-1], nil
}

// failedRule is the rule that denied a result, or "".
func failedRule(res policy.EventResult) string {
	for _, t := range res.Trace {
		if t.Outcome == policy.StepFail {
			return t.Rule
		}
	}
	return ""
}

// hasStep says whether the trace has this rule with this outcome.
func hasStep(res policy.EventResult, rule, outcome string) bool {
	for _, t := range res.Trace {
		if t.Rule == rule && t.Outcome == outcome {
			return true
		}
	}
	return false
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
	return s.issuer(o.id) + "/id/" + id.orgID + "/" + id.userID
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
