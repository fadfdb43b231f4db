package policy

import (
	"encoding/json"
	"fmt"
	"strings"

	jsonpatch "github.com/evanphx/json-patch/v5"
)

// applyPatch applies RFC 6902 operations one by one. Fixes are written
// against the scenario's Go shape, where empty arrays and objects are
// omitted from the JSON; an "add …/-" to a missing array or a "replace" of a
// missing member is rewritten to the equivalent valid operation, and the
// rewritten patch is returned so what is offered applies as is.
func applyPatch(doc []byte, ops []PatchOp) ([]byte, []PatchOp, error) {
	if len(ops) > 1 {
		// Most patches apply as written: one parse of the document.
		if next, err := applyAll(doc, ops); err == nil {
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

func applyAll(doc []byte, ops []PatchOp) ([]byte, error) {
	for _, op := range ops {
		if op.Value == nil && (op.Op == "add" || op.Op == "replace" || op.Op == "test") {
			return nil, fmt.Errorf("null value: apply one by one")
		}
	}
	b, err := json.Marshal(ops)
	if err != nil {
		return nil, err
	}
	p, err := jsonpatch.DecodePatch(b)
	if err != nil {
		return nil, err
	}
	return p.Apply(doc)
}

func applyOne(doc []byte, op PatchOp) ([]byte, error) {
	b, err := json.Marshal([]PatchOp{op})
	if err != nil {
		return nil, err
	}
	if op.Value == nil && (op.Op == "add" || op.Op == "replace" || op.Op == "test") {
		// PatchOp omits a nil value; say it explicitly.
		b = []byte(strings.TrimSuffix(string(b), "}]") + `,"value":null}]`)
	}
	p, err := jsonpatch.DecodePatch(b)
	if err != nil {
		return nil, err
	}
	return p.Apply(doc)
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
	key = strings.ReplaceAll(strings.ReplaceAll(key, "~1", "/"), "~0", "~")
	return PatchOp{Op: "add", Path: op.Path[:i], Value: map[string]any{key: op.Value}}, true
}
