package jsonpatch

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

const patchTestDoc = `{
	"a": {"b": 1, "c": [1, 2, 3], "d~e": 4, "f/g": 5, "": 6, "~1": 7, "n": null, "t": true},
	"arr": [{"x": 1}, {"x": 2}],
	"s": "str <&>",
	"num": 1.50,
	"big": 12345678901234567890
}`

type patchCase struct {
	name string
	ops  []Operation
	ok   bool   // RFC 6902: the patch applies
	want string // the document after it, when ok and not empty
	// quirk, when set, says how evanphx differs from RFC 6902 here; the
	// test checks that it still does (and that Apply does not).
	quirk string
}

func op(o, path string, value any) Operation { return Operation{Op: o, Path: path, Value: value} }
func mv(o, from, path string) Operation      { return Operation{Op: o, From: from, Path: path} }

var patchCases = []patchCase{
	// add
	{name: "add member", ops: []Operation{op("add", "/a/new", "v")}, ok: true},
	{name: "add over a member", ops: []Operation{op("add", "/a/b", []any{1})}, ok: true},
	{name: "add object", ops: []Operation{op("add", "/o", map[string]any{"k": []any{1, "x", nil}})}, ok: true},
	{name: "add null", ops: []Operation{op("add", "/a/z", nil)}, ok: true},
	{name: "add insert at 0", ops: []Operation{op("add", "/a/c/0", 0)}, ok: true, want: `{"a":{"c":[0,1,2,3]}}`},
	{name: "add insert in the middle", ops: []Operation{op("add", "/a/c/2", 9)}, ok: true},
	{name: "add at the length", ops: []Operation{op("add", "/a/c/3", 4)}, ok: true},
	{name: "add past the length", ops: []Operation{op("add", "/a/c/4", 4)}},
	{name: "add append", ops: []Operation{op("add", "/a/c/-", 4)}, ok: true},
	{name: "add append to nested", ops: []Operation{op("add", "/arr/1/y", "y"), op("add", "/arr/-", map[string]any{"x": 3})}, ok: true},
	{name: "add negative index", ops: []Operation{op("add", "/a/c/-1", 4)}},
	{name: "add bad index", ops: []Operation{op("add", "/a/c/x", 4)}},
	{name: "add missing parent", ops: []Operation{op("add", "/missing/x", 1)}},
	{name: "add under missing index", ops: []Operation{op("add", "/arr/2/x", 1)}},
	{name: "add under a string", ops: []Operation{op("add", "/s/x", 1)}},
	{name: "add under a number", ops: []Operation{op("add", "/a/b/c", 1)}},
	{name: "add under null", ops: []Operation{op("add", "/a/n/x", 1)}},
	{name: "add whole document", ops: []Operation{op("add", "", map[string]any{"only": 1})}, ok: true, want: `{"only":1}`},
	{name: "add escaped ~0", ops: []Operation{op("add", "/a/d~0e", "new")}, ok: true},
	{name: "add escaped ~1", ops: []Operation{op("add", "/a/f~1g", "new")}, ok: true},
	{name: "add escaped ~01", ops: []Operation{op("add", "/a/~01", "new")}, ok: true},
	{name: "add new escaped key", ops: []Operation{op("add", "/a/x~1y~0z", 1)}, ok: true, want: `{"a":{"x/y~z":1}}`},
	{name: "add empty key", ops: []Operation{op("add", "/a/", "e")}, ok: true},
	{name: "add leading zero index", ops: []Operation{op("add", "/a/c/01", 4)},
		quirk: "evanphx reads 01 as index 1; RFC 6901 indices have no leading zeros"},
	{name: "add bad escape", ops: []Operation{op("add", "/a/~2", 1)},
		quirk: "evanphx keeps ~2 as is; RFC 6901 allows only ~0 and ~1"},
	{name: "add relative path", ops: []Operation{op("add", "a/q", 1)},
		quirk: "evanphx reads a/q as /q; RFC 6901 pointers start with /"},
	{name: "add scalar document", ops: []Operation{op("add", "", 5)}, ok: true,
		quirk: "evanphx only puts an object or array at the root"},

	// remove
	{name: "remove member", ops: []Operation{op("remove", "/a/b", nil)}, ok: true},
	{name: "remove null member", ops: []Operation{op("remove", "/a/n", nil)}, ok: true},
	{name: "remove missing member", ops: []Operation{op("remove", "/a/nope", nil)}},
	{name: "remove under missing", ops: []Operation{op("remove", "/nope/x", nil)}},
	{name: "remove item", ops: []Operation{op("remove", "/a/c/1", nil)}, ok: true, want: `{"a":{"c":[1,3]}}`},
	{name: "remove last item", ops: []Operation{op("remove", "/a/c/2", nil)}, ok: true},
	{name: "remove past the end", ops: []Operation{op("remove", "/a/c/3", nil)}},
	{name: "remove -", ops: []Operation{op("remove", "/a/c/-", nil)}},
	{name: "remove negative", ops: []Operation{op("remove", "/a/c/-1", nil)}},
	{name: "remove escaped", ops: []Operation{op("remove", "/a/d~0e", nil), op("remove", "/a/f~1g", nil), op("remove", "/a/~01", nil)}, ok: true},
	{name: "remove empty key", ops: []Operation{op("remove", "/a/", nil)}, ok: true},
	{name: "remove document", ops: []Operation{op("remove", "", nil)}},

	// replace
	{name: "replace member", ops: []Operation{op("replace", "/a/b", "x")}, ok: true},
	{name: "replace null member", ops: []Operation{op("replace", "/a/n", 1)}, ok: true},
	{name: "replace with null", ops: []Operation{op("replace", "/a/b", nil)}, ok: true},
	{name: "replace missing member", ops: []Operation{op("replace", "/a/nope", 1)}},
	{name: "replace under missing", ops: []Operation{op("replace", "/nope/x", 1)}},
	{name: "replace item", ops: []Operation{op("replace", "/a/c/1", "two")}, ok: true},
	{name: "replace past the end", ops: []Operation{op("replace", "/a/c/3", 1)}},
	{name: "replace -", ops: []Operation{op("replace", "/a/c/-", 1)}},
	{name: "replace negative", ops: []Operation{op("replace", "/a/c/-1", 1)}},
	{name: "replace document", ops: []Operation{op("replace", "", []any{1, 2})}, ok: true, want: `[1,2]`},
	{name: "replace escaped", ops: []Operation{op("replace", "/a/f~1g", 50)}, ok: true},

	// move
	{name: "move member", ops: []Operation{mv("move", "/a/b", "/a/z")}, ok: true},
	{name: "move to another object", ops: []Operation{mv("move", "/a/c", "/arr/0/c")}, ok: true},
	{name: "move item to the end", ops: []Operation{mv("move", "/a/c/0", "/a/c/-")}, ok: true, want: `{"a":{"c":[2,3,1]}}`},
	{name: "move item forward", ops: []Operation{mv("move", "/arr/0", "/arr/1")}, ok: true},
	{name: "move onto itself", ops: []Operation{mv("move", "/a/b", "/a/b")}, ok: true},
	{name: "move missing", ops: []Operation{mv("move", "/a/nope", "/a/z")}},
	{name: "move into itself", ops: []Operation{mv("move", "/a", "/a/x")}},
	{name: "move to missing parent", ops: []Operation{mv("move", "/a/b", "/nope/b")}},
	{name: "move past the end", ops: []Operation{mv("move", "/a/c/3", "/a/z")}},
	{name: "move without from", ops: []Operation{mv("move", "", "/a/z")}},
	{name: "move escaped", ops: []Operation{mv("move", "/a/d~0e", "/a/f~1h")}, ok: true},

	// copy
	{name: "copy member", ops: []Operation{mv("copy", "/a/c", "/a/c2")}, ok: true},
	{name: "copy item", ops: []Operation{mv("copy", "/arr/0", "/arr/-")}, ok: true},
	{name: "copy is deep", ops: []Operation{mv("copy", "/arr/0", "/arr/-"), op("replace", "/arr/2/x", 9), op("test", "/arr/0/x", 1)}, ok: true},
	{name: "copy missing", ops: []Operation{mv("copy", "/a/nope", "/a/z")}},
	{name: "copy to missing parent", ops: []Operation{mv("copy", "/a/b", "/nope/b")}},
	{name: "copy into itself", ops: []Operation{mv("copy", "/a", "/a/self")}, ok: true},
	{name: "copy without from", ops: []Operation{mv("copy", "", "/a/z")}},

	// test
	{name: "test number", ops: []Operation{op("test", "/a/b", 1)}, ok: true},
	{name: "test other number", ops: []Operation{op("test", "/a/b", 2)}},
	{name: "test number as string", ops: []Operation{op("test", "/a/b", "1")}},
	{name: "test string", ops: []Operation{op("test", "/s", "str <&>")}, ok: true},
	{name: "test bool", ops: []Operation{op("test", "/a/t", true)}, ok: true},
	{name: "test bool false", ops: []Operation{op("test", "/a/t", false)}},
	{name: "test array", ops: []Operation{op("test", "/a/c", []any{1, 2, 3})}, ok: true},
	{name: "test array order", ops: []Operation{op("test", "/a/c", []any{3, 2, 1})}},
	{name: "test shorter array", ops: []Operation{op("test", "/a/c", []any{1, 2})}},
	{name: "test object any order", ops: []Operation{op("test", "/arr/0", map[string]any{"x": 1})}, ok: true},
	{name: "test object extra member", ops: []Operation{op("test", "/arr/0", map[string]any{"x": 1, "y": 2})}},
	{name: "test null", ops: []Operation{op("test", "/a/n", nil)}, ok: true},
	{name: "test null against value", ops: []Operation{op("test", "/a/b", nil)}},
	{name: "test item", ops: []Operation{op("test", "/a/c/2", 3)}, ok: true},
	{name: "test past the end", ops: []Operation{op("test", "/a/c/3", 3)}},
	{name: "test big number", ops: []Operation{op("test", "/big", json.Number("12345678901234567890"))}, ok: true},
	{name: "test other big number", ops: []Operation{op("test", "/big", json.Number("12345678901234567891"))}},
	{name: "test escaped", ops: []Operation{op("test", "/a/d~0e", 4), op("test", "/a/~01", 7)}, ok: true},
	{name: "test then fail", ops: []Operation{op("test", "/a/b", 1), op("add", "/a/q", 1), op("test", "/a/q", 2)}},
	{name: "test missing against null", ops: []Operation{op("test", "/a/nope", nil)},
		quirk: "evanphx takes a missing member for null; RFC 6902 needs the target to exist"},
	{name: "test number spelled another way", ops: []Operation{op("test", "/num", 1.5)}, ok: true,
		quirk: "evanphx compares numbers as text (1.50 is not 1.5); RFC 6902 compares values"},

	{name: "unknown op", ops: []Operation{op("frob", "/a/b", 1)}},
	{name: "several", ops: []Operation{op("add", "/a/c/-", 4), op("remove", "/a/c/0", nil), mv("move", "/a/c", "/c"), op("replace", "/c/0", "x"), mv("copy", "/c", "/arr/0/c")},
		ok: true, want: `{"c":["x",3,4]}`},
}

// TestApply holds Apply to RFC 6902 (TestMatchesEvanphx compares it with
// evanphx/json-patch as well).
func TestApply(t *testing.T) {
	for _, tc := range patchCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Apply([]byte(patchTestDoc), tc.ops, Limits{})
			if (err == nil) != tc.ok {
				t.Fatalf("Apply: error %v; want ok %v", err, tc.ok)
			}
			if tc.ok && tc.want != "" {
				checkPatchedMembers(t, got, tc.want)
			}
		})
	}
}

// sameJSON reports whether two documents hold the same values, member order
// and formatting aside.
func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatalf("%s: %v", a, err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return reflect.DeepEqual(x, y)
}

// checkPatchedMembers checks the members of want (an object) in got, or
// all of got when want is not an object.
func checkPatchedMembers(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	wm, ok := w.(map[string]any)
	if !ok {
		if !reflect.DeepEqual(g, w) {
			t.Errorf("got %s; want %s", got, want)
		}
		return
	}
	gm, _ := g.(map[string]any)
	for k, v := range wm {
		if sub, ok := v.(map[string]any); ok {
			for k2, v2 := range sub {
				if got := gm[k].(map[string]any)[k2]; !reflect.DeepEqual(got, v2) {
					t.Errorf("/%s/%s: got %v; want %v", k, k2, got, v2)
				}
			}
			continue
		}
		if !reflect.DeepEqual(gm[k], v) {
			t.Errorf("/%s: got %v; want %v", k, gm[k], v)
		}
	}
}

func TestSplitPointer(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
		err  string
	}{
		{"", nil, ""},
		{"/", []string{""}, ""},
		{"/a/b", []string{"a", "b"}, ""},
		{"/a~1b/~0c/~01", []string{"a/b", "~c", "~1"}, ""},
		{"//", []string{"", ""}, ""},
		{"a", nil, "is not a JSON pointer"},
		{"/a~", nil, `"~" must be followed by 0 or 1`},
		{"/a~2", nil, `"~" must be followed by 0 or 1`},
	} {
		got, err := splitPointer(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("splitPointer(%q): error %v; want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("splitPointer(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}
