package protocol

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/caplab/caplab/policy"
)

var testNow = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

type response struct {
	Version int                 `json:"version"`
	OK      bool                `json:"ok"`
	Result  json.RawMessage     `json:"result"`
	Errors  []policy.FieldError `json:"errors"`
}

func call(t *testing.T, req string) response {
	t.Helper()
	out := Handle([]byte(req), testNow)
	var r response
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("response is not JSON: %v\n%s", err, out)
	}
	if r.Version != Version {
		t.Fatalf("response version %d, want %d: %s", r.Version, Version, out)
	}
	return r
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// canon re-encodes JSON so that two documents compare by value.
func canon(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, b)
	}
	return v
}

func firstPreset(t *testing.T) (string, []byte) {
	t.Helper()
	ps := policy.Presets()
	if len(ps) == 0 {
		t.Fatal("the engine has no presets")
	}
	doc, ok := policy.Preset(ps[0].Name)
	if !ok {
		t.Fatalf("preset %q listed but missing", ps[0].Name)
	}
	return ps[0].Name, doc
}

// selfAuthorize is a web server flow that works: the user self-authorizes.
const selfAuthorize = `{
  "schemaVersion": 1,
  "title": "fixture",
  "now": "2026-03-01T09:00:00Z",
  "orgs": [{"name": "Acme", "type": "production", "myDomain": "acme", "createdAt": "2024-02-01",
    "profiles": [{"name": "Standard User", "permissions": ["apiEnabled"]}],
    "users": [{"username": "ana@acme.test", "profile": "Standard User"}]}],
  "apps": [{"name": "Acme Sync", "ownerOrg": "Acme", "policies": {"permittedUsers": "%s"},
    "oauth": {"callbackUrls": ["https://app.acme.test/oauth/callback"], "scopes": ["api", "refresh_token"]}}],
  "events": [
    {"id": "a1", "do": "authorize", "flow": "webServer", "user": "ana@acme.test", "redirectUri": "https://app.acme.test/oauth/callback",
     "scope": "api refresh_token", "state": "xyz", "pkce": true, "consent": "allow"},
    {"id": "t1", "do": "token", "grant": "authorization_code", "use": "a1"}
  ]
}`

// deniedScenario is selfAuthorize with Permitted Users set to admin-approved
// and no pre-authorization, which denies the authorization.
func deniedScenario(t *testing.T) []byte {
	t.Helper()
	return []byte(strings.Replace(selfAuthorize, "%s", "adminApproved", 1))
}

func TestOps(t *testing.T) {
	name, presetDoc := firstPreset(t)
	doc := []byte(strings.Replace(selfAuthorize, "%s", "allSelfAuthorize", 1))
	denied := deniedScenario(t)
	nativeResult := func(doc []byte) any {
		r, err := policy.EvaluateJSON(doc, policy.Options{Now: testNow})
		if err != nil {
			t.Fatal(err)
		}
		return canon(t, []byte(mustJSON(t, r)))
	}
	tests := []struct {
		name  string
		req   string
		check func(t *testing.T, r response)
	}{
		{"info", `{"version":1,"op":"info"}`, func(t *testing.T, r response) {
			var info Info
			json.Unmarshal(r.Result, &info)
			if info.Protocol != 1 || info.EngineVersion != policy.EngineVersion || !reflect.DeepEqual(info.Scopes, policy.ScopeNames) ||
				!reflect.DeepEqual(info.Permissions, policy.PermissionNames) || !reflect.DeepEqual(info.Ops, Ops) {
				t.Errorf("info = %+v", info)
			}
			if !reflect.DeepEqual(info.ScopeLabels, policy.ScopeLabels) {
				t.Errorf("info scopeLabels = %v, want policy.ScopeLabels", info.ScopeLabels)
			}
			// The form's enums come from here: the event kinds and the
			// Permitted Users values as Decode accepts them.
			for ptr, want := range map[string]string{"/events/*/do": "soapLogin", "/apps/*/policies/permittedUsers": "adminApproved",
				"/orgs/*/installedApps/*/policies/ipRelaxation": "relax", "/events/*/grant": "jwt_bearer"} {
				if !slices.Contains(info.Enums[ptr], want) {
					t.Errorf("info enums[%s] = %v, want it to list %s", ptr, info.Enums[ptr], want)
				}
			}
		}},
		{"live", `{"version":1,"op":"live","scenario":` + string(doc) + `}`, func(t *testing.T, r response) {
			var got policy.LiveClient
			json.Unmarshal(r.Result, &got)
			s, err := policy.Decode(doc)
			if err != nil {
				t.Fatal(err)
			}
			want := s.LiveClient(true)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("live = %+v, want %+v", got, want)
			}
			if len(got.Apps) != 1 || got.Apps[0].ClientID != s.Apps[0].ConsumerKey() || got.Apps[0].ClientSecret != policy.LiveDefaultSecret ||
				len(got.Users) != 1 || got.Users[0].Password != policy.LiveDefaultPassword {
				t.Errorf("live = %+v: want the app's derived client_id and the live org's default secret and password", got)
			}
		}},
		{"presets", `{"version":1,"op":"presets"}`, func(t *testing.T, r response) {
			var got []policy.PresetInfo
			json.Unmarshal(r.Result, &got)
			if !reflect.DeepEqual(got, policy.Presets()) {
				t.Errorf("presets = %+v, want %+v", got, policy.Presets())
			}
		}},
		{"preset", `{"version":1,"op":"preset","name":` + mustJSON(t, name) + `}`, func(t *testing.T, r response) {
			if !reflect.DeepEqual(canon(t, r.Result), canon(t, presetDoc)) {
				t.Errorf("preset %s differs from policy.Preset", name)
			}
		}},
		{"evaluate object", `{"version":1,"op":"evaluate","scenario":` + string(doc) + `}`, func(t *testing.T, r response) {
			if !reflect.DeepEqual(canon(t, r.Result), nativeResult(doc)) {
				t.Errorf("evaluate differs from policy.EvaluateJSON")
			}
		}},
		{"evaluate text", `{"version":1,"op":"evaluate","scenario":` + mustJSON(t, string(denied)) + `}`, func(t *testing.T, r response) {
			if !reflect.DeepEqual(canon(t, r.Result), nativeResult(denied)) {
				t.Errorf("evaluate differs from policy.EvaluateJSON")
			}
			var res policy.Result
			json.Unmarshal(r.Result, &res)
			if res.Results[0].Outcome != policy.Denied || len(res.Results[0].Fixes) == 0 {
				t.Errorf("event 0 = %s with %d fixes, want denied with fixes", res.Results[0].Outcome, len(res.Results[0].Fixes))
			}
		}},
		{"evaluate noFixes", `{"version":1,"op":"evaluate","noFixes":true,"scenario":` + string(denied) + `}`, func(t *testing.T, r response) {
			var res policy.Result
			json.Unmarshal(r.Result, &res)
			if len(res.Results[0].Fixes) != 0 {
				t.Errorf("noFixes still lists %d fixes", len(res.Results[0].Fixes))
			}
		}},
		{"lint valid", `{"version":1,"op":"lint","scenario":` + mustJSON(t, string(doc)) + `}`, func(t *testing.T, r response) {
			var lr LintResult
			json.Unmarshal(r.Result, &lr)
			if !lr.Valid || lr.Errors == nil || len(lr.Errors) != 0 {
				t.Errorf("lint = %s", r.Result)
			}
		}},
		{"lint invalid with positions", `{"version":1,"op":"lint","scenario":` + mustJSON(t, "{\n  \"schemaVersion\": 2,\n  \"orgs\": []\n}") + `}`, func(t *testing.T, r response) {
			var lr LintResult
			json.Unmarshal(r.Result, &lr)
			want := policy.Lint([]byte("{\n  \"schemaVersion\": 2,\n  \"orgs\": []\n}"))
			if lr.Valid || !reflect.DeepEqual(lr.Errors, want) {
				t.Errorf("lint = %+v, want %+v", lr, want)
			}
			if lr.Errors[0].Path != "/schemaVersion" || lr.Errors[0].Line != 2 || lr.Errors[0].Column != 20 {
				t.Errorf("first error = %+v, want /schemaVersion at 2:20", lr.Errors[0])
			}
		}},
		{"diff", `{"version":1,"op":"diff","a":` + string(doc) + `,"b":` + mustJSON(t, string(denied)) + `}`, func(t *testing.T, r response) {
			var dr DiffResult
			json.Unmarshal(r.Result, &dr)
			ra, _ := policy.EvaluateJSON(doc, policy.Options{Now: testNow})
			rb, _ := policy.EvaluateJSON(denied, policy.Options{Now: testNow})
			want := policy.Diff(ra, rb)
			if !reflect.DeepEqual(dr.Diff, want) || dr.Diff.Same || dr.Diff.Event != 0 {
				t.Errorf("diff = %+v, want %+v", dr.Diff, want)
			}
			if len(dr.A.Results) != len(ra.Results) || len(dr.B.Results) != len(rb.Results) {
				t.Errorf("diff results have %d and %d events", len(dr.A.Results), len(dr.B.Results))
			}
		}},
		{"diff same", `{"version":1,"op":"diff","a":` + string(doc) + `,"b":` + string(doc) + `}`, func(t *testing.T, r response) {
			var dr DiffResult
			json.Unmarshal(r.Result, &dr)
			if !dr.Diff.Same || dr.Diff.Event != -1 {
				t.Errorf("diff = %+v, want same", dr.Diff)
			}
		}},
		{"fixes", `{"version":1,"op":"fixes","scenario":` + string(denied) + `}`, func(t *testing.T, r response) {
			var got []EventFixes
			json.Unmarshal(r.Result, &got)
			res, _ := policy.EvaluateJSON(denied, policy.Options{Now: testNow})
			var want []EventFixes
			for _, er := range res.Results {
				if er.Outcome == policy.Denied {
					f := er.Fixes
					if f == nil {
						f = []policy.Fix{}
					}
					want = append(want, EventFixes{Event: er.Event, ID: er.ID, Error: er.Error, ErrorDescription: er.ErrorDescription, Fixes: f})
				}
			}
			if !reflect.DeepEqual(canon(t, []byte(mustJSON(t, got))), canon(t, []byte(mustJSON(t, want)))) || len(got) == 0 {
				t.Errorf("fixes = %+v, want %+v", got, want)
			}
		}},
		{"now override", `{"version":1,"op":"evaluate","now":"2030-01-02T03:04:05Z","scenario":{"schemaVersion":1,"orgs":[{"name":"A"}],"events":[{"do":"wait","for":"1h"}]}}`, func(t *testing.T, r response) {
			var res policy.Result
			json.Unmarshal(r.Result, &res)
			if len(res.Results) != 1 || !strings.HasPrefix(res.Results[0].At, "2030-01-02") {
				t.Errorf("result = %s, want the event at the request's now", r.Result)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := call(t, tc.req)
			if !r.OK {
				t.Fatalf("ok = false: %+v", r.Errors)
			}
			tc.check(t, r)
		})
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name string
		req  string
		want []policy.FieldError // Message is matched as a substring
	}{
		{"empty", ``, []policy.FieldError{{Message: "empty request"}}},
		{"malformed JSON", "{\"version\":1,\n\"op\": \"lint\",,\n}", []policy.FieldError{{Message: "invalid request JSON", Line: 2, Column: 14}}},
		{"truncated JSON", "{\"version\":1,\n\"op\":", []policy.FieldError{{Message: "invalid request JSON", Line: 2, Column: 5}}},
		{"not an object", `[1,2]`, []policy.FieldError{{Message: "must be a JSON object", Line: 1, Column: 1}}},
		{"wrong type", "{\"version\":\"1\",\"op\":\"info\"}", []policy.FieldError{{Path: "/version", Message: "must be a number", Line: 1, Column: 12}}},
		{"missing version", `{"op":"presets"}`, []policy.FieldError{{Path: "/version", Message: "missing protocol version"}}},
		{"bad version", "{\"op\":\"presets\",\n  \"version\": 2}", []policy.FieldError{{Path: "/version", Message: "unsupported protocol version 2; this engine speaks version 1", Line: 2, Column: 14}}},
		{"missing op", `{"version":1}`, []policy.FieldError{{Path: "/op", Message: "missing op"}}},
		{"bad op", `{"version":1,"op":"explode"}`, []policy.FieldError{{Path: "/op", Message: `unknown op "explode"; this engine knows info, evaluate`, Line: 1, Column: 19}}},
		{"bad now", `{"version":1,"op":"info","now":"yesterday"}`, []policy.FieldError{{Path: "/now", Message: "RFC 3339"}}},
		{"missing scenario", `{"version":1,"op":"evaluate"}`, []policy.FieldError{{Path: "/scenario", Message: "missing scenario"}}},
		{"null scenario", `{"version":1,"op":"lint","scenario":null}`, []policy.FieldError{{Path: "/scenario", Message: "missing scenario"}}},
		{"missing preset name", `{"version":1,"op":"preset"}`, []policy.FieldError{{Path: "/name", Message: "missing preset name"}}},
		{"unknown preset", `{"version":1,"op":"preset","name":"../etc"}`, []policy.FieldError{{Path: "/name", Message: `unknown preset "../etc"`}}},
		{"scenario syntax error", `{"version":1,"op":"evaluate","scenario":` + mustJSON(t, "{\n  \"schemaVersion\": 1,\n  \"orgs\": [}\n}") + `}`,
			[]policy.FieldError{{Message: "Expected a value before }", Line: 3, Column: 12}}},
		{"scenario invalid", `{"version":1,"op":"evaluate","scenario":` + mustJSON(t, "{\n  \"schemaVersion\": 1,\n  \"orgs\": [{\"name\": \"A\", \"type\": \"moon\"}],\n  \"events\": []\n}") + `}`,
			[]policy.FieldError{{Path: "/orgs/0/type", Message: "must be one of", Line: 3, Column: 34}}},
		{"fixes invalid", `{"version":1,"op":"fixes","scenario":{"schemaVersion":3,"orgs":[{"name":"A"}],"events":[]}}`,
			[]policy.FieldError{{Path: "/schemaVersion", Message: "must be 1"}}},
		{"diff missing b", `{"version":1,"op":"diff","a":{}}`, []policy.FieldError{{Path: "/b", Message: "missing b"}}},
		{"diff invalid sides", `{"version":1,"op":"diff","a":{"schemaVersion":2,"orgs":[{"name":"A"}],"events":[]},"b":` + mustJSON(t, "{\"schemaVersion\":1,\n\"orgs\":[{\"name\":\"A\",\"type\":\"x\"}],\"events\":[]}") + `}`,
			[]policy.FieldError{{Path: "/a/schemaVersion", Message: "must be 1"}, {Path: "/b/orgs/0/type", Message: "must be one of", Line: 2}}},
		{"oversized", `{"version":1,"op":"lint","scenario":"` + strings.Repeat("x", MaxRequestSize) + `"}`, []policy.FieldError{{Message: "the limit is"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := call(t, tc.req)
			if r.OK {
				t.Fatalf("ok = true, want errors %+v", tc.want)
			}
			if r.Result != nil {
				t.Errorf("error response carries a result: %s", r.Result)
			}
			if len(r.Errors) < len(tc.want) {
				t.Fatalf("errors = %+v, want %+v", r.Errors, tc.want)
			}
			for i, w := range tc.want {
				g := r.Errors[i]
				if g.Path != w.Path || !strings.Contains(g.Message, w.Message) ||
					(w.Line != 0 && g.Line != w.Line) || (w.Column != 0 && g.Column != w.Column) {
					t.Errorf("error %d = %q %q at %d:%d, want %q %q at %d:%d", i, g.Path, g.Message, g.Line, g.Column, w.Path, w.Message, w.Line, w.Column)
				}
			}
		})
	}
}

// TestNeverPanics: whatever the input, Handle answers with a response
// of the protocol's shape.
func TestNeverPanics(t *testing.T) {
	for _, req := range []string{`null`, `"x"`, `{"version":1,"op":"evaluate","scenario":"{"}`, `{"version":1,"op":"diff","a":"","b":""}`,
		`{"version":1,"op":"evaluate","scenario":12}`, `{"version":1,"op":"preset","name":7}`, "\xff\xfe"} {
		out := Handle([]byte(req), testNow)
		var r response
		if err := json.Unmarshal(out, &r); err != nil || r.Version != 1 || r.OK {
			t.Errorf("Handle(%q) = %s", req, out)
		}
	}
}

func TestLineColumn(t *testing.T) {
	data := []byte("ab\ncé\nx")
	for _, tc := range []struct{ off, line, col int }{{0, 1, 1}, {2, 1, 3}, {3, 2, 1}, {6, 2, 3}, {7, 3, 1}, {99, 3, 2}} {
		if l, c := lineColumn(data, tc.off); l != tc.line || c != tc.col {
			t.Errorf("lineColumn(%d) = %d:%d, want %d:%d", tc.off, l, c, tc.line, tc.col)
		}
	}
}

func FuzzHandle(f *testing.F) {
	f.Add([]byte(`{"version":1,"op":"presets"}`))
	f.Add([]byte(`{"version":1,"op":"lint","scenario":"{}"}`))
	f.Add([]byte(`{"version":1,"op":"diff","a":{},"b":"[]"}`))
	f.Fuzz(func(t *testing.T, req []byte) {
		var r response
		if err := json.Unmarshal(Handle(req, testNow), &r); err != nil || r.Version != 1 {
			t.Fatalf("bad response for %q", req)
		}
	})
}
