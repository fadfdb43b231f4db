package jsonpatch

import (
	"encoding/json"
	"testing"

	evanphx "github.com/evanphx/json-patch/v5"
)

// evanphx/json-patch is the reference this package was checked against;
// it stays here, in a test, and nowhere in the engine.

// evanphxOptions are evanphx's defaults without negative array indices
// ("/users/-1" for the last user), which RFC 6902 does not have.
var evanphxOptions = func() *evanphx.ApplyOptions {
	o := evanphx.NewApplyOptions()
	o.SupportNegativeIndices = false
	return o
}()

// wireOp is an Operation as evanphx reads it: an add, replace or test
// always has a value, null when Value is nil.
type wireOp struct {
	Op    string          `json:"op"`
	Path  string          `json:"path"`
	From  string          `json:"from,omitempty"`
	Value json.RawMessage `json:"value,omitempty"`
}

// applyEvanphx applies ops with evanphx/json-patch, for comparisons.
func applyEvanphx(doc []byte, ops []Operation) ([]byte, error) {
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

// TestMatchesEvanphx holds Apply to evanphx's results, except where
// evanphx strays from RFC 6902 (each case's quirk).
func TestMatchesEvanphx(t *testing.T) {
	for _, tc := range patchCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Apply([]byte(patchTestDoc), tc.ops, Limits{})
			ref, refErr := applyEvanphx([]byte(patchTestDoc), tc.ops)
			if tc.quirk != "" {
				if (refErr == nil) == tc.ok {
					t.Errorf("evanphx now follows RFC 6902 here (error %v); drop the quirk %q", refErr, tc.quirk)
				}
				return
			}
			if (refErr == nil) != (err == nil) {
				t.Fatalf("evanphx: error %v; Apply: error %v", refErr, err)
			}
			if err == nil && !sameJSON(t, got, ref) {
				t.Errorf("documents differ:\nApply:   %s\nevanphx: %s", got, ref)
			}
		})
	}
}
