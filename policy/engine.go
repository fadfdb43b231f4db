package policy

import (
	"context"
	"errors"
	"strconv"
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
// It is EvaluateContext without a deadline: an evaluation stopped by a limit
// still has a result for every event (see EvaluateContext).
func Evaluate(s *Scenario, opt Options) *Result {
	res, _ := EvaluateContext(context.Background(), s, opt)
	return res
}

// EvaluateContext is Evaluate within the engine's limits (limits.go) and
// the context's deadline. When the timeline itself goes past a limit (an
// admin patch that grows the scenario too far, more work than the budget)
// it returns a *LimitError, and with it a result whose events from the one
// that hit the limit on are denied with error "limit_exceeded". When only
// the fix search runs out of budget or time, the result is complete: the
// search stops, the affected events say so in their trace, and
// Result.Limits names the limit. When the context is cancelled it returns
// the context's error and no result.
func EvaluateContext(ctx context.Context, s *Scenario, opt Options) (*Result, error) {
	b := newBudget(ctx)
	res, candidates, err := evaluateThrough(s, opt, len(s.Events)-1, b)
	var le *LimitError
	switch {
	case errors.As(err, &le):
		checkExpectations(s, res)
		return res, le
	case err != nil:
		return nil, err
	}
	if !opt.NoFixes {
		addFixes(s, opt, res, candidates, b)
	}
	if err := b.stopped(); err != nil && !errors.As(err, &le) {
		return nil, err // cancelled during the fix search
	}
	checkExpectations(s, res)
	return res, nil
}

// evaluateThrough replays events 0..last only: what happens after an event
// cannot change its answer. It stops at the first limit; the error is then
// a *LimitError (or the context's), and the result has every event up to
// last, those from the stop on marked as limited.
func evaluateThrough(s *Scenario, opt Options, last int, b *budget) (*Result, [][]Fix, error) {
	res := &Result{SchemaVersion: 1, EngineVersion: EngineVersion, Results: make([]EventResult, 0, len(s.Events))}
	candidates := make([][]Fix, len(s.Events))
	e := newEvaluator(s, opt)
	e.budget = b
	stop := func(i int, err error) (*Result, [][]Fix, error) {
		if le, ok := err.(*LimitError); ok {
			at := *le // the budget's error is shared; this one gets a path
			if at.Path == "" {
				at.Path = "/events/" + strconv.Itoa(i)
			}
			limitedResults(res, e, i, last, &at)
			return res, candidates, &at
		}
		return res, candidates, err
	}
	for i := 0; i <= last && i < len(s.Events); i++ {
		if !b.spend(1) {
			return stop(i, b.stopped())
		}
		r := e.event(i)
		switch {
		case e.limit != nil:
			return stop(i, e.limit)
		case b.stopped() != nil: // ran out within the event (an admin patch)
			return stop(i, b.stopped())
		}
		res.Results = append(res.Results, r.EventResult)
		candidates[i] = r.candidates
	}
	return res, candidates, nil
}

// verifyEvent replays events 0..event of a patched scenario for fix
// search, which needs only the event's outcome and the fixes it suggests:
// nothing is rendered and no result is kept. err is a limit an event went
// past, or the budget's error.
func verifyEvent(s *Scenario, now time.Time, event int, b *budget) (granted bool, candidates []Fix, err error) {
	e := newEvaluator(s, Options{Now: now, NoFixes: true, verifying: true})
	e.budget = b
	for i := 0; i <= event && i < len(s.Events); i++ {
		if !b.spend(1) {
			return false, nil, b.stopped()
		}
		r := e.event(i)
		switch {
		case e.limit != nil:
			return false, nil, e.limit
		case b.stopped() != nil:
			return false, nil, b.stopped()
		case i == event:
			return r.Outcome == Granted, r.candidates, nil
		}
	}
	return false, nil, nil
}

// limitedResults fills the results of events from..last of an evaluation
// stopped by le at event from.
func limitedResults(res *Result, e *evaluator, from, last int, le *LimitError) {
	res.Limits = append(res.Limits, LimitNote{Limit: le.Limit, Max: le.Max, Message: le.Message})
	for i := from; i <= last && i < len(e.s.Events); i++ {
		ev := &e.s.Events[i]
		r := EventResult{Event: i, ID: ev.ID, Do: ev.Do, At: e.st.now.Format(time.RFC3339), Outcome: Denied, Delivery: DeliverNone,
			Error: errLimitExceeded, ErrorDescription: le.Message}
		if i == from {
			r.Trace = []TraceStep{{Rule: "limit." + le.Limit, Outcome: StepFail, Because: le.Message, Setting: le.Path}}
		} else {
			r.Trace = []TraceStep{{Rule: "limit." + le.Limit, Outcome: StepSkip, Because: "not evaluated: the evaluation stopped at event " + strconv.Itoa(from+1) + " (" + le.Limit + ")"}}
		}
		res.Results = append(res.Results, r)
	}
}

// EvaluateJSON decodes a scenario document and evaluates it.
func EvaluateJSON(data []byte, opt Options) (*Result, error) {
	s, err := Decode(data)
	if err != nil {
		return nil, err
	}
	return EvaluateContext(context.Background(), s, opt)
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

	// Storage reused from event to event (see event).
	req    request
	res    EventResult
	steps  []TraceStep // the current trace buffer (traceRoom)
	atTime time.Time   // the instant atText formats
	atText string

	budget   *budget     // the evaluation's work budget; nil: unlimited
	patchOps int         // patch operations applied so far (maxPatchOpsPerScenario)
	limit    *LimitError // set when an event went past a limit
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

// event answers one event. Each kind's code is in event_<kind>.go
// (event_authorize.go, event_soap_login.go …); the rules they run are in
// rules_*.go.
func (e *evaluator) event(i int) eventOutcome {
	ev := &e.s.Events[i]
	// The request and its result are the evaluator's, reused from event to
	// event: nothing keeps them after the event.
	r, res := &e.req, &e.res
	*res = EventResult{Event: i, ID: ev.ID, Do: ev.Do, Delivery: DeliverNone}
	*r = request{s: e.s, st: e.st, ev: ev, evIx: i, res: res, now: e.st.now, orgIx: -1, appIx: -1, userIx: -1, instIx: -1, quiet: e.quiet}
	if !e.quiet { // fix verification reads only the outcome
		res.At = e.at()
		res.Trace = e.traceRoom(len(e.s.Events) - i)
	}
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
		res.Response = nil
	} else {
		res.Trace = e.keepTrace(res.Trace)
		res.Risk = riskFor(ev, res)
	}
	return eventOutcome{*res, r.candidates}
}

// at is the clock as a result's "at", formatted once per instant.
func (e *evaluator) at() string {
	if e.atText == "" || e.atTime != e.st.now { // the same instant in the same location
		e.atTime, e.atText = e.st.now, e.st.now.Format(time.RFC3339)
	}
	return e.atText
}

// Events' traces are cut from shared buffers, so that each event does not
// grow its own step by step: a buffer has room for about traceStepsPerEvent
// steps per event still to come (an event has 1 to 20), within
// minTraceRoom and maxTraceRoom. A trace that outgrows the room left moves
// out on its own, as append does.
const (
	traceStepsPerEvent = 10
	minTraceRoom       = 16
	maxTraceRoom       = 128
)

// traceRoom is an empty trace with the rest of the current buffer as room;
// events is how many events are left, this one included.
func (e *evaluator) traceRoom(events int) []TraceStep {
	if cap(e.steps)-len(e.steps) < minTraceRoom {
		e.steps = make([]TraceStep, 0, min(max(events*traceStepsPerEvent, minTraceRoom), maxTraceRoom))
	}
	return e.steps[len(e.steps):len(e.steps)]
}

// keepTrace settles an event's trace: if it is still in the buffer, the
// steps it used are taken from the room and its capacity ends with it, so
// that appending to it later (fix search notes) copies it rather than
// writing over the next event's steps.
func (e *evaluator) keepTrace(t []TraceStep) []TraceStep {
	room := e.steps[len(e.steps):cap(e.steps)]
	if len(t) > 0 && len(room) > 0 && &t[0] == &room[0] {
		e.steps = e.steps[:len(e.steps)+len(t)]
	}
	return t[:len(t):len(t)]
}
