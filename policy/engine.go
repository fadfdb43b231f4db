package policy

import (
	"time"
)

// EngineVersion is reported in every result document.
const EngineVersion = "0.1.0"

// Options are the inputs that are not in the scenario.
type Options struct {
	// Now is the clock at the first event when the scenario has no "now".
	Now time.Time
	// NoFixes skips fix search (faster while a scenario is being edited).
	NoFixes bool
	// verifying: a fix-verification run needs outcomes, not rendered responses.
	verifying bool
}

// Evaluate replays the scenario's timeline and predicts Salesforce's answer
// to each event. The scenario must have passed Decode; it is not modified.
func Evaluate(s *Scenario, opt Options) *Result {
	res, candidates := evaluate(s, opt)
	if !opt.NoFixes {
		addFixes(s, opt, res, candidates)
	}
	checkExpectations(s, res)
	return res
}

// evaluate replays the timeline and returns, per event, the candidate
// fixes of the rule that denied it.
func evaluate(s *Scenario, opt Options) (*Result, [][]Fix) {
	return evaluateThrough(s, opt, len(s.Events)-1)
}

// evaluateThrough replays events 0..last only: what happens after an event
// cannot change its answer.
func evaluateThrough(s *Scenario, opt Options, last int) (*Result, [][]Fix) {
	res := &Result{SchemaVersion: 1, EngineVersion: EngineVersion, Results: make([]EventResult, 0, len(s.Events))}
	candidates := make([][]Fix, len(s.Events))
	e := newEvaluator(s, opt)
	for i := 0; i <= last && i < len(s.Events); i++ {
		r := e.event(i)
		res.Results = append(res.Results, r.EventResult)
		candidates[i] = r.candidates
	}
	return res, candidates
}

// EvaluateJSON decodes a scenario document and evaluates it.
func EvaluateJSON(data []byte, opt Options) (*Result, error) {
	s, err := Decode(data)
	if err != nil {
		return nil, err
	}
	return Evaluate(s, opt), nil
}

// startTime is the simulated clock at the first event.
func startTime(s *Scenario, opt Options) time.Time {
	if t, err := time.Parse(time.RFC3339, s.Now); err == nil {
		return t.UTC()
	}
	if !opt.Now.IsZero() {
		return opt.Now.UTC()
	}
	return day(2026, 1, 1)
}

type evaluator struct {
	s      *Scenario // the scenario as it is at the current event; copied before admin changes
	copied bool
	st     *state
	quiet  bool // skip rendering responses (fix verification)
}

func newEvaluator(s *Scenario, opt Options) *evaluator {
	e := &evaluator{s: s, st: newState(startTime(s, opt), len(s.Events)), quiet: opt.verifying}
	// Approvals given before the timeline starts (the user's approvedApps).
	for _, o := range s.Orgs {
		for _, u := range o.Users {
			for _, app := range u.ApprovedApps {
				g := &grant{org: o.Name, app: app, user: u.Username, interactive: true}
				if ai := s.appIndex(app); ai >= 0 {
					g.scopes = s.Apps[ai].OAuth.Scopes
				}
				e.st.approve(approvalKey{o.Name, u.Username, app}, g)
			}
		}
	}
	return e
}

// eventOutcome is one event's result plus what the fix search needs.
type eventOutcome struct {
	EventResult
	candidates []Fix
}

// mutable returns a scenario safe to change: admin events modify their own
// copy, never the caller's.
func (e *evaluator) mutable() *Scenario {
	if !e.copied {
		e.s = cloneScenario(e.s)
		e.copied = true
	}
	return e.s
}

func (e *evaluator) event(i int) eventOutcome {
	ev := &e.s.Events[i]
	res := EventResult{Event: i, ID: ev.ID, Do: ev.Do, At: e.st.now.Format(time.RFC3339), Delivery: DeliverNone, Trace: []TraceStep{}}
	r := &request{s: e.s, st: e.st, ev: ev, evIx: i, res: &res, now: e.st.now, orgIx: -1, appIx: -1, userIx: -1, instIx: -1, quiet: e.quiet}
	switch ev.Do {
	case "authorize":
		authorize(r)
	case "token":
		token(r)
	case "revoke":
		revoke(r)
	case "api":
		apiCall(r)
	case "wait":
		e.wait(r)
	case "admin":
		e.admin(r)
	case "outboundMessage":
		outboundMessage(r)
	case "visualforceSession":
		visualforceSession(r)
	case "soapLogin":
		soapLogin(r)
	}
	if res.Outcome == "" {
		res.Outcome = Denied
	}
	if e.quiet {
		res.Response = nil // fix verification reads only the outcome
	} else {
		res.Risk = riskFor(ev, &res)
	}
	return eventOutcome{res, r.candidates}
}
