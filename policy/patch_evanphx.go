//go:build !js

package policy

import (
	"encoding/json"

	jsonpatch "github.com/evanphx/json-patch/v5"
)

// patchOptions are evanphx's defaults without negative array indices
// ("/users/-1" for the last user), which RFC 6902 does not have and the
// browser build's applyJSONPatch refuses.
var patchOptions = func() *jsonpatch.ApplyOptions {
	o := jsonpatch.NewApplyOptions()
	o.SupportNegativeIndices = false
	return o
}()

// wireOp is a PatchOp as evanphx reads it: an add, replace or test always
// has a value, null when PatchOp's is nil (which PatchOp's JSON omits).
type wireOp struct {
	Op    string          `json:"op"`
	Path  string          `json:"path"`
	From  string          `json:"from,omitempty"`
	Value json.RawMessage `json:"value,omitempty"`
}

// applyOps applies ops in order with evanphx/json-patch.
func applyOps(doc []byte, ops []PatchOp) ([]byte, error) {
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
	p, err := jsonpatch.DecodePatch(b)
	if err != nil {
		return nil, err
	}
	return p.ApplyWithOptions(doc, patchOptions)
}
