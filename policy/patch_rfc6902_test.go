package policy

import (
	"encoding/json"
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// The browser build applies JSON Patches with applyJSONPatch; the native
// build with evanphx/json-patch (applyOps). These tests hold the two to the
// same results, and applyJSONPatch to RFC 6902 where evanphx strays from it.

// skipWithoutEvanphx skips a comparison in the js build, where applyOps is
// applyJSONPatch itself.
func skipWithoutEvanphx(t testing.TB) {
	t.Helper()
	if runtime.GOOS == "js" {
		t.Skip("the js build has no evanphx/json-patch to compare with")
	}
}

// referencePatch applies ops with the native build's applyOps.
func referencePatch(doc []byte, ops []PatchOp) ([]byte, error) {
	return applyOps(doc, ops)
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

const patchTestDoc = `{
	"a": {"b": 1, "c": [1, 2, 3], "d~e": 4, "f/g": 5, "": 6, "~1": 7, "n": null, "t": true},
	"arr": [{"x": 1}, {"x": 2}],
	"s": "str <&>",
	"num": 1.50,
	"big": 12345678901234567890
}`

type patchCase struct {
	name string
	ops  []PatchOp
	ok   bool   // RFC 6902: the patch applies
	want string // the document after it, when ok and not empty
	// quirk, when set, says how evanphx differs from RFC 6902 here; the
	// test checks that it still does (and that applyJSONPatch does not).
	quirk string
}

func op(o, path string, value any) PatchOp { return PatchOp{Op: o, Path: path, Value: value} }
func mv(o, from, path string) PatchOp      { return PatchOp{Op: o, From: from, Path: path} }

var patchCases = []patchCase{
	// add
	{name: "add member", ops: []PatchOp{op("add", "/a/new", "v")}, ok: true},
	{name: "add over a member", ops: []PatchOp{op("add", "/a/b", []any{1})}, ok: true},
	{name: "add object", ops: []PatchOp{op("add", "/o", map[string]any{"k": []any{1, "x", nil}})}, ok: true},
	{name: "add null", ops: []PatchOp{op("add", "/a/z", nil)}, ok: true},
	{name: "add insert at 0", ops: []PatchOp{op("add", "/a/c/0", 0)}, ok: true, want: `{"a":{"c":[0,1,2,3]}}`},
	{name: "add insert in the middle", ops: []PatchOp{op("add", "/a/c/2", 9)}, ok: true},
	{name: "add at the length", ops: []PatchOp{op("add", "/a/c/3", 4)}, ok: true},
	{name: "add past the length", ops: []PatchOp{op("add", "/a/c/4", 4)}},
	{name: "add append", ops: []PatchOp{op("add", "/a/c/-", 4)}, ok: true},
	{name: "add append to nested", ops: []PatchOp{op("add", "/arr/1/y", "y"), op("add", "/arr/-", map[string]any{"x": 3})}, ok: true},
	{name: "add negative index", ops: []PatchOp{op("add", "/a/c/-1", 4)}},
	{name: "add bad index", ops: []PatchOp{op("add", "/a/c/x", 4)}},
	{name: "add missing parent", ops: []PatchOp{op("add", "/missing/x", 1)}},
	{name: "add under missing index", ops: []PatchOp{op("add", "/arr/2/x", 1)}},
	{name: "add under a string", ops: []PatchOp{op("add", "/s/x", 1)}},
	{name: "add under a number", ops: []PatchOp{op("add", "/a/b/c", 1)}},
	{name: "add under null", ops: []PatchOp{op("add", "/a/n/x", 1)}},
	{name: "add whole document", ops: []PatchOp{op("add", "", map[string]any{"only": 1})}, ok: true, want: `{"only":1}`},
	{name: "add escaped ~0", ops: []PatchOp{op("add", "/a/d~0e", "new")}, ok: true},
	{name: "add escaped ~1", ops: []PatchOp{op("add", "/a/f~1g", "new")}, ok: true},
	{name: "add escaped ~01", ops: []PatchOp{op("add", "/a/~01", "new")}, ok: true},
	{name: "add new escaped key", ops: []PatchOp{op("add", "/a/x~1y~0z", 1)}, ok: true, want: `{"a":{"x/y~z":1}}`},
	{name: "add empty key", ops: []PatchOp{op("add", "/a/", "e")}, ok: true},
	{name: "add leading zero index", ops: []PatchOp{op("add", "/a/c/01", 4)},
		quirk: "evanphx reads 01 as index 1; RFC 6901 indices have no leading zeros"},
	{name: "add bad escape", ops: []PatchOp{op("add", "/a/~2", 1)},
		quirk: "evanphx keeps ~2 as is; RFC 6901 allows only ~0 and ~1"},
	{name: "add relative path", ops: []PatchOp{op("add", "a/q", 1)},
		quirk: "evanphx reads a/q as /q; RFC 6901 pointers start with /"},
	{name: "add scalar document", ops: []PatchOp{op("add", "", 5)}, ok: true,
		quirk: "evanphx only puts an object or array at the root"},

	// remove
	{name: "remove member", ops: []PatchOp{op("remove", "/a/b", nil)}, ok: true},
	{name: "remove null member", ops: []PatchOp{op("remove", "/a/n", nil)}, ok: true},
	{name: "remove missing member", ops: []PatchOp{op("remove", "/a/nope", nil)}},
	{name: "remove under missing", ops: []PatchOp{op("remove", "/nope/x", nil)}},
	{name: "remove item", ops: []PatchOp{op("remove", "/a/c/1", nil)}, ok: true, want: `{"a":{"c":[1,3]}}`},
	{name: "remove last item", ops: []PatchOp{op("remove", "/a/c/2", nil)}, ok: true},
	{name: "remove past the end", ops: []PatchOp{op("remove", "/a/c/3", nil)}},
	{name: "remove -", ops: []PatchOp{op("remove", "/a/c/-", nil)}},
	{name: "remove negative", ops: []PatchOp{op("remove", "/a/c/-1", nil)}},
	{name: "remove escaped", ops: []PatchOp{op("remove", "/a/d~0e", nil), op("remove", "/a/f~1g", nil), op("remove", "/a/~01", nil)}, ok: true},
	{name: "remove empty key", ops: []PatchOp{op("remove", "/a/", nil)}, ok: true},
	{name: "remove document", ops: []PatchOp{op("remove", "", nil)}},

	// replace
	{name: "replace member", ops: []PatchOp{op("replace", "/a/b", "x")}, ok: true},
	{name: "replace null member", ops: []PatchOp{op("replace", "/a/n", 1)}, ok: true},
	{name: "replace with null", ops: []PatchOp{op("replace", "/a/b", nil)}, ok: true},
	{name: "replace missing member", ops: []PatchOp{op("replace", "/a/nope", 1)}},
	{name: "replace under missing", ops: []PatchOp{op("replace", "/nope/x", 1)}},
	{name: "replace item", ops: []PatchOp{op("replace", "/a/c/1", "two")}, ok: true},
	{name: "replace past the end", ops: []PatchOp{op("replace", "/a/c/3", 1)}},
	{name: "replace -", ops: []PatchOp{op("replace", "/a/c/-", 1)}},
	{name: "replace negative", ops: []PatchOp{op("replace", "/a/c/-1", 1)}},
	{name: "replace document", ops: []PatchOp{op("replace", "", []any{1, 2})}, ok: true, want: `[1,2]`},
	{name: "replace escaped", ops: []PatchOp{op("replace", "/a/f~1g", 50)}, ok: true},

	// move
	{name: "move member", ops: []PatchOp{mv("move", "/a/b", "/a/z")}, ok: true},
	{name: "move to another object", ops: []PatchOp{mv("move", "/a/c", "/arr/0/c")}, ok: true},
	{name: "move item to the end", ops: []PatchOp{mv("move", "/a/c/0", "/a/c/-")}, ok: true, want: `{"a":{"c":[2,3,1]}}`},
	{name: "move item forward", ops: []PatchOp{mv("move", "/arr/0", "/arr/1")}, ok: true},
	{name: "move onto itself", ops: []PatchOp{mv("move", "/a/b", "/a/b")}, ok: true},
	{name: "move missing", ops: []PatchOp{mv("move", "/a/nope", "/a/z")}},
	{name: "move into itself", ops: []PatchOp{mv("move", "/a", "/a/x")}},
	{name: "move to missing parent", ops: []PatchOp{mv("move", "/a/b", "/nope/b")}},
	{name: "move past the end", ops: []PatchOp{mv("move", "/a/c/3", "/a/z")}},
	{name: "move without from", ops: []PatchOp{mv("move", "", "/a/z")}},
	{name: "move escaped", ops: []PatchOp{mv("move", "/a/d~0e", "/a/f~1h")}, ok: true},

	// copy
	{name: "copy member", ops: []PatchOp{mv("copy", "/a/c", "/a/c2")}, ok: true},
	{name: "copy item", ops: []PatchOp{mv("copy", "/arr/0", "/arr/-")}, ok: true},
	{name: "copy is deep", ops: []PatchOp{mv("copy", "/arr/0", "/arr/-"), op("replace", "/arr/2/x", 9), op("test", "/arr/0/x", 1)}, ok: true},
	{name: "copy missing", ops: []PatchOp{mv("copy", "/a/nope", "/a/z")}},
	{name: "copy to missing parent", ops: []PatchOp{mv("copy", "/a/b", "/nope/b")}},
	{name: "copy into itself", ops: []PatchOp{mv("copy", "/a", "/a/self")}, ok: true},
	{name: "copy without from", ops: []PatchOp{mv("copy", "", "/a/z")}},

	// test
	{name: "test number", ops: []PatchOp{op("test", "/a/b", 1)}, ok: true},
	{name: "test other number", ops: []PatchOp{op("test", "/a/b", 2)}},
	{name: "test number as string", ops: []PatchOp{op("test", "/a/b", "1")}},
	{name: "test string", ops: []PatchOp{op("test", "/s", "str <&>")}, ok: true},
	{name: "test bool", ops: []PatchOp{op("test", "/a/t", true)}, ok: true},
	{name: "test bool false", ops: []PatchOp{op("test", "/a/t", false)}},
	{name: "test array", ops: []PatchOp{op("test", "/a/c", []any{1, 2, 3})}, ok: true},
	{name: "test array order", ops: []PatchOp{op("test", "/a/c", []any{3, 2, 1})}},
	{name: "test shorter array", ops: []PatchOp{op("test", "/a/c", []any{1, 2})}},
	{name: "test object any order", ops: []PatchOp{op("test", "/arr/0", map[string]any{"x": 1})}, ok: true},
	{name: "test object extra member", ops: []PatchOp{op("test", "/arr/0", map[string]any{"x": 1, "y": 2})}},
	{name: "test null", ops: []PatchOp{op("test", "/a/n", nil)}, ok: true},
	{name: "test null against value", ops: []PatchOp{op("test", "/a/b", nil)}},
	{name: "test item", ops: []PatchOp{op("test", "/a/c/2", 3)}, ok: true},
	{name: "test past the end", ops: []PatchOp{op("test", "/a/c/3", 3)}},
	{name: "test big number", ops: []PatchOp{op("test", "/big", json.Number("12345678901234567890"))}, ok: true},
	{name: "test other big number", ops: []PatchOp{op("test", "/big", json.Number("12345678901234567891"))}},
	{name: "test escaped", ops: []PatchOp{op("test", "/a/d~0e", 4), op("test", "/a/~01", 7)}, ok: true},
	{name: "test then fail", ops: []PatchOp{op("test", "/a/b", 1), op("add", "/a/q", 1), op("test", "/a/q", 2)}},
	{name: "test missing against null", ops: []PatchOp{op("test", "/a/nope", nil)},
		quirk: "evanphx takes a missing member for null; RFC 6902 needs the target to exist"},
	{name: "test number spelled another way", ops: []PatchOp{op("test", "/num", 1.5)}, ok: true,
		quirk: "evanphx compares numbers as text (1.50 is not 1.5); RFC 6902 compares values"},

	{name: "unknown op", ops: []PatchOp{op("frob", "/a/b", 1)}},
	{name: "several", ops: []PatchOp{op("add", "/a/c/-", 4), op("remove", "/a/c/0", nil), mv("move", "/a/c", "/c"), op("replace", "/c/0", "x"), mv("copy", "/c", "/arr/0/c")},
		ok: true, want: `{"c":["x",3,4]}`},
}

// TestJSONPatchMatchesEvanphx checks applyJSONPatch against RFC 6902 in
// every build, and against evanphx in the native one.
func TestJSONPatchMatchesEvanphx(t *testing.T) {
	for _, tc := range patchCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := applyJSONPatch([]byte(patchTestDoc), tc.ops)
			if (err == nil) != tc.ok {
				t.Fatalf("applyJSONPatch: error %v; want ok %v", err, tc.ok)
			}
			if tc.ok && tc.want != "" {
				checkPatchedMembers(t, got, tc.want)
			}
			if runtime.GOOS == "js" {
				return // applyOps is applyJSONPatch
			}
			ref, refErr := referencePatch([]byte(patchTestDoc), tc.ops)
			if tc.quirk != "" {
				if (refErr == nil) == tc.ok {
					t.Errorf("evanphx now follows RFC 6902 here (error %v); drop the quirk %q", refErr, tc.quirk)
				}
				return
			}
			if (refErr == nil) != tc.ok {
				t.Fatalf("evanphx: error %v; applyJSONPatch: error %v", refErr, err)
			}
			if tc.ok && !sameJSON(t, got, ref) {
				t.Errorf("documents differ:\napplyJSONPatch: %s\nevanphx:        %s", got, ref)
			}
		})
	}
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

// Every fix candidate of every preset and rule table, offered or not: both
// implementations apply it the same, or both fail, and then applyPatch
// (with its rewrites) gives the same document either way.
func TestJSONPatchMatchesEvanphxOnFixes(t *testing.T) {
	skipWithoutEvanphx(t)
	var scenarios []*Scenario
	for _, p := range Presets() {
		s, _ := presetScenario(t, p.Name)
		scenarios = append(scenarios, s)
	}
	for _, tb := range ruleTables {
		for _, c := range tb.cases() {
			scenarios = append(scenarios, decodeScenario(t, c.s))
		}
	}
	patches, offered := 0, 0
	for si, s := range scenarios {
		doc, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		_, candidates := evaluate(s, Options{})
		var all [][]PatchOp
		for _, cs := range candidates {
			for _, c := range cs {
				all = append(all, c.Patch)
			}
		}
		for _, r := range Evaluate(s, Options{}).Results {
			for _, f := range r.Fixes {
				all = append(all, f.Patch)
				offered++
			}
		}
		for _, ops := range all {
			patches++
			where := fmt.Sprintf("scenario %d, patch %s", si, patchKey(ops))
			got, err := applyJSONPatch(doc, ops)
			ref, refErr := referencePatch(doc, ops)
			if (err == nil) != (refErr == nil) {
				t.Errorf("%s: applyJSONPatch error %v; evanphx error %v", where, err, refErr)
				continue
			}
			if err == nil && !sameJSON(t, got, ref) {
				t.Errorf("%s: documents differ", where)
			}
			// The whole of applyPatch, rewrites included, with each.
			want, wantOps, wantErr := applyPatch(doc, ops)
			mine, mineOps, mineErr := applyPatchWith(doc, ops, applyJSONPatch)
			if (wantErr == nil) != (mineErr == nil) || patchKey(wantOps) != patchKey(mineOps) {
				t.Errorf("%s: applyPatch: evanphx %s %v; applyJSONPatch %s %v", where, patchKey(wantOps), wantErr, patchKey(mineOps), mineErr)
				continue
			}
			if wantErr == nil && !sameJSON(t, want, mine) {
				t.Errorf("%s: applyPatch documents differ", where)
			}
		}
	}
	if offered < 20 || patches < 100 {
		t.Errorf("checked %d patches, %d of them offered fixes; want more", patches, offered)
	}
	t.Logf("%d patches, %d offered fixes", patches, offered)
}

func TestSplitJSONPointer(t *testing.T) {
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
		got, err := splitJSONPointer(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("splitJSONPointer(%q): error %v; want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("splitJSONPointer(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}
