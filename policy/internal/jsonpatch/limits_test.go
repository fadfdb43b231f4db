package jsonpatch

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
)

// orgsDoc is {"orgs":[{"name":"org-0","users":[…]}, …]} with n orgs.
func orgsDoc(n int) []byte {
	orgs := make([]any, n)
	for i := range orgs {
		orgs[i] = map[string]any{"name": "org", "users": []any{"ana", "bo"}}
	}
	b, _ := json.Marshal(map[string]any{"orgs": orgs})
	return b
}

func repeat(op Operation, n int) []Operation {
	ops := make([]Operation, n)
	for i := range ops {
		ops[i] = op
	}
	return ops
}

func nested(depth int) any {
	var v any = "leaf"
	for range depth {
		v = []any{v}
	}
	return v
}

func TestLimits(t *testing.T) {
	doubling := mv("copy", "/orgs", "/orgs/-")
	for _, tc := range []struct {
		name string
		doc  []byte
		ops  []Operation
		lim  Limits
		kind LimitKind // 0: the patch applies
		op   int       // the refused operation
	}{
		{name: "doubling copy refused", doc: orgsDoc(1), ops: repeat(doubling, 40), lim: Limits{MaxBytes: 64 << 10}, kind: LimitBytes, op: 10},
		{name: "doubling copy within the limit", doc: orgsDoc(1), ops: repeat(doubling, 5), lim: Limits{MaxBytes: 64 << 10}},
		{name: "copy into itself refused", doc: orgsDoc(8), ops: repeat(mv("copy", "/orgs", "/orgs/0/users/-"), 40), lim: Limits{MaxBytes: 64 << 10}, kind: LimitBytes, op: 7},
		{name: "too many operations", doc: orgsDoc(1), ops: repeat(op("test", "/orgs/0/name", "org"), 4), lim: Limits{MaxOps: 3}, kind: LimitOps, op: 3},
		{name: "as many operations as allowed", doc: orgsDoc(1), ops: repeat(op("test", "/orgs/0/name", "org"), 3), lim: Limits{MaxOps: 3}},
		{name: "large value added", doc: orgsDoc(1), ops: []Operation{op("add", "/title", strings.Repeat("x", 5000))}, lim: Limits{MaxBytes: 4096}, kind: LimitBytes},
		{name: "large value replaced in", doc: orgsDoc(1), ops: []Operation{op("replace", "/orgs/0/name", strings.Repeat("<", 1000))}, lim: Limits{MaxBytes: 4096}, kind: LimitBytes},
		{name: "escaped characters counted", doc: orgsDoc(1), ops: []Operation{op("add", "/t", strings.Repeat("\u2028", 700))}, lim: Limits{MaxBytes: 4096}, kind: LimitBytes},
		{name: "whole document replaced", doc: orgsDoc(1), ops: []Operation{op("replace", "", strings.Repeat("x", 5000))}, lim: Limits{MaxBytes: 4096}, kind: LimitBytes},
		{name: "document over the limit", doc: orgsDoc(200), ops: []Operation{op("replace", "/orgs", []any{})}, lim: Limits{MaxBytes: 4096}, kind: LimitBytes, op: -1},
		{name: "deep value refused", doc: orgsDoc(1), ops: []Operation{op("add", "/orgs/0/deep", nested(10))}, lim: Limits{MaxDepth: 10}, kind: LimitDepth},
		{name: "deep value within the limit", doc: orgsDoc(1), ops: []Operation{op("add", "/orgs/0/deep", nested(7))}, lim: Limits{MaxDepth: 10}},
		{name: "copy deepening refused", doc: orgsDoc(1), ops: repeat(mv("copy", "/orgs", "/orgs/0/users/0"), 10), lim: Limits{MaxDepth: 12}, kind: LimitDepth, op: 2},
		{name: "move deeper refused", doc: []byte(`{"a":[[[1]]],"b":[[[[]]]]}`), ops: []Operation{mv("move", "/a", "/b/0/0/0/-")}, lim: Limits{MaxDepth: 6}, kind: LimitDepth},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.op < 0 { // the document itself is over the limit
				_, err := Parse(tc.doc, tc.lim)
				var le *LimitError
				if !errors.As(err, &le) || le.Kind != tc.kind || le.Got <= le.Max {
					t.Fatalf("Parse: error %v; want a %d LimitError", err, tc.kind)
				}
				return
			}
			d, err := Parse(tc.doc, tc.lim)
			if err != nil {
				t.Fatal(err)
			}
			for i, op := range tc.ops {
				before, _ := d.Bytes()
				err := d.Apply(op)
				if err == nil {
					continue
				}
				var le *LimitError
				if !errors.As(err, &le) {
					t.Fatalf("operation %d: error %v; want a LimitError", i, err)
				}
				if le.Kind != tc.kind || i != tc.op || le.Op != i {
					t.Fatalf("operation %d refused (kind %d, Op %d: %v); want operation %d refused by kind %d", i, le.Kind, le.Op, err, tc.op, tc.kind)
				}
				if le.Got <= le.Max {
					t.Errorf("LimitError Got %d, Max %d: Got must exceed Max", le.Got, le.Max)
				}
				if after, _ := d.Bytes(); string(after) != string(before) {
					t.Errorf("the refused operation changed the document:\nbefore %s\nafter  %s", before, after)
				}
				if tc.lim.MaxBytes > 0 && d.Size() > tc.lim.MaxBytes {
					t.Errorf("document size %d over the limit %d", d.Size(), tc.lim.MaxBytes)
				}
				return
			}
			if tc.kind != 0 {
				t.Fatalf("every operation applied; want operation %d refused by kind %d", tc.op, tc.kind)
			}
		})
	}
}

// Apply refuses a patch longer than MaxOps before it parses anything.
func TestApplyRefusesLongPatch(t *testing.T) {
	_, err := Apply([]byte(`not even JSON`), repeat(op("test", "", nil), 101), Limits{MaxOps: 100})
	var le *LimitError
	if !errors.As(err, &le) || le.Kind != LimitOps || le.Max != 100 || le.Got != 101 {
		t.Fatalf("error %v; want the LimitOps LimitError", err)
	}
	if !strings.Contains(err.Error(), "the limit is 100") {
		t.Errorf("message %q does not state the limit", err)
	}
}

// A copy that would break the size limit is refused before the copy is
// made: refusing it allocates next to nothing, however large the source.
func TestRefusedCopyAllocatesNothing(t *testing.T) {
	doc := orgsDoc(2000)
	d, err := Parse(doc, Limits{MaxBytes: len(doc) + 100})
	if err != nil {
		t.Fatal(err)
	}
	copyAll := mv("copy", "/orgs", "/orgs/-")
	allocs := testing.AllocsPerRun(10, func() {
		if err := d.Apply(copyAll); err == nil {
			t.Fatal("the copy applied; want it refused")
		}
	})
	// The path tokens and the error; copying 2000 orgs would take 6000.
	if allocs > 10 {
		t.Errorf("a refused copy made %.0f allocations; want at most 10", allocs)
	}
}

// Size is always the length of Bytes: the limits measure what would be
// written.
func TestSizeTracksEncoding(t *testing.T) {
	odd := "<a href=\"x\">&amp;</a> \\ \b\f\n\r\t\x01\x7f é \u2028\u2029 \xff 😀"
	ops := []Operation{
		op("add", "/odd", odd),
		op("add", "/"+EscapeToken(odd), map[string]any{odd: []any{odd, 1.5, 1e21, 1e-7, math.Copysign(0, -1), true, false, nil}}),
		op("add", "/a/c/1", map[string]any{}),
		op("add", "/a/c/-", []any{}),
		op("add", "/empty", map[string]any{}),
		op("add", "/empty/only", 1),
		op("remove", "/empty/only", nil),
		op("add", "/arr1", []any{1}),
		op("remove", "/arr1/0", nil),
		op("replace", "/a/b", odd),
		mv("move", "/odd", "/a/moved"),
		mv("move", "/a/c/0", "/a/c/-"),
		mv("copy", "/a", "/arr/0/a"),
		op("remove", "/a/c", nil),
		op("remove", "/arr/0", nil),
		op("replace", "/big", []any{"x"}),
		op("add", "/a/n", map[string]any{"k": "v"}),
	}
	d, err := Parse([]byte(patchTestDoc), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	check := func(when string) {
		t.Helper()
		b, err := d.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		if d.Size() != len(b) {
			t.Fatalf("%s: Size %d; Bytes is %d long: %s", when, d.Size(), len(b), b)
		}
		if want, _ := json.Marshal(json.RawMessage(b)); string(want) != string(b) {
			t.Fatalf("%s: Bytes is not what json.Marshal writes:\n%s\n%s", when, b, want)
		}
	}
	check("parsed")
	for i, op := range ops {
		if err := d.Apply(op); err != nil {
			t.Fatalf("operation %d (%s %s): %v", i, op.Op, op.Path, err)
		}
		check(op.Op + " " + op.Path)
	}
	for _, tc := range patchCases {
		d, _ := Parse([]byte(patchTestDoc), Limits{})
		for _, op := range tc.ops {
			if d.Apply(op) != nil {
				break
			}
			b, _ := d.Bytes()
			if d.Size() != len(b) {
				t.Errorf("%s: Size %d; Bytes is %d long", tc.name, d.Size(), len(b))
			}
		}
	}
}

// A move whose add fails puts the value back where it was.
func TestFailedMoveLeavesDocument(t *testing.T) {
	for _, tc := range []struct{ doc, from, path string }{
		{`{"a":[1,2,3],"b":{}}`, "/a/1", "/missing/x"},
		{`{"a":[1,2,3],"b":{}}`, "/a/0", "/a/5"},
		{`{"a":{"k":1,"j":2},"b":{}}`, "/a/k", "/b/x/y"},
	} {
		d, err := Parse([]byte(tc.doc), Limits{})
		if err != nil {
			t.Fatal(err)
		}
		before, _ := d.Bytes()
		if err := d.Apply(mv("move", tc.from, tc.path)); err == nil {
			t.Fatalf("move %s → %s applied; want an error", tc.from, tc.path)
		}
		after, _ := d.Bytes()
		if string(after) != string(before) || d.Size() != len(after) {
			t.Errorf("move %s → %s failed but changed the document: %s; want %s (size %d)", tc.from, tc.path, after, before, d.Size())
		}
	}
}
