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
	var cut []int // denied events whose search stopped or never started
	for i := range res.Results {
		if res.Results[i].Outcome != Denied || len(candidates[i]) == 0 || s.Events[i].Do == "admin" || s.Events[i].Do == "wait" {
			continue
		}
		if b.stopped() != nil {
			cut = append(cut, i)
			continue
		}
		fixes, complete := verifiedFixes(s, i, candidates[i], opt, b)
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
// Go values (patchStruct); a winner is offered as the JSON Patch that
// applies to the scenario's document as is (fixOffer). complete is
// false when the work budget ran out before the search ended.
func verifiedFixes(s *Scenario, event int, candidates []Fix, opt Options, b *budget) (fixes []Fix, complete bool) {
	tries := maxFixEvaluations
	var found []Fix
	seen := map[string]bool{}
	queue := slices.Clone(candidates)
	offers := fixOffer{s: s, b: b}
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
		if err != nil || event >= len(s2.Events) || (patchTouchesReferences(c.Patch) && !referencesValid(s2)) {
			continue
		}
		granted, cand2, err := verifyEvent(s2, opt.Now, event, b)
		if b.stopped() != nil {
			return bySize(found), false
		}
		if err != nil {
			continue // the change makes an admin patch go past a limit
		}
		if granted {
			if ops, ok := offers.offer(s2, c.Patch, event); ok {
				c.Patch = ops
				found = append(found, c)
			}
			continue
		}
		if len(c.Patch) >= maxFixDepth*2 {
			continue
		}
		for _, next := range cand2 {
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
