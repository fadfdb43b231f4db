package policy

import (
	"errors"
	"fmt"
	"strings"

	"github.com/caplab/caplab/policy/internal/jsonpatch"
)

// patchLimits are the jsonpatch limits of a patch of n operations on a
// scenario document.
func patchLimits(n int) jsonpatch.Limits {
	return jsonpatch.Limits{MaxOps: n, MaxBytes: maxPatchedScenarioBytes, MaxDepth: maxPatchDepth}
}

// applyPatch applies RFC 6902 operations one by one to a scenario document,
// within patchLimits. Fixes are written against the scenario's Go shape,
// where empty arrays and objects are omitted from the JSON; an "add …/-" to
// a missing array or a "replace" of a missing member is rewritten to the
// equivalent valid operation, and the rewritten patch is returned so what
// is offered applies as is. work is the JSON handled, in bytes, for the
// work budget. A limit is a *jsonpatch.LimitError, never rewritten around.
func applyPatch(doc []byte, ops []PatchOp) (patched []byte, applied []PatchOp, work int, err error) {
	d, err := jsonpatch.Parse(doc, patchLimits(len(ops)))
	if err != nil {
		return nil, nil, len(doc), err
	}
	applied, err = applyOps(d, ops)
	work = len(doc) + d.Work()
	if err != nil {
		return nil, nil, work, err
	}
	patched, err = d.Bytes()
	return patched, applied, work + len(patched), err
}

// applyOps applies ops to d with applyPatch's rewrites.
func applyOps(d *jsonpatch.Document, ops []PatchOp) ([]PatchOp, error) {
	var le *jsonpatch.LimitError
	applied := make([]PatchOp, 0, len(ops))
	for i, op := range ops {
		done := op // as applied, perhaps rewritten
		err := d.Apply(jsonpatch.Operation(op))
		if err != nil && !errors.As(err, &le) {
			if alt, ok := rewriteOp(op); ok {
				done = alt
				if err = d.Apply(jsonpatch.Operation(alt)); err != nil && !errors.As(err, &le) {
					// A member of an omitted object (an org's "settings",
					// say): add the object with that member.
					if nested, ok := nestOp(alt); ok {
						done = nested
						err = d.Apply(jsonpatch.Operation(nested))
					}
				}
			}
		}
		if err != nil {
			return nil, fmt.Errorf("operation %d (%s %s): %w", i, op.Op, op.Path, err)
		}
		applied = append(applied, done)
	}
	return applied, nil
}

func rewriteOp(op PatchOp) (PatchOp, bool) {
	switch {
	case op.Op == "add" && strings.HasSuffix(op.Path, "/-"):
		return PatchOp{Op: "add", Path: strings.TrimSuffix(op.Path, "/-"), Value: []any{op.Value}}, true
	case op.Op == "replace":
		return PatchOp{Op: "add", Path: op.Path, Value: op.Value}, true
	}
	return op, false
}

// nestOp turns "add /a/b/key value" into "add /a/b {key: value}" for a key
// that names an object member, for when /a/b itself is missing.
func nestOp(op PatchOp) (PatchOp, bool) {
	i := strings.LastIndex(op.Path, "/")
	if op.Op != "add" || i <= 0 {
		return op, false
	}
	key := op.Path[i+1:]
	if key == "" || key == "-" || strings.Trim(key, "0123456789") == "" {
		return op, false
	}
	key = unescapePointer(key)
	return PatchOp{Op: "add", Path: op.Path[:i], Value: map[string]any{key: op.Value}}, true
}
