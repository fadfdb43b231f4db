package policy

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// Limits on a scenario document: room for any lesson, yet small enough that
// a share link or a Lambda request cannot exhaust memory, and an error list
// a person can read.
const (
	maxScenarioSize = 256 << 10 // bytes
	maxErrors       = 50        // problems listed; the last line counts the rest
)

// FieldError is one problem in a scenario document. Path is a JSON Pointer
// (RFC 6901, "" for the whole document); Line and Column (1-based, columns
// in characters) point at the offending value, or at the key of an unknown
// or duplicate field.
type FieldError struct {
	Path    string `json:"path"`
	Message string `json:"message"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
}

// String is "<path>: <message>", or "line L, column C: <message>" for a
// problem with the document as a whole (such as a JSON syntax error).
func (fe FieldError) String() string {
	switch {
	case fe.Path != "":
		return fe.Path + ": " + fe.Message
	case fe.Line > 0:
		return fmt.Sprintf("line %d, column %d: %s", fe.Line, fe.Column, fe.Message)
	}
	return fe.Message
}

// DecodeError is every problem found in a scenario document, in document
// order.
type DecodeError struct {
	Errors []FieldError
}

// Error lists one problem per line.
func (e *DecodeError) Error() string {
	lines := make([]string, len(e.Errors))
	for i, fe := range e.Errors {
		lines[i] = fe.String()
	}
	return strings.Join(lines, "\n")
}

// Decode parses and validates a scenario document: JSON syntax, field names
// and types, the value rules in Scenario's validate tags, and the references
// between orgs, apps, users and events. On failure the error is a
// *DecodeError listing every problem found.
func Decode(data []byte) (*Scenario, error) {
	if len(data) > maxScenarioSize {
		return nil, &DecodeError{Errors: []FieldError{{Message: fmt.Sprintf(
			"scenario is %d bytes; the limit is %d bytes (%d KiB)",
			len(data), maxScenarioSize, maxScenarioSize>>10)}}}
	}
	d := &decoding{data: data}
	if off := tooDeep(data); off >= 0 {
		d.depthError(off)
		return nil, d.err()
	}
	// Unmarshal checks the syntax of the whole input before it decodes
	// anything; past that, it skips values of the wrong type and carries
	// on, and the scan reports those, with their paths.
	var s Scenario
	err := json.Unmarshal(data, &s)
	var se *json.SyntaxError
	if errors.As(err, &se) {
		d.syntaxError(se)
		return nil, d.err()
	}
	if !d.scan(false) {
		d.scan(true) // again, to report each problem with its path
	}
	if err != nil && len(d.probs) == 0 {
		d.add("", 0, "invalid scenario: %v", err)
	}
	d.validate(&s)
	d.crossCheck(&s)
	if len(d.probs) > 0 {
		return nil, d.err()
	}
	return &s, nil
}

// Lint returns every problem in a scenario document, or nil when it is
// valid. It is Decode for the CLI's lint command and the browser editor.
func Lint(data []byte) []FieldError {
	if _, err := Decode(data); err != nil {
		if de, ok := err.(*DecodeError); ok {
			return de.Errors
		}
		return []FieldError{{Message: err.Error()}}
	}
	return nil
}

// decoding is the state of one Decode: the input, where each value starts,
// and the problems found so far.
type decoding struct {
	data  []byte
	pos   map[string]int  // JSON pointer → byte offset of its value; nil until needed
	bad   map[string]bool // pointers with a structural problem: later passes stay quiet there; nil until one
	probs []problem
	lines []int // byte offsets of line starts, built on first use
}

// problem is a FieldError before its offset becomes a line and column.
type problem struct {
	path, msg string
	off       int
}

// add records a problem at a byte offset.
func (d *decoding) add(path string, off int, format string, args ...any) {
	d.probs = append(d.probs, problem{path, fmt.Sprintf(format, args...), off})
}

// badValue records a structural problem (syntax, type, unknown or duplicate
// field), so that validation does not report the same value again.
func (d *decoding) badValue(path string, off int, format string, args ...any) {
	if d.bad == nil {
		d.bad = map[string]bool{}
	}
	d.bad[path] = true
	d.add(path, off, format, args...)
}

// check records a problem found after decoding, at the value's position, or
// its nearest enclosing value's when the field is absent. It stays quiet
// where a structural problem was already reported.
func (d *decoding) check(path, format string, args ...any) {
	if d.covered(path) {
		return
	}
	d.add(path, d.offset(path), format, args...)
}

// covered reports whether path or one of its ancestors had a structural
// problem.
func (d *decoding) covered(path string) bool {
	for {
		if d.bad[path] {
			return true
		}
		i := strings.LastIndexByte(path, '/')
		if i < 0 {
			return false
		}
		path = path[:i]
	}
}

// offset is where path's value starts, or its nearest ancestor's.
func (d *decoding) offset(path string) int {
	for {
		if off, ok := d.positions()[path]; ok {
			return off
		}
		i := strings.LastIndexByte(path, '/')
		if i < 0 {
			return 0
		}
		path = path[:i]
	}
}

// syntaxError reports a JSON syntax error in plain words, where the fix
// goes (see syntaxProblem).
func (d *decoding) syntaxError(se *json.SyntaxError) {
	off, msg := syntaxProblem(d.data, se)
	d.add("", off, "%s", msg)
}

// err is the DecodeError for the problems found, in document order and
// capped at maxErrors.
func (d *decoding) err() error {
	offs := make([]int, len(d.probs))
	for i, p := range d.probs {
		offs[i] = p.off
	}
	sorted := make([]problem, len(d.probs))
	for i, j := range stableOrder(offs) {
		sorted[i] = d.probs[j]
	}
	d.probs = sorted
	n := len(d.probs)
	if n > maxErrors {
		n = maxErrors - 1
	}
	out := make([]FieldError, 0, n+1)
	for _, p := range d.probs[:n] {
		line, col := d.lineColumn(p.off)
		out = append(out, FieldError{Path: p.path, Message: p.msg, Line: line, Column: col})
	}
	if n < len(d.probs) {
		out = append(out, FieldError{Message: fmt.Sprintf(
			"%d more problems not shown (showing the first %d)", len(d.probs)-n, n)})
	}
	return &DecodeError{Errors: out}
}

// lineColumn turns a byte offset into a 1-based line and column, counting
// columns in characters as editors do.
func (d *decoding) lineColumn(off int) (line, col int) {
	if d.lines == nil {
		d.lines = []int{0}
		for i, c := range d.data {
			if c == '\n' {
				d.lines = append(d.lines, i+1)
			}
		}
	}
	off = min(max(off, 0), len(d.data))
	i, found := slices.BinarySearch(d.lines, off)
	if !found {
		i-- // off is inside line i
	}
	return i + 1, utf8.RuneCount(d.data[d.lines[i]:off]) + 1
}

// where names an offset for a message: "line 3, column 5".
func (d *decoding) where(off int) string {
	line, col := d.lineColumn(off)
	return fmt.Sprintf("line %d, column %d", line, col)
}
