package policy

import (
	"encoding/json"
	"slices"
	"strconv"
)

// Limits on fix search, so a denied event costs a bounded number of
// re-evaluations.
const (
	maxFixDepth       = 3  // changes combined into one fix
	maxFixEvaluations = 60 // re-evaluations per denied event (all of them share maxEventEvaluations)
	maxFixesOffered   = 6
)

// addFixes offers, for every denied event, the smallest verified changes
// that make it granted: each candidate patch is applied to the scenario,
// re-evaluated, and kept only if the event flips. A candidate that clears
// one rule but trips a later one is extended with that rule's candidates
// by the same actor. The search spends the evaluation's work budget; when
// that runs out it stops, and the events it did not finish say so.
func addFixes(s *Scenario, opt Options, res *Result, candidates [][]Fix, b *budget) {
	var doc []byte
	var cut []int // denied events whose search stopped or never started
	for i := range res.Results {
		if res.Results[i].Outcome != Denied || len(candidates[i]) == 0 || s.Events[i].Do == "admin" || s.Events[i].Do == "wait" {
			continue
		}
		if doc == nil && b.stopped() == nil {
			var err error
			if doc, err = json.Marshal(s); err != nil {
				return
			}
			b.spend(jsonWork(len(doc)))
		}
		if b.stopped() != nil {
			cut = append(cut, i)
			continue
		}
		fixes, complete := verifiedFixes(s, doc, i, candidates[i], opt, b)
		res.Results[i].Fixes = fixes
		if !complete {
			cut = append(cut, i)
		}
	}
	le, ok := b.stopped().(*LimitError)
	if len(cut) == 0 || !ok {
		return // a cancelled context: EvaluateContext returns its error
	}
	for n, i := range cut {
		because := "fix search stopped before this event: " + le.Message + "; its fixes were not searched"
		if n == 0 {
			because = "fix search stopped while checking this event's fixes: " + le.Message + "; the fixes shown, if any, are the ones verified before it did"
		}
		r := &res.Results[i]
		r.Trace = append(r.Trace, TraceStep{Rule: "limit." + le.Limit, Outcome: StepInfo, Because: because})
	}
	res.Limits = append(res.Limits, LimitNote{Limit: le.Limit, Max: le.Max, Events: cut,
		Message: "fix search stopped at event " + strconv.Itoa(cut[0]+1) + ": " + le.Message})
}

// verifiedFixes searches breadth-first: single changes first, then a change
// extended by what the next failing rule suggests. Candidates are tried on
// Go values (patchStruct); a winner is re-applied as a JSON Patch to the
// document and fully decoded, so what is offered applies as is. complete
// is false when the work budget ran out before the search ended.
func verifiedFixes(s *Scenario, doc []byte, event int, candidates []Fix, opt Options, b *budget) (fixes []Fix, complete bool) {
	tries := maxFixEvaluations
	var found []Fix
	seen := map[string]bool{}
	queue := slices.Clone(candidates)
	for len(queue) > 0 && tries > 0 && len(found) < maxFixesOffered {
		c := queue[0]
		queue = queue[1:]
		key := patchKey(c.Patch)
		if seen[key] || len(c.Patch) == 0 {
			continue
		}
		seen[key] = true
		tries--
		if !b.spend(1) {
			return bySize(found), false
		}
		s2, err := patchStruct(s, c.Patch)
		if err != nil || event >= len(s2.Events) || !referencesValid(s2) {
			continue
		}
		res2, cand2, err := evaluateThrough(s2, Options{Now: opt.Now, NoFixes: true, verifying: true}, event, b)
		if b.stopped() != nil {
			return bySize(found), false
		}
		if err != nil {
			continue // the change makes an admin patch go past a limit
		}
		if res2.Results[event].Outcome == Granted {
			if ops, ok := confirmFix(doc, c.Patch, event, b); ok {
				c.Patch = ops
				found = append(found, c)
			}
			continue
		}
		if len(c.Patch) >= maxFixDepth*2 {
			continue
		}
		for _, next := range cand2[event] {
			if next.Actor != c.Actor || len(next.Patch) == 0 {
				continue
			}
			queue = append(queue, Fix{Actor: c.Actor, Summary: c.Summary + "; and " + lowerFirst(next.Summary), Patch: append(slices.Clone(c.Patch), next.Patch...)})
		}
	}
	return bySize(found), true
}

// bySize orders fixes by the number of operations, stably.
func bySize(found []Fix) []Fix {
	if len(found) < 2 {
		return found
	}
	sizes := make([]int, len(found))
	for i, f := range found {
		sizes[i] = len(f.Patch)
	}
	sorted := make([]Fix, len(found))
	for i, j := range stableOrder(sizes) {
		sorted[i] = found[j]
	}
	return sorted
}

// confirmFix applies the fix as a real JSON Patch to the scenario document
// and decodes the result with every check: the offered patch (with omitted
// members spelled out) applies as is and leaves a valid scenario. That it
// flips the event was shown on the Go values; the tests re-check it through
// this JSON path for every fix they see. The JSON handled is charged to b.
func confirmFix(doc []byte, ops []PatchOp, event int, b *budget) ([]PatchOp, bool) {
	patched, applied, work, err := applyPatch(doc, ops)
	b.spend(jsonWork(work))
	if err != nil {
		return nil, false
	}
	s, ok := decodePatched(patched)
	b.spend(jsonWork(len(patched)))
	return applied, ok && event < len(s.Events)
}

// referencesValid runs the decoder's cross-reference checks (names of
// orgs, apps, users, permission sets) on a patched scenario.
func referencesValid(s *Scenario) bool {
	d := &decoding{}
	d.crossCheck(s)
	return len(d.probs) == 0
}

func patchKey(ops []PatchOp) string {
	b, _ := json.Marshal(ops)
	return string(b)
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	b := []byte(s)
	if b[0] >= 'A' && b[0] <= 'Z' {
		b[0] += 'a' - 'A'
	}
	return string(b)
}

// decodePatched decodes a scenario our own patch produced from a valid one:
// the JSON is well formed with known fields, so the positional scan Decode
// does for error messages is skipped; the value rules and references are
// still checked, since a fix must leave a valid scenario.
func decodePatched(data []byte) (*Scenario, bool) {
	var s Scenario
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, false
	}
	d := &decoding{data: data}
	d.validate(&s)
	d.crossCheck(&s)
	return &s, len(d.probs) == 0
}
