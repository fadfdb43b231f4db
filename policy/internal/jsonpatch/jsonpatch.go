// Package jsonpatch is caplab's one RFC 6902 JSON Patch implementation,
// used by every build of the engine (native and WebAssembly). It works on
// the trees encoding/json decodes into (map[string]any, []any, string,
// json.Number, bool, nil) and enforces limits while it applies: the number
// of operations, and the encoded size and nesting depth of the document
// after every operation. A value is measured before it is inserted, so an
// operation that would grow the document past a limit is refused before
// memory grows.
//
// Pointers follow RFC 6901: "" is the whole document, tokens unescape ~1 to
// "/" and ~0 to "~", an array index is "0" or digits without a leading
// zero, and "-" is the end of an array (for add). As RFC 6902 says, add
// needs the parent to exist; remove, replace, test and the "from" of move
// and copy need the target to exist; move may not move a value into
// itself; test compares numbers by value and objects regardless of member
// order.
package jsonpatch

// Operation is one RFC 6902 operation. Value is any value encoding/json
// can encode; it is copied into the document, never shared with it.
type Operation struct {
	Op    string
	Path  string
	From  string
	Value any
}

// Apply applies ops to a JSON document in order, within lim, and returns
// the patched document; on an error nothing is returned. A patch of more
// than lim.MaxOps operations is refused before any work.
func Apply(doc []byte, ops []Operation, lim Limits) ([]byte, error) {
	if lim.MaxOps > 0 && len(ops) > lim.MaxOps {
		return nil, &LimitError{Kind: LimitOps, Max: lim.MaxOps, Got: len(ops), Op: lim.MaxOps}
	}
	d, err := Parse(doc, lim)
	if err != nil {
		return nil, err
	}
	for _, op := range ops {
		if err := d.Apply(op); err != nil {
			return nil, err
		}
	}
	return d.Bytes()
}
