package policy

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/caplab/caplab/policy/limitstest"
)

// Every adversarial document of at most 64 KiB is decoded and evaluated
// within the limits: the right limit is named, and the heap grows by less
// than MaxEvaluationHeapBytes.
func TestAdversarialScenariosStayWithinLimits(t *testing.T) {
	for _, c := range limitstest.Cases() {
		t.Run(c.Name, func(t *testing.T) {
			if len(c.Doc) > limitstest.BodyLimit {
				t.Fatalf("document is %d bytes; an attack must fit the body limit %d", len(c.Doc), limitstest.BodyLimit)
			}
			var (
				res                *Result
				decodeErr, evalErr error
			)
			grown := limitstest.HeapGrowth(4*MaxEvaluationHeapBytes, func() {
				var s *Scenario
				if s, decodeErr = Decode(c.Doc); decodeErr == nil {
					res, evalErr = EvaluateContext(context.Background(), s, Options{})
				}
			})
			t.Logf("heap grew by %.1f MiB", float64(grown)/(1<<20))
			if grown > MaxEvaluationHeapBytes {
				t.Errorf("the heap grew by %d bytes; the bound MaxEvaluationHeapBytes is %d", grown, MaxEvaluationHeapBytes)
			}
			if (decodeErr == nil) != c.Valid {
				t.Fatalf("Decode: error %v; want valid %v", decodeErr, c.Valid)
			}
			if !c.Valid {
				return
			}
			var le *LimitError
			switch {
			case c.Limit == "" && evalErr != nil:
				t.Fatalf("EvaluateContext: error %v; want none", evalErr)
			case c.Limit != "" && (!errors.As(evalErr, &le) || le.Limit != c.Limit):
				t.Fatalf("EvaluateContext: error %v; want a LimitError naming %s", evalErr, c.Limit)
			case le != nil && !strings.Contains(le.Message, c.Limit):
				t.Errorf("message %q does not name the limit %s", le.Message, c.Limit)
			}
			var noted []string
			for _, n := range res.Limits {
				noted = append(noted, n.Limit)
			}
			want := []string{}
			if c.Limit != "" {
				want = append(want, c.Limit)
			}
			if c.FixLimit != "" {
				want = append(want, c.FixLimit)
			}
			if strings.Join(noted, ",") != strings.Join(want, ",") {
				t.Errorf("result limits %q; want %q", noted, want)
			}
		})
	}
}

// The patch bomb: an admin patch that copies /orgs into itself
// again and again is refused at the operation that would pass the size
// limit, before memory grows, and the evaluation says where.
func TestPatchBombStopsTheEvaluation(t *testing.T) {
	s, err := Decode(limitstest.PatchDoubling(40))
	if err != nil {
		t.Fatal(err)
	}
	res, err := EvaluateContext(context.Background(), s, Options{})
	var le *LimitError
	if !errors.As(err, &le) {
		t.Fatalf("error %v; want a *LimitError", err)
	}
	if le.Limit != LimitPatchedBytes || le.Max != maxPatchedScenarioBytes || !strings.HasPrefix(le.Path, "/events/0/patch/") {
		t.Errorf("LimitError %+v; want %s, max %d, at an operation of /events/0/patch", le, LimitPatchedBytes, maxPatchedScenarioBytes)
	}
	op, _ := strconv.Atoi(strings.TrimPrefix(le.Path, "/events/0/patch/"))
	if op < 5 || op > 15 {
		t.Errorf("operation %d refused; want the doubling that passes 256 KiB (about the tenth)", op)
	}
	if len(res.Results) != 1 {
		t.Fatalf("%d results; want one for the event", len(res.Results))
	}
	r := res.Results[0]
	if r.Outcome != Denied || r.Error != errLimitExceeded || r.ErrorDescription != le.Message {
		t.Errorf("event: %s %s %q; want denied %s with the limit's message", r.Outcome, r.Error, r.ErrorDescription, errLimitExceeded)
	}
	if len(r.Trace) != 1 || r.Trace[0].Rule != "limit."+LimitPatchedBytes || r.Trace[0].Setting != le.Path {
		t.Errorf("trace %+v; want one step naming the limit at %s", r.Trace, le.Path)
	}
	// Evaluate, without an error to return, gives the same result.
	if got := Evaluate(s, Options{}); !sameResult(got, res) {
		t.Errorf("Evaluate differs from EvaluateContext")
	}
}

// Patch operations count over all admin patch events of the timeline.
func TestPatchOpsAreCountedOverTheScenario(t *testing.T) {
	ops := func(n int) []PatchOp {
		p := make([]PatchOp, n)
		for i := range p {
			p[i] = PatchOp{Op: "test", Path: "/title", Value: "caplab test"}
		}
		return p
	}
	for _, tc := range []struct {
		name   string
		events int // admin patch events of 100 operations
		stopAt int // -1: within the limit
	}{
		{"exactly the limit", maxPatchOpsPerScenario / 100, -1},
		{"one event past it", maxPatchOpsPerScenario/100 + 1, maxPatchOpsPerScenario / 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var events []Event
			for range tc.events {
				events = append(events, Event{Do: "admin", Action: "patch", Patch: ops(100)})
			}
			events = append(events, Event{Do: "token", Grant: "password", User: tUser, Password: tPassword, SecurityToken: tToken})
			s := decodeScenario(t, scen(events))
			res, err := EvaluateContext(context.Background(), s, Options{NoFixes: true})
			var le *LimitError
			if tc.stopAt < 0 {
				if err != nil {
					t.Fatalf("error %v; want none", err)
				}
				return
			}
			if !errors.As(err, &le) || le.Limit != LimitPatchOps || le.Path != "/events/"+strconv.Itoa(tc.stopAt)+"/patch" {
				t.Fatalf("error %v (%+v); want %s at event %d", err, le, LimitPatchOps, tc.stopAt)
			}
			if n := len(res.Results); n != len(events) {
				t.Fatalf("%d results; want one per event (%d)", n, len(events))
			}
			for i, r := range res.Results[tc.stopAt:] {
				if r.Outcome != Denied || r.Error != errLimitExceeded {
					t.Errorf("event %d: %s %s; want denied %s", tc.stopAt+i, r.Outcome, r.Error, errLimitExceeded)
				}
			}
			if res.Results[tc.stopAt-1].Outcome != Granted {
				t.Errorf("the event before the limit: %s; want granted", res.Results[tc.stopAt-1].Outcome)
			}
		})
	}
}

// 500 denied events: the fix search stops when the work budget runs out,
// the timeline's results stay complete, and the events it did not finish
// say which limit stopped it. The same scenario gives the same result every
// time: the budget is a count.
func TestFixSearchStopsWithinTheWorkBudget(t *testing.T) {
	s, err := Decode(limitstest.DeniedEvents(500))
	if err != nil {
		t.Fatal(err)
	}
	res, err := EvaluateContext(context.Background(), s, Options{})
	if err != nil {
		t.Fatalf("error %v; want the result, with the fix search cut short", err)
	}
	if len(res.Results) != 500 {
		t.Fatalf("%d results; want 500", len(res.Results))
	}
	if len(res.Limits) != 1 || res.Limits[0].Limit != LimitWork || res.Limits[0].Max != maxEventEvaluations {
		t.Fatalf("limits %+v; want %s", res.Limits, LimitWork)
	}
	cut := res.Limits[0].Events
	if len(cut) < 10 || cut[0] < 1 {
		t.Fatalf("the search stopped for %d events, from event %d; want it to have searched some fully and stopped for the rest", len(cut), cut[0])
	}
	for i, r := range res.Results {
		if r.Outcome != Denied {
			t.Fatalf("event %d is %s; want denied", i, r.Outcome)
		}
		noted := slices.ContainsFunc(r.Trace, func(st TraceStep) bool {
			return st.Rule == "limit."+LimitWork && st.Outcome == StepInfo && strings.Contains(st.Because, LimitWork)
		})
		if slices.Contains(cut, i) != noted {
			t.Errorf("event %d: info step naming %s %v; want %v", i, LimitWork, noted, slices.Contains(cut, i))
		}
		if i < cut[0] && len(r.Fixes) == 0 {
			t.Errorf("event %d was searched fully but has no fixes", i)
		}
		if i > cut[0] && len(r.Fixes) > 0 {
			t.Errorf("event %d was not searched but has fixes", i)
		}
	}
	again, _ := EvaluateContext(context.Background(), s, Options{})
	if !sameResult(res, again) {
		t.Errorf("two evaluations of the same scenario differ")
	}
}

// The caller's context is a backstop: past its deadline the evaluation
// stops with a LimitError that wraps the context's error; cancelled, it
// returns the context's error.
func TestEvaluateContextDeadline(t *testing.T) {
	s, err := Decode(limitstest.DeniedEvents(50))
	if err != nil {
		t.Fatal(err)
	}
	expired, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	res, err := EvaluateContext(expired, s, Options{})
	var le *LimitError
	if !errors.As(err, &le) || le.Limit != LimitDeadline || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v; want a %s LimitError wrapping context.DeadlineExceeded", err, LimitDeadline)
	}
	if res == nil || len(res.Results) != 50 || res.Results[0].Error != errLimitExceeded {
		t.Errorf("result %+v; want 50 events, limited from the first", res)
	}
	cancelled, stop := context.WithCancel(context.Background())
	stop()
	if res, err := EvaluateContext(cancelled, s, Options{}); !errors.Is(err, context.Canceled) || res != nil {
		t.Errorf("cancelled: %v, %v; want context.Canceled and no result", res, err)
	}
}

// The limits leave room for every real scenario: each preset and the
// benchmark timeline use at most a tenth of the work budget.
func TestPresetsUseLittleOfTheBudget(t *testing.T) {
	docs := map[string][]byte{"timeline20": []byte(timeline20)}
	for _, p := range Presets() {
		_, docs[p.Name] = presetScenario(t, p.Name)
	}
	for name, doc := range docs {
		s, err := Decode(doc)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		b := newBudget(context.Background())
		res, candidates, err := evaluateThrough(s, Options{}, len(s.Events)-1, b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		addFixes(s, Options{}, res, candidates, b)
		if used := maxEventEvaluations - b.left; used > maxEventEvaluations/10 {
			t.Errorf("%s used %d of the budget's %d event evaluations; want at most a tenth", name, used, maxEventEvaluations)
		}
		if len(res.Limits) > 0 {
			t.Errorf("%s hit a limit: %+v", name, res.Limits)
		}
	}
}

func sameResult(a, b *Result) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// BenchmarkAdversarialScenarios is each attack's cost within the limits.
func BenchmarkAdversarialScenarios(b *testing.B) {
	for _, c := range limitstest.Cases() {
		if !c.Valid {
			continue
		}
		s, err := Decode(c.Doc)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(strings.ReplaceAll(c.Name, " ", "_"), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				EvaluateContext(context.Background(), s, Options{})
			}
		})
	}
}
