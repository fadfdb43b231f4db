package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"
)

// A small RFC 6902 JSON Patch over the trees encoding/json decodes into
// (map[string]any, []any, string, json.Number, bool, nil), for the browser
// build: evanphx/json-patch, which the native build uses, brings its own
// JSON package and doubles the patch code in the WebAssembly module.
// TestJSONPatchMatchesEvanphx holds the two to the same documents.
//
// Pointers follow RFC 6901: "" is the whole document, tokens unescape ~1 to
// "/" and ~0 to "~", an array index is "0" or digits without a leading
// zero, and "-" is the end of an array (for add). As RFC 6902 says, add
// needs the parent to exist; remove, replace, test and the "from" of move
// and copy need the target to exist; move may not move a value into
// itself; test compares numbers by value and objects regardless of member
// order.

// applyJSONPatch applies ops to a JSON document in order; on an error the
// document is left as it was.
func applyJSONPatch(doc []byte, ops []PatchOp) ([]byte, error) {
	root, err := decodeJSONTree(doc)
	if err != nil {
		return nil, err
	}
	for _, op := range ops {
		if root, err = applyTreeOp(root, op); err != nil {
			return nil, err
		}
	}
	return json.Marshal(root)
}

// decodeJSONTree decodes JSON keeping numbers as written.
func decodeJSONTree(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("invalid JSON: data after the value")
	}
	return v, nil
}

// patchValue is an operation's value as a tree; nil is null.
func patchValue(op PatchOp) (any, error) {
	b, err := json.Marshal(op.Value)
	if err != nil {
		return nil, err
	}
	return decodeJSONTree(b)
}

// applyTreeOp applies one operation and returns the new root.
func applyTreeOp(root any, op PatchOp) (any, error) {
	path, err := splitJSONPointer(op.Path)
	if err != nil {
		return nil, err
	}
	var from []string
	switch op.Op {
	case "add", "replace", "test":
		value, err := patchValue(op)
		if err != nil {
			return nil, err
		}
		switch op.Op {
		case "add":
			return treeAdd(root, path, value)
		case "replace":
			return treeReplace(root, path, value)
		}
		target, err := treeGet(root, path)
		if err != nil {
			return nil, err
		}
		if !jsonEqual(target, value) {
			return nil, errors.New("test failed: the value at " + strconv.Quote(op.Path) + " differs")
		}
		return root, nil
	case "remove":
		return treeRemove(root, path)
	case "move", "copy":
		if op.From == "" {
			return nil, errors.New(op.Op + " needs a \"from\" location")
		}
		if from, err = splitJSONPointer(op.From); err != nil {
			return nil, err
		}
	default:
		return nil, errors.New("unknown operation " + strconv.Quote(op.Op))
	}
	value, err := treeGet(root, from)
	if err != nil {
		return nil, err
	}
	if op.Op == "copy" {
		return treeAdd(root, path, copyTree(value))
	}
	if isPrefix(from, path) {
		if len(from) == len(path) {
			return root, nil // moving a value onto itself
		}
		return nil, errors.New("cannot move " + strconv.Quote(op.From) + " into itself")
	}
	if root, err = treeRemove(root, from); err != nil {
		return nil, err
	}
	return treeAdd(root, path, value)
}

// splitJSONPointer splits an RFC 6901 pointer into unescaped tokens.
func splitJSONPointer(p string) ([]string, error) {
	if p == "" {
		return nil, nil
	}
	if p[0] != '/' {
		return nil, errors.New("path " + strconv.Quote(p) + " is not a JSON pointer: it must be \"\" or start with \"/\"")
	}
	tokens := strings.Split(p[1:], "/")
	for i, t := range tokens {
		if !strings.Contains(t, "~") {
			continue
		}
		var b strings.Builder
		for j := 0; j < len(t); j++ {
			switch {
			case t[j] != '~':
				b.WriteByte(t[j])
			case j+1 < len(t) && t[j+1] == '0':
				b.WriteByte('~')
				j++
			case j+1 < len(t) && t[j+1] == '1':
				b.WriteByte('/')
				j++
			default:
				return nil, errors.New("path " + strconv.Quote(p) + ": \"~\" must be followed by 0 or 1")
			}
		}
		tokens[i] = b.String()
	}
	return tokens, nil
}

// pointerText is tokens as a pointer again, for messages.
func pointerText(tokens []string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(escapePointer(t))
	}
	return strconv.Quote(b.String())
}

func isPrefix(prefix, tokens []string) bool {
	if len(prefix) > len(tokens) {
		return false
	}
	for i := range prefix {
		if prefix[i] != tokens[i] {
			return false
		}
	}
	return true
}

// arrayIndex parses an array index token: 0 ≤ index < limit.
func arrayIndex(token string, limit int, at []string) (int, error) {
	n, err := strconv.Atoi(token)
	if err != nil || n < 0 || token != strconv.Itoa(n) {
		return 0, errors.New(pointerText(at) + ": " + strconv.Quote(token) + " is not an array index")
	}
	if n >= limit {
		return 0, errors.New(pointerText(at) + ": index " + token + " is out of range (the array has " + strconv.Itoa(limit) + " items)")
	}
	return n, nil
}

// treeGet is the value at tokens; it must exist.
func treeGet(node any, tokens []string) (any, error) {
	for i, t := range tokens {
		switch n := node.(type) {
		case map[string]any:
			v, ok := n[t]
			if !ok {
				return nil, errors.New(pointerText(tokens[:i+1]) + " does not exist")
			}
			node = v
		case []any:
			idx, err := arrayIndex(t, len(n), tokens[:i+1])
			if err != nil {
				return nil, err
			}
			node = n[idx]
		default:
			return nil, errors.New(pointerText(tokens[:i+1]) + " does not exist: " + pointerText(tokens[:i]) + " is not an object or array")
		}
	}
	return node, nil
}

// treeEdit applies edit to the container that holds the last token (which
// must exist) and stores what edit returns in its place, so that edits of
// arrays can grow or shrink them. With no tokens, edit gets the root.
func treeEdit(root any, tokens []string, edit func(parent any, last string) (any, error)) (any, error) {
	if len(tokens) == 0 {
		return edit(nil, "")
	}
	parent, err := treeGet(root, tokens[:len(tokens)-1])
	if err != nil {
		return nil, err
	}
	if _, ok := parent.([]any); !ok {
		if _, ok := parent.(map[string]any); !ok {
			return nil, errors.New(pointerText(tokens) + " does not exist: " + pointerText(tokens[:len(tokens)-1]) + " is not an object or array")
		}
	}
	edited, err := edit(parent, tokens[len(tokens)-1])
	if err != nil || len(tokens) == 1 {
		return edited, err
	}
	// Store the edited container in its own parent (a map edited in
	// place is stored again, harmlessly).
	grand, _ := treeGet(root, tokens[:len(tokens)-2])
	switch g := grand.(type) {
	case map[string]any:
		g[tokens[len(tokens)-2]] = edited
	case []any:
		idx, _ := strconv.Atoi(tokens[len(tokens)-2])
		g[idx] = edited
	}
	return root, nil
}

func treeAdd(root any, tokens []string, value any) (any, error) {
	return treeEdit(root, tokens, func(parent any, last string) (any, error) {
		switch p := parent.(type) {
		case nil:
			return value, nil // the whole document
		case map[string]any:
			p[last] = value
			return p, nil
		case []any:
			idx := len(p)
			if last != "-" {
				var err error
				if idx, err = arrayIndex(last, len(p)+1, tokens); err != nil {
					return nil, err
				}
			}
			p = append(p, nil)
			copy(p[idx+1:], p[idx:])
			p[idx] = value
			return p, nil
		}
		panic("unreachable")
	})
}

func treeRemove(root any, tokens []string) (any, error) {
	if len(tokens) == 0 {
		return nil, errors.New("cannot remove the whole document")
	}
	return treeEdit(root, tokens, func(parent any, last string) (any, error) {
		switch p := parent.(type) {
		case map[string]any:
			if _, ok := p[last]; !ok {
				return nil, errors.New(pointerText(tokens) + " does not exist")
			}
			delete(p, last)
			return p, nil
		case []any:
			idx, err := arrayIndex(last, len(p), tokens)
			if err != nil {
				return nil, err
			}
			return append(p[:idx], p[idx+1:]...), nil
		}
		panic("unreachable")
	})
}

func treeReplace(root any, tokens []string, value any) (any, error) {
	return treeEdit(root, tokens, func(parent any, last string) (any, error) {
		switch p := parent.(type) {
		case nil:
			return value, nil // the whole document
		case map[string]any:
			if _, ok := p[last]; !ok {
				return nil, errors.New(pointerText(tokens) + " does not exist")
			}
			p[last] = value
			return p, nil
		case []any:
			idx, err := arrayIndex(last, len(p), tokens)
			if err != nil {
				return nil, err
			}
			p[idx] = value
			return p, nil
		}
		panic("unreachable")
	})
}

// copyTree copies a tree deeply, so a copied value and its source can be
// changed apart.
func copyTree(v any) any {
	switch v := v.(type) {
	case map[string]any:
		c := make(map[string]any, len(v))
		for k, x := range v {
			c[k] = copyTree(x)
		}
		return c
	case []any:
		c := make([]any, len(v))
		for i, x := range v {
			c[i] = copyTree(x)
		}
		return c
	}
	return v
}

// jsonEqual is RFC 6902's equality for test: same type; numbers equal in
// value; arrays item by item; objects with the same members.
func jsonEqual(a, b any) bool {
	switch a := a.(type) {
	case map[string]any:
		b, ok := b.(map[string]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for k, x := range a {
			y, ok := b[k]
			if !ok || !jsonEqual(x, y) {
				return false
			}
		}
		return true
	case []any:
		b, ok := b.([]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for i := range a {
			if !jsonEqual(a[i], b[i]) {
				return false
			}
		}
		return true
	case json.Number:
		b, ok := b.(json.Number)
		return ok && numbersEqual(string(a), string(b))
	}
	return a == b // string, bool or nil
}

// numbersEqual compares JSON numbers by value: integers exactly, others
// as float64.
func numbersEqual(a, b string) bool {
	if a == b {
		return true
	}
	isInt := func(s string) bool { return !strings.ContainsAny(s, ".eE") }
	if isInt(a) && isInt(b) {
		return strings.TrimPrefix(a, "-") == "0" && strings.TrimPrefix(b, "-") == "0" // -0 and 0
	}
	x, err1 := strconv.ParseFloat(a, 64)
	y, err2 := strconv.ParseFloat(b, 64)
	return err1 == nil && err2 == nil && x == y
}
