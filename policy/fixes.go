package policy

import (
	"encoding/json"
	"slices"
)

// Limits on fix search, so a denied event costs a bounded number of
// re-evaluations.
const (
	maxFixDepth       = 3  // changes combined into one fix
	maxFixEvaluations = 60 // re-evaluations per denied event
	maxFixesOffered   = 6
)

// addFixes offers, for every denied event, the smallest verified changes
// that make it granted: each candidate patch is applied to the scenario,
// re-evaluated, and kept only if the event flips. A candidate that clears
// one rule but trips a later one is extended with that rule's candidates
// by the same actor.
func addFixes(s *Scenario, opt Options, res *Result, candidates [][]Fix) {
	var doc []byte
	for i := range res.Results {
		if res.Results[i].Outcome != Denied || len(candidates[i]) == 0 || s.Events[i].Do == "admin" || s.Events[i].Do == "wait" {
			continue
		}
		if doc == nil {
			var err error
			if doc, err = json.Marshal(s); err != nil {
				return
			}
		}
		res.Results[i].Fixes = verifiedFixes(s, doc, i, candidates[i], opt)
	}
}

// verifiedFixes searches breadth-first: single changes first, then a change
// extended by what the next failing rule suggests. Candidates are tried on
// Go values (patchStruct); a winner is re-applied as a JSON Patch to the
// document and fully decoded, so what is offered applies as is.
func verifiedFixes(s *Scenario, doc []byte, event int, candidates []Fix, opt Options) []Fix {
	budget := maxFixEvaluations
	var found []Fix
	seen := map[string]bool{}
	queue := slices.Clone(candidates)
	for len(queue) > 0 && budget > 0 && len(found) < maxFixesOffered {
		c := queue[0]
		queue = queue[1:]
		key := patchKey(c.Patch)
		if seen[key] || len(c.Patch) == 0 {
			continue
		}
		seen[key] = true
		budget--
		s2, err := patchStruct(s, c.Patch)
		if err != nil || event >= len(s2.Events) || !referencesValid(s2) {
			continue
		}
		res2, cand2 := evaluateThrough(s2, Options{Now: opt.Now, NoFixes: true, verifying: true}, event)
		if res2.Results[event].Outcome == Granted {
			if ops, ok := confirmFix(doc, c.Patch, event, opt); ok {
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
// this JSON path for every fix they see.
func confirmFix(doc []byte, ops []PatchOp, event int, opt Options) ([]PatchOp, bool) {
	patched, applied, err := applyPatch(doc, ops)
	if err != nil {
		return nil, false
	}
	s, ok := decodePatched(patched)
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
