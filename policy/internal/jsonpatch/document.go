package jsonpatch

import (
	"encoding/json"
	"errors"
	"slices"
	"strconv"
)

// Document is a JSON document being patched. It keeps its encoded size up
// to date as operations apply, so limits are checked without encoding.
type Document struct {
	root any
	size int // of root, encoded as Bytes encodes it
	ops  int // operations applied
	work int // bytes of values measured, copied or compared
	lim  Limits
}

// Parse decodes a JSON document (numbers kept as written) to patch within
// lim; a document already larger than lim.MaxBytes is refused.
func Parse(data []byte, lim Limits) (*Document, error) {
	root, err := decode(data)
	if err != nil {
		return nil, err
	}
	d := &Document{root: root, size: sizeOf(root), lim: lim}
	if lim.MaxBytes > 0 && d.size > lim.MaxBytes {
		return nil, &LimitError{Kind: LimitBytes, Max: lim.MaxBytes, Got: d.size, Op: -1}
	}
	return d, nil
}

// Size is the length of what Bytes returns.
func (d *Document) Size() int { return d.size }

// Work is how much the operations so far have handled: the encoded bytes
// of the values they measured, copied or compared, refused ones included.
// It lets a caller count the cost of patching without timing it.
func (d *Document) Work() int { return d.work }

// Bytes encodes the document with json.Marshal: compact, object members
// sorted, HTML characters escaped. (A json.Encoder into a buffer of Size
// bytes would save a copy but adds 5 KB to the WebAssembly module.)
func (d *Document) Bytes() ([]byte, error) {
	return json.Marshal(d.root)
}

// Apply applies one operation. On an error, a *LimitError among them, the
// document is left as it was.
func (d *Document) Apply(op Operation) error {
	if d.lim.MaxOps > 0 && d.ops >= d.lim.MaxOps {
		return &LimitError{Kind: LimitOps, Max: d.lim.MaxOps, Got: d.ops + 1, Op: d.ops}
	}
	path, err := splitPointer(op.Path)
	if err != nil {
		return err
	}
	switch op.Op {
	case "add", "replace", "test":
		var v any
		if v, err = normalize(op.Value); err != nil {
			return err
		}
		switch op.Op {
		case "add":
			err = d.add(path, v, false)
		case "replace":
			err = d.replace(path, v)
		default:
			err = d.test(path, v, op.Path)
		}
	case "remove":
		_, _, err = d.remove(path)
	case "move", "copy":
		if op.From == "" {
			return errors.New(op.Op + ` needs a "from" location`)
		}
		var from []string
		if from, err = splitPointer(op.From); err != nil {
			return err
		}
		if op.Op == "copy" {
			err = d.copy(from, path)
		} else {
			err = d.move(from, path, op.From)
		}
	default:
		return errors.New("unknown operation " + strconv.Quote(op.Op))
	}
	if err == nil {
		d.ops++
	}
	return err
}

// ref is a place that holds a value: the root, an object's member or an
// array's item.
type ref struct {
	d   *Document
	obj map[string]any // a member: obj[key]
	key string
	arr []any // an item: arr[idx]
	idx int
}

func (r ref) get() any {
	switch {
	case r.obj != nil:
		return r.obj[r.key]
	case r.arr != nil:
		return r.arr[r.idx]
	}
	return r.d.root
}

func (r ref) set(v any) {
	switch {
	case r.obj != nil:
		r.obj[r.key] = v
	case r.arr != nil:
		r.arr[r.idx] = v
	default:
		r.d.root = v
	}
}

// resolve is the place of the value at tokens, which must exist.
func (d *Document) resolve(tokens []string) (ref, error) {
	r := ref{d: d}
	for i, t := range tokens {
		switch n := r.get().(type) {
		case map[string]any:
			if _, ok := n[t]; !ok {
				return r, errors.New(pointerText(tokens[:i+1]) + " does not exist")
			}
			r = ref{d: d, obj: n, key: t}
		case []any:
			idx, err := arrayIndex(t, len(n), tokens[:i+1])
			if err != nil {
				return r, err
			}
			r = ref{d: d, arr: n, idx: idx}
		default:
			return r, notContainer(tokens[:i+1])
		}
	}
	return r, nil
}

func notContainer(tokens []string) error {
	return errors.New(pointerText(tokens) + " does not exist: " + pointerText(tokens[:len(tokens)-1]) + " is not an object or array")
}

// fits checks that a value of depth vd at path, leaving the document
// size bytes long, is within the limits.
func (d *Document) fits(path []string, vd, size int) error {
	if d.lim.MaxDepth > 0 && len(path)+vd > d.lim.MaxDepth {
		return &LimitError{Kind: LimitDepth, Max: d.lim.MaxDepth, Got: len(path) + vd, Op: d.ops}
	}
	if d.lim.MaxBytes > 0 && size > d.lim.MaxBytes {
		return &LimitError{Kind: LimitBytes, Max: d.lim.MaxBytes, Got: size, Op: d.ops}
	}
	return nil
}

// add inserts v at path once it is known to fit; with copyIt, a deep copy
// of v (a copy's source stays where it is).
func (d *Document) add(path []string, v any, copyIt bool) error {
	vs, vd := measure(v)
	d.work += vs
	place := func(v any) any {
		if copyIt {
			d.work += vs
			return copyTree(v)
		}
		return v
	}
	if len(path) == 0 {
		if err := d.fits(path, vd, vs); err != nil {
			return err
		}
		d.root, d.size = place(v), vs
		return nil
	}
	holder, err := d.resolve(path[:len(path)-1])
	if err != nil {
		return err
	}
	last := path[len(path)-1]
	size := d.size + vs
	switch p := holder.get().(type) {
	case map[string]any:
		if old, ok := p[last]; ok {
			oldSize := sizeOf(old)
			size -= oldSize
			d.work += oldSize
		} else {
			size += stringSize(last) + 1 + min(len(p), 1) // key, colon, comma
		}
		if err := d.fits(path, vd, size); err != nil {
			return err
		}
		p[last] = place(v)
	case []any:
		idx := len(p)
		if last != "-" {
			if idx, err = arrayIndex(last, len(p)+1, path); err != nil {
				return err
			}
		}
		size += min(len(p), 1) // comma
		if err := d.fits(path, vd, size); err != nil {
			return err
		}
		holder.set(slices.Insert(p, idx, place(v)))
	default:
		return notContainer(path)
	}
	d.size = size
	return nil
}

// remove takes out the value at path and returns it with a function that
// puts it back.
func (d *Document) remove(path []string) (any, func(), error) {
	if len(path) == 0 {
		return nil, nil, errors.New("cannot remove the whole document")
	}
	holder, err := d.resolve(path[:len(path)-1])
	if err != nil {
		return nil, nil, err
	}
	last, size := path[len(path)-1], d.size
	switch p := holder.get().(type) {
	case map[string]any:
		old, ok := p[last]
		if !ok {
			return nil, nil, errors.New(pointerText(path) + " does not exist")
		}
		delete(p, last)
		oldSize := sizeOf(old)
		d.size -= stringSize(last) + 1 + oldSize + min(len(p), 1)
		d.work += oldSize
		return old, func() { p[last], d.size = old, size }, nil
	case []any:
		idx, err := arrayIndex(last, len(p), path)
		if err != nil {
			return nil, nil, err
		}
		old := p[idx]
		p = slices.Delete(p, idx, idx+1)
		holder.set(p)
		oldSize := sizeOf(old)
		d.size -= oldSize + min(len(p), 1)
		d.work += oldSize
		return old, func() {
			holder.set(slices.Insert(holder.get().([]any), idx, old))
			d.size = size
		}, nil
	}
	return nil, nil, notContainer(path)
}

func (d *Document) replace(path []string, v any) error {
	r, err := d.resolve(path)
	if err != nil {
		return err
	}
	vs, vd := measure(v)
	oldSize := sizeOf(r.get())
	d.work += vs + oldSize
	size := d.size - oldSize + vs
	if err := d.fits(path, vd, size); err != nil {
		return err
	}
	r.set(v)
	d.size = size
	return nil
}

func (d *Document) test(path []string, v any, text string) error {
	r, err := d.resolve(path)
	if err != nil {
		return err
	}
	d.work += sizeOf(v)
	if !equal(r.get(), v) {
		return errors.New("test failed: the value at " + strconv.Quote(text) + " differs")
	}
	return nil
}

func (d *Document) copy(from, path []string) error {
	r, err := d.resolve(from)
	if err != nil {
		return err
	}
	return d.add(path, r.get(), true)
}

// move is remove then add, as RFC 6902 defines it (path is read after the
// removal); when the add fails the value is put back.
func (d *Document) move(from, path []string, fromText string) error {
	if isPrefix(from, path) {
		if len(from) == len(path) {
			_, err := d.resolve(from) // moving a value onto itself
			return err
		}
		return errors.New("cannot move " + strconv.Quote(fromText) + " into itself")
	}
	v, undo, err := d.remove(from)
	if err != nil {
		return err
	}
	if err := d.add(path, v, false); err != nil {
		undo()
		return err
	}
	return nil
}
