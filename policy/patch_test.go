package policy

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	evanphx "github.com/evanphx/json-patch/v5"

	"github.com/caplab/caplab/policy/internal/jsonpatch"
)

// The engine applies JSON Patches with policy/internal/jsonpatch in every
// build. evanphx/json-patch, which the native build used before, stays
// here as a reference: for every fix candidate the engine produces, both
// apply it alike.

// evanphxOptions are evanphx's defaults without negative array indices,
// which RFC 6902 does not have.
var evanphxOptions = func() *evanphx.ApplyOptions {
	o := evanphx.NewApplyOptions()
	o.SupportNegativeIndices = false
	return o
}()

// evanphxPatch applies ops with evanphx/json-patch. An add, replace or
// test always carries a value for it, null when PatchOp's is nil.
func evanphxPatch(doc []byte, ops []PatchOp) ([]byte, error) {
	type wireOp struct {
		Op    string          `json:"op"`
		Path  string          `json:"path"`
		From  string          `json:"from,omitempty"`
		Value json.RawMessage `json:"value,omitempty"`
	}
	wire := make([]wireOp, len(ops))
	for i, op := range ops {
		wire[i] = wireOp{Op: op.Op, Path: op.Path, From: op.From}
		if op.Value != nil || op.Op == "add" || op.Op == "replace" || op.Op == "test" {
			v, err := json.Marshal(op.Value)
			if err != nil {
				return nil, err
			}
			wire[i].Value = v
		}
	}
	b, err := json.Marshal(wire)
	if err != nil {
		return nil, err
	}
	p, err := evanphx.DecodePatch(b)
	if err != nil {
		return nil, err
	}
	return p.ApplyWithOptions(doc, evanphxOptions)
}

// evanphxApplyPatch is applyPatch's rewrites with evanphx applying.
func evanphxApplyPatch(doc []byte, ops []PatchOp) ([]byte, []PatchOp, error) {
	one := func(doc []byte, op PatchOp) ([]byte, error) { return evanphxPatch(doc, []PatchOp{op}) }
	out := make([]PatchOp, 0, len(ops))
	for i, op := range ops {
		next, err := one(doc, op)
		if err != nil {
			alt, ok := rewriteOp(op)
			if !ok {
				return nil, nil, fmt.Errorf("operation %d: %v", i, err)
			}
			if next, err = one(doc, alt); err != nil {
				nested, ok := nestOp(alt)
				if !ok {
					return nil, nil, fmt.Errorf("operation %d: %v", i, err)
				}
				if next, err = one(doc, nested); err != nil {
					return nil, nil, fmt.Errorf("operation %d: %v", i, err)
				}
				alt = nested
			}
			op = alt
		}
		doc = next
		out = append(out, op)
	}
	return doc, out, nil
}

// sameJSON reports whether two documents hold the same values, member order
// and formatting aside.
func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatalf("%s: %v", a, err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return reflect.DeepEqual(x, y)
}

// Every fix candidate of every preset and rule table, offered or not: the
// engine's patch and evanphx apply it the same, or both fail, and
// applyPatch (with its rewrites) gives the same document either way.
func TestJSONPatchMatchesEvanphxOnFixes(t *testing.T) {
	scenarios := presetAndRuleScenarios(t)
	patches, offered := 0, 0
	for si, s := range scenarios {
		doc, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		_, candidates, _ := evaluateThrough(s, Options{}, len(s.Events)-1, nil)
		var all [][]PatchOp
		for _, cs := range candidates {
			for _, c := range cs {
				all = append(all, c.Patch)
			}
		}
		for _, r := range Evaluate(s, Options{}).Results {
			for _, f := range r.Fixes {
				all = append(all, f.Patch)
				offered++
			}
		}
		for _, ops := range all {
			patches++
			where := fmt.Sprintf("scenario %d, patch %s", si, patchKey(ops))
			jops := make([]jsonpatch.Operation, len(ops))
			for i, op := range ops {
				jops[i] = jsonpatch.Operation(op)
			}
			got, err := jsonpatch.Apply(doc, jops, jsonpatch.Limits{})
			ref, refErr := evanphxPatch(doc, ops)
			if (err == nil) != (refErr == nil) {
				t.Errorf("%s: jsonpatch error %v; evanphx error %v", where, err, refErr)
				continue
			}
			if err == nil && !sameJSON(t, got, ref) {
				t.Errorf("%s: documents differ", where)
			}
			want, wantOps, wantErr := evanphxApplyPatch(doc, ops)
			mine, mineOps, _, mineErr := applyPatch(doc, ops)
			if (wantErr == nil) != (mineErr == nil) || patchKey(wantOps) != patchKey(mineOps) {
				t.Errorf("%s: applyPatch: evanphx %s %v; engine %s %v", where, patchKey(wantOps), wantErr, patchKey(mineOps), mineErr)
				continue
			}
			if wantErr == nil && !sameJSON(t, want, mine) {
				t.Errorf("%s: applyPatch documents differ", where)
			}
		}
	}
	if offered < 20 || patches < 100 {
		t.Errorf("checked %d patches, %d of them offered fixes; want more", patches, offered)
	}
	t.Logf("%d patches, %d offered fixes", patches, offered)
}

// applyPatch stops at a limit rather than rewriting around it, and says
// which operation hit it.
func TestApplyPatchStopsAtLimits(t *testing.T) {
	doc, err := json.Marshal(baseScenario())
	if err != nil {
		t.Fatal(err)
	}
	grow := PatchOp{Op: "copy", From: "/orgs", Path: "/orgs/-"}
	ops := []PatchOp{{Op: "replace", Path: "/title", Value: "t"}}
	for range 30 {
		ops = append(ops, grow)
	}
	_, _, work, err := applyPatch(doc, ops)
	var le *jsonpatch.LimitError
	if !errors.As(err, &le) || le.Kind != jsonpatch.LimitBytes || le.Max != maxPatchedScenarioBytes {
		t.Fatalf("error %v; want a LimitBytes jsonpatch.LimitError", err)
	}
	if !strings.HasPrefix(err.Error(), fmt.Sprintf("operation %d (copy /orgs/-)", le.Op)) || le.Op < 5 || le.Op > 20 {
		t.Errorf("error %q (operation %d); want it to name the copy that went past the limit", err, le.Op)
	}
	if work < len(doc) || work > 4*maxPatchedScenarioBytes {
		t.Errorf("work %d; want the JSON handled: at least the document (%d), at most a few times the limit", work, len(doc))
	}
}
