package jsonpatch

import "strconv"

// Limits bound what patching may cost. Zero means no limit.
type Limits struct {
	// MaxOps is how many operations a Document applies in its lifetime.
	MaxOps int
	// MaxBytes is the largest the document may be, encoded as Bytes
	// encodes it, after every operation.
	MaxBytes int
	// MaxDepth is how deep an operation may nest a value: the path's
	// length plus the value's own nesting (a scalar 0, [] 1, [[]] 2).
	MaxDepth int
}

// LimitKind names the limit an operation hit.
type LimitKind int

// The limits of Limits.
const (
	LimitOps LimitKind = iota + 1
	LimitBytes
	LimitDepth
)

// LimitError is an operation refused because of a limit; the document is
// left as it was before the operation.
type LimitError struct {
	Kind LimitKind
	Max  int // the limit
	Got  int // what the operation would have made it
	Op   int // the refused operation, counting those the Document applied; -1 for a document over the limit before any
}

func (e *LimitError) Error() string {
	max, got := strconv.Itoa(e.Max), strconv.Itoa(e.Got)
	switch e.Kind {
	case LimitOps:
		return "too many patch operations: the limit is " + max
	case LimitBytes:
		return "the document would grow to " + got + " bytes; the limit is " + max + " bytes"
	}
	return "the document would be nested " + got + " levels deep; the limit is " + max
}
