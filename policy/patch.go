package policy

import (
	"fmt"
	"strings"
)

// applyPatch applies RFC 6902 operations one by one. Fixes are written
// against the scenario's Go shape, where empty arrays and objects are
// omitted from the JSON; an "add …/-" to a missing array or a "replace" of a
// missing member is rewritten to the equivalent valid operation, and the
// rewritten patch is returned so what is offered applies as is.
//
// applyOps applies a patch with evanphx/json-patch in the native build
// (patch_evanphx.go) and with applyJSONPatch in the browser build
// (patch_js.go).
func applyPatch(doc []byte, ops []PatchOp) ([]byte, []PatchOp, error) {
	return applyPatchWith(doc, ops, applyOps)
}

// applyPatchWith is applyPatch with apply for the JSON Patches.
func applyPatchWith(doc []byte, ops []PatchOp, apply func(doc []byte, ops []PatchOp) ([]byte, error)) ([]byte, []PatchOp, error) {
	applyOne := func(doc []byte, op PatchOp) ([]byte, error) { return apply(doc, []PatchOp{op}) }
	if len(ops) > 1 {
		// Most patches apply as written: one parse of the document.
		if next, err := apply(doc, ops); err == nil {
			return next, ops, nil
		}
	}
	out := make([]PatchOp, 0, len(ops))
	for i, op := range ops {
		next, err := applyOne(doc, op)
		if err != nil {
			alt, ok := rewriteOp(op)
			if !ok {
				return nil, nil, fmt.Errorf("operation %d (%s %s): %v", i, op.Op, op.Path, err)
			}
			if next, err = applyOne(doc, alt); err != nil {
				// A member of an omitted object (an org's "settings", say):
				// add the object with that member.
				nested, ok := nestOp(alt)
				if !ok {
					return nil, nil, fmt.Errorf("operation %d (%s %s): %v", i, op.Op, op.Path, err)
				}
				if next, err = applyOne(doc, nested); err != nil {
					return nil, nil, fmt.Errorf("operation %d (%s %s): %v", i, op.Op, op.Path, err)
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
