package policy

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"
)

// jsonConfirm is what fix search did per fix before fixOffer: apply
// the patch to the scenario's JSON document with applyPatch's rewrites,
// decode the result and check its validate tags and references. It returns
// the patch as applied and whether the fix could be offered.
func jsonConfirm(t *testing.T, s *Scenario, ops []PatchOp, event int) ([]PatchOp, bool) {
	t.Helper()
	doc, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	patched, applied, _, err := applyPatch(doc, ops)
	if err != nil {
		return nil, false
	}
	var s2 Scenario
	if err := json.Unmarshal(patched, &s2); err != nil {
		return nil, false
	}
	d := &decoding{data: patched}
	d.validate(&s2)
	d.crossCheck(&s2)
	return applied, len(d.probs) == 0 && event < len(s2.Events)
}

// offerOf is what fix search now does for a candidate that patchStruct
// applied and whose references hold (tried): fixOffer.offer.
func offerOf(s *Scenario, ops []PatchOp, event int) ([]PatchOp, bool, bool) {
	s2, err := patchStruct(s, ops)
	if err != nil || event >= len(s2.Events) || (patchTouchesReferences(ops) && !referencesValid(s2)) {
		return nil, false, false
	}
	o := fixOffer{s: s}
	got, ok := o.offer(s2, ops, event)
	return got, ok, true
}

// compareOffer holds fixOffer.offer to the JSON path for one candidate.
func compareOffer(t *testing.T, where string, s *Scenario, ops []PatchOp, event int) (offered bool) {
	t.Helper()
	got, ok, tried := offerOf(s, ops, event)
	if !tried {
		return false
	}
	want, wantOK := jsonConfirm(t, s, ops, event)
	if ok != wantOK || (ok && patchKey(got) != patchKey(want)) {
		t.Errorf("%s: patch %s\n fixOffer:  %s %v\n JSON path: %s %v", where, patchKey(ops), patchKey(got), ok, patchKey(want), wantOK)
	}
	return ok
}

// eachCandidate visits every candidate fix search tries for the denied
// events of s, in its order, extensions included (whatever the outcome of
// the candidate they extend), within its limits.
func eachCandidate(s *Scenario, visit func(event int, ops []PatchOp)) {
	res, candidates, _ := evaluateThrough(s, Options{NoFixes: true}, len(s.Events)-1, nil)
	for event, r := range res.Results {
		if r.Outcome != Denied || s.Events[event].Do == "admin" || s.Events[event].Do == "wait" {
			continue
		}
		seen := map[string]bool{}
		queue := slices.Clone(candidates[event])
		for tries := 0; len(queue) > 0 && tries < maxFixEvaluations; {
			c := queue[0]
			queue = queue[1:]
			if key := patchKey(c.Patch); seen[key] || len(c.Patch) == 0 {
				continue
			} else {
				seen[key] = true
			}
			tries++
			visit(event, c.Patch)
			s2, err := patchStruct(s, c.Patch)
			if err != nil || event >= len(s2.Events) || (patchTouchesReferences(c.Patch) && !referencesValid(s2)) || len(c.Patch) >= maxFixDepth*2 {
				continue
			}
			granted, cand2, err := verifyEvent(s2, time.Time{}, event, nil)
			if err != nil || granted {
				continue
			}
			for _, next := range cand2 {
				if next.Actor == c.Actor && len(next.Patch) > 0 {
					queue = append(queue, Fix{Actor: c.Actor, Patch: append(slices.Clone(c.Patch), next.Patch...)})
				}
			}
		}
	}
}

// For every candidate fix search tries on the presets, the rule tables and
// random mutations of the presets (granted or not), fixOffer.offer agrees
// with applying the patch to the JSON document and decoding it: same
// rewritten patch, same verdict.
func TestOfferedPatchMatchesJSONPatch(t *testing.T) {
	scenarios := presetAndRuleScenarios(t)
	rng := rand.New(rand.NewPCG(20260415, 7))
	for _, p := range Presets() {
		orig, _ := presetScenario(t, p.Name)
		for range 10 {
			s := cloneScenario(orig)
			for k := 1 + rng.IntN(3); k > 0; k-- {
				mutations[rng.IntN(len(mutations))].do(rng, s)
			}
			b, _ := json.Marshal(s)
			if s2, err := Decode(b); err == nil {
				scenarios = append(scenarios, s2)
			}
		}
	}
	tried, offered, multi := 0, 0, 0
	for si, s := range scenarios {
		eachCandidate(s, func(event int, ops []PatchOp) {
			tried++
			if len(ops) > 1 && independentOps(ops) {
				multi++
			}
			if compareOffer(t, fmt.Sprintf("scenario %d (%s), event %d", si, s.Title, event), s, ops, event) {
				offered++
			}
		})
	}
	t.Logf("%d scenarios, %d candidates (%d of several independent operations), %d could be offered", len(scenarios), tried, multi, offered)
	if tried < 500 || offered < 100 || multi < 20 {
		t.Errorf("%d candidates, %d of several independent operations, %d could be offered; want at least 500, 20 and 100", tried, multi, offered)
	}
}

// The JSON document's shape decides how a patch is offered: an omitted
// array or object is created by the patch, an operation the document
// refuses is no fix, and a value its tags refuse is no fix either.
func TestOfferedPatchRewrites(t *testing.T) {
	base := func() *Scenario {
		return decodeScenario(t, scen(evs(webServer()), addPermSet("Sync Access", false, nil)))
	}
	withMonday := base()
	withMonday.Orgs[0].Profiles[0].LoginHours = &LoginHours{Monday: &HoursSpan{Start: "09:00", End: "17:00"}}
	span := map[string]any{"start": "00:00", "end": "24:00"}
	for _, tc := range []struct {
		name  string
		s     *Scenario
		ops   []PatchOp
		want  []PatchOp // nil: not offered
		wantS string    // patchKey(want), when easier to write
	}{
		{"append to an omitted array", base(), []PatchOp{add("/orgs/0/users/0/permissionSets/-", "Sync Access")},
			[]PatchOp{add("/orgs/0/users/0/permissionSets", []any{"Sync Access"})}, ""},
		{"append to an omitted array twice", base(),
			[]PatchOp{add("/orgs/0/users/0/permissionSets/-", "Sync Access"), add("/orgs/0/users/0/permissionSets/-", "Sync Access")},
			[]PatchOp{add("/orgs/0/users/0/permissionSets", []any{"Sync Access"}), add("/orgs/0/users/0/permissionSets/-", "Sync Access")}, ""},
		{"append to a present array", base(), []PatchOp{add("/apps/0/oauth/callbackUrls/-", "https://app.acme.test/other")},
			[]PatchOp{add("/apps/0/oauth/callbackUrls/-", "https://app.acme.test/other")}, ""},
		{"replace an omitted member", base(), []PatchOp{replace("/apps/0/policies/ipRelaxation", "relax")},
			[]PatchOp{add("/apps/0/policies", map[string]any{"ipRelaxation": "relax"})}, ""},
		{"replace a present member", base(), []PatchOp{replace("/orgs/0/type", "sandbox")},
			[]PatchOp{replace("/orgs/0/type", "sandbox")}, ""},
		{"add a member of an omitted object", base(), []PatchOp{add("/orgs/0/settings/allowUsernamePasswordFlows", true)}, nil, ""},
		{"replace a member of an omitted object", base(), []PatchOp{replace("/orgs/0/settings/allowUsernamePasswordFlows", true)},
			[]PatchOp{add("/orgs/0/settings", map[string]any{"allowUsernamePasswordFlows": true})}, ""},
		{"append to an array of an omitted object", base(), []PatchOp{add("/orgs/0/settings/trustedIpRanges/-", tRange)},
			nil, `[{"op":"add","path":"/orgs/0/settings","value":{"trustedIpRanges":[{"start":"198.51.100.0","end":"198.51.100.255"}]}}]`},
		{"a member of a present pointer", withMonday, []PatchOp{add("/orgs/0/profiles/0/loginHours/monday", span)},
			[]PatchOp{add("/orgs/0/profiles/0/loginHours/monday", span)}, ""},
		{"a member of an omitted pointer", base(), []PatchOp{replace("/orgs/0/profiles/0/loginHours/monday", span)},
			[]PatchOp{add("/orgs/0/profiles/0/loginHours", map[string]any{"monday": span})}, ""},
		{"two levels omitted", base(), []PatchOp{replace("/orgs/0/profiles/0/loginHours/monday/start", "00:00")}, nil, ""},
		{"the same member twice", base(),
			[]PatchOp{replace("/orgs/0/users/0/frozen", false), replace("/orgs/0/users/0/frozen", false)},
			[]PatchOp{add("/orgs/0/users/0/frozen", false), replace("/orgs/0/users/0/frozen", false)}, ""},
		{"an append that creates an object, then a member of it", base(),
			[]PatchOp{add("/orgs/0/settings/trustedIpRanges/-", tRange), replace("/orgs/0/settings/passwordPolicy/lockoutPeriod", "30m")},
			nil, `[{"op":"add","path":"/orgs/0/settings","value":{"trustedIpRanges":[{"start":"198.51.100.0","end":"198.51.100.255"}]}},{"op":"add","path":"/orgs/0/settings/passwordPolicy","value":{"lockoutPeriod":"30m"}}]`},
		{"separate parts", base(),
			[]PatchOp{add("/orgs/0/users/0/permissionSets/-", "Sync Access"), replace("/apps/0/policies/ipRelaxation", "relax")},
			[]PatchOp{add("/orgs/0/users/0/permissionSets", []any{"Sync Access"}), add("/apps/0/policies", map[string]any{"ipRelaxation": "relax"})}, ""},
		{"remove an omitted member", base(), []PatchOp{{Op: "remove", Path: "/events/0/clientSecret"}}, nil, ""},
		{"remove a present member", base(), []PatchOp{{Op: "remove", Path: "/events/0/redirectUri"}},
			[]PatchOp{{Op: "remove", Path: "/events/0/redirectUri"}}, ""},
		{"remove an array item", base(), []PatchOp{{Op: "remove", Path: "/apps/0/oauth/scopes/1"}},
			[]PatchOp{{Op: "remove", Path: "/apps/0/oauth/scopes/1"}}, ""},
		{"an index with a leading zero", base(), []PatchOp{replace("/orgs/00/type", "sandbox")}, nil, ""},
		{"a value a tag refuses", base(), []PatchOp{add("/apps/0/oauth/callbackUrls/-", "http://app.acme.test/cb")}, nil, ""},
		{"an enum value a tag refuses", base(), []PatchOp{replace("/orgs/0/type", "enterprise")}, nil, ""},
		{"a value a nested struct's tag refuses", base(), []PatchOp{replace("/apps/0/policies/ipRelaxation", "sometimes")}, nil, ""},
		{"an event value a tag refuses", base(), []PatchOp{replace("/events/0/consent", "maybe")}, nil, ""},
		{"a list item a tag refuses", base(), []PatchOp{add("/orgs/0/users/0/permissionSets/-", "")}, nil, ""},
		{"a top-level list a tag limits", base(), []PatchOp{{Op: "remove", Path: "/orgs/0"}}, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			event := len(tc.s.Events) - 1
			got, ok, tried := offerOf(tc.s, tc.ops, event)
			want := patchKey(tc.want)
			if tc.wantS != "" {
				want = tc.wantS
			}
			switch {
			case !tried && (tc.want != nil || tc.wantS != ""):
				t.Fatalf("patchStruct or the references refuse %s", patchKey(tc.ops))
			case tried && (tc.want != nil || tc.wantS != "") != ok:
				t.Errorf("offered %v; want %v", ok, !ok)
			case ok && patchKey(got) != want:
				t.Errorf("got %s; want %s", patchKey(got), want)
			}
			if tried {
				wantJSON, okJSON := jsonConfirm(t, tc.s, tc.ops, event)
				if ok != okJSON || (ok && patchKey(got) != patchKey(wantJSON)) {
					t.Errorf("the JSON path gives %s %v; fixOffer %s %v", patchKey(wantJSON), okJSON, patchKey(got), ok)
				}
			}
		})
	}
}

// patchStruct leaves the scenario it patches as it was, and shares with the
// result only what the patch did not write.
func TestPatchStructCopiesWhatItWrites(t *testing.T) {
	s := decodeScenario(t, scen(evs(webServer(), webServer()), addPermSet("Sync Access", false, nil),
		withUser(func(u *User) { u.PermissionSets = make([]string, 0, 4) })))
	before, _ := json.Marshal(s)
	ops := []PatchOp{
		add("/orgs/0/users/0/permissionSets/-", "Sync Access"),
		add("/orgs/0/settings/allowUsernamePasswordFlows", true),
		replace("/events/1/redirectUri", "https://app.acme.test/cb2"),
		add("/events/1/pkce", false),
		add("/apps/0/oauth/scopes/0", "openid"),
		{Op: "remove", Path: "/apps/0/oauth/callbackUrls/0"},
	}
	s2, err := patchStruct(s, ops)
	if err != nil {
		t.Fatal(err)
	}
	if after, _ := json.Marshal(s); string(after) != string(before) {
		t.Errorf("patchStruct changed its input:\n before %s\n after  %s", before, after)
	}
	got := s2.Orgs[0].Users[0].PermissionSets
	if !slices.Equal(got, []string{"Sync Access"}) || !*s2.Orgs[0].Settings.AllowUsernamePasswordFlows ||
		*s2.Events[1].RedirectURI != "https://app.acme.test/cb2" || *s2.Events[1].PKCE ||
		!slices.Equal(s2.Apps[0].OAuth.Scopes, []string{"openid", "api", "refresh_token"}) || len(s2.Apps[0].OAuth.CallbackURLs) != 0 {
		t.Errorf("patched scenario: %+v", s2)
	}
	if s2.Events[0].RedirectURI != s.Events[0].RedirectURI {
		t.Errorf("an event the patch did not write was copied")
	}
	if &s2.Orgs[0].Profiles[0] != &s.Orgs[0].Profiles[0] {
		t.Errorf("a list the patch did not write was copied")
	}
	// Appending to the copy again does not reach the original's spare capacity.
	s3, err := patchStruct(s2, []PatchOp{add("/orgs/0/users/0/permissionSets/-", "Other")})
	if err != nil {
		t.Fatal(err)
	}
	if len(s3.Orgs[0].Users[0].PermissionSets) != 2 || len(s2.Orgs[0].Users[0].PermissionSets) != 1 {
		t.Errorf("second patch: %v, first: %v", s3.Orgs[0].Users[0].PermissionSets, s2.Orgs[0].Users[0].PermissionSets)
	}
}

// jsonFieldsOf reads every field of the scenario's types as encoding/json
// does: the json names and omission options, none left to the Go name.
func TestJSONFieldsOfScenarioTypes(t *testing.T) {
	seen := map[reflect.Type]bool{}
	var walk func(reflect.Type)
	walk = func(ty reflect.Type) {
		for ty.Kind() == reflect.Pointer || ty.Kind() == reflect.Slice {
			ty = ty.Elem()
		}
		if ty.Kind() != reflect.Struct || seen[ty] {
			return
		}
		seen[ty] = true
		for i := range ty.NumField() {
			sf := ty.Field(i)
			if sf.Anonymous {
				t.Errorf("%s.%s is embedded; jsonFieldsOf does not follow embedded structs", ty.Name(), sf.Name)
			}
			if sf.IsExported() && sf.Tag.Get("json") == "" {
				t.Errorf("%s.%s has no json tag", ty.Name(), sf.Name)
			}
			walk(sf.Type)
		}
	}
	walk(reflect.TypeOf(Scenario{}))
	f, ok := jsonFieldsOf(reflect.TypeOf(Org{})).byName("settings")
	if !ok || !f.omitZero || f.omitEmpty {
		t.Errorf("Org.settings: %+v %v; want omitzero only", f, ok)
	}
}

// Operations are independent when none runs through what another may
// change: its parent, or for an append its grandparent.
func TestIndependentOps(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"/orgs/0/users/0/permissionSets/-", "/apps/0/policies/ipRelaxation", true},
		{"/orgs/0/users/0/active", "/orgs/0/users/1/active", true},
		{"/orgs/0/users/0/active", "/orgs/0/users/0/active", false},
		{"/orgs/0/users/0/active", "/orgs/0/users/0/frozen", false},
		{"/orgs/0/settings/trustedIpRanges/-", "/orgs/0/settings/passwordPolicy/lockoutPeriod", false},
		{"/orgs/0/settings/trustedIpRanges/-", "/apps/0/name", true},
		{"/orgs/0/settings/trustedIpRanges/-", "/orgs/0/type", false}, // a nested add to /orgs/0/type would create /orgs/0
		{"/orgs/0/profiles/0", "/orgs/0/profiles/1/name", false},
		{"/orgs/0/users/0", "/orgs/0/users/0/active", false},
		{"/orgs/0/user", "/orgs/0/users/0/active", false}, // parents /orgs/0 contain both
		{"/now", "/orgs/0/type", false},
	} {
		ops := []PatchOp{replace(tc.a, "x"), replace(tc.b, "y")}
		if got := independentOps(ops); got != tc.want {
			t.Errorf("%s and %s: independent %v; want %v", tc.a, tc.b, got, tc.want)
		}
		if got := independentOps([]PatchOp{ops[1], ops[0]}); got != tc.want {
			t.Errorf("%s and %s: independent %v; want %v", tc.b, tc.a, got, tc.want)
		}
	}
}

// Every fix offered for the presets as they are applies to the preset's
// document as offered, leaves a valid scenario and flips its event (what
// fix search checked on JSON for every fix before; the mutations of the
// presets are TestFixesPropertyOverPresets).
func TestFixesFlipEveryPreset(t *testing.T) {
	total := 0
	for _, p := range Presets() {
		s, _ := presetScenario(t, p.Name)
		total += checkFixesNamed(t, p.Name, s, Evaluate(s, Options{}))
	}
	if total < 10 {
		t.Errorf("%d fixes verified over the presets; want at least 10", total)
	}
	t.Logf("%d fixes verified over %d presets", total, len(Presets()))
}
