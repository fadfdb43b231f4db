package policy

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

// requiredPresets are the presets the playground and the docs link to.
var requiredPresets = []string{
	"admin-approved-not-assigned",
	"admin-approved-permission-set",
	"admin-approved-revokes-unassigned",
	"client-credentials-my-domain",
	"insufficient-privileges-login-as",
	"insufficient-privileges-no-password",
	"isv-vs-subscriber-policies",
	"jwt-bearer-pre-authorization",
	"login-hours",
	"login-ip-ranges-relaxation",
	"one-app-two-orgs-callbacks",
	"outbound-message-session-id",
	"password-change-oauth-survives",
	"password-lockout",
	"permission-set-group-pre-authorization",
	"pkce-required-missing",
	"pre-authorize-needs-install",
	"refresh-token-idle-expiry",
	"refresh-token-rotation-reuse",
	"soap-login-stored-credentials",
	"uninstalled-app-blocked",
	"username-password-new-org",
	"visualforce-session-id",
	"web-server-self-authorize",
}

// sixEventPreset is the preset BenchmarkEvaluateSixEvents evaluates.
const sixEventPreset = "refresh-token-idle-expiry"

// Real-looking secrets a preset must never carry (share links refuse them).
var realSecret = regexp.MustCompile(`3MVG|00D[0-9A-Za-z]{12,15}![0-9A-Za-z._]|PRIVATE KEY`)

func presetScenario(t testing.TB, name string) (*Scenario, []byte) {
	t.Helper()
	data, ok := Preset(name)
	if !ok {
		t.Fatalf("Preset(%q) not found", name)
	}
	s, err := Decode(data)
	if err != nil {
		t.Fatalf("preset %s does not decode: %v", name, err)
	}
	return s, data
}

func TestPresetsListed(t *testing.T) {
	list := Presets()
	if len(list) == 0 {
		t.Fatal("Presets() is empty")
	}
	names := make([]string, len(list))
	for i, p := range list {
		names[i] = p.Name
	}
	if !slices.IsSorted(names) {
		t.Errorf("Presets() not in name order: %v", names)
	}
	for _, want := range requiredPresets {
		if !slices.Contains(names, want) {
			t.Errorf("required preset %s is missing", want)
		}
	}
	if !slices.Contains(names, sixEventPreset) {
		t.Errorf("benchmark preset %s is missing", sixEventPreset)
	}
}

func TestPresetLookupRejectsPaths(t *testing.T) {
	for _, name := range []string{"../x", "", "presets/web-server-self-authorize", "web-server-self-authorize.json", `..\x`, "no-such-preset"} {
		if data, ok := Preset(name); ok || data != nil {
			t.Errorf("Preset(%q) = %d bytes, %v; want nil, false", name, len(data), ok)
		}
	}
}

func TestPresets(t *testing.T) {
	for _, p := range Presets() {
		t.Run(p.Name, func(t *testing.T) {
			if strings.TrimSpace(p.Title) == "" {
				t.Errorf("preset %s has no title", p.Name)
			}
			if n := len([]rune(p.Lesson)); n < 200 {
				t.Errorf("preset %s: lesson is %d characters; want at least 200", p.Name, n)
			}
			s, data := presetScenario(t, p.Name)
			if s.Title != p.Title || s.Lesson != p.Lesson {
				t.Errorf("preset %s: PresetInfo title/lesson differ from the document's", p.Name)
			}
			if s.Now == "" {
				t.Errorf("preset %s has no fixed now", p.Name)
			}
			if loc := realSecret.FindIndex(data); loc != nil {
				t.Errorf("preset %s carries a real-looking secret: %q", p.Name, data[loc[0]:loc[1]])
			}
			if len(s.Events) == 0 {
				t.Fatalf("preset %s has no events", p.Name)
			}
			res, err := EvaluateJSON(data, Options{})
			if err != nil {
				t.Fatalf("preset %s: EvaluateJSON: %v", p.Name, err)
			}
			if len(res.Results) != len(s.Events) {
				t.Fatalf("preset %s: %d results for %d events", p.Name, len(res.Results), len(s.Events))
			}
			for i, ev := range s.Events {
				ex := ev.Expect
				if ex == nil {
					t.Errorf("preset %s event %d (%s): no expect", p.Name, i, ev.Do)
					continue
				}
				if ex.Outcome == "" {
					t.Errorf("preset %s event %d (%s): expect has no outcome", p.Name, i, ev.Do)
				}
				if ex.Outcome == Denied && (ex.Error == "" || ex.ErrorDescription == "" || ex.Delivery == "") {
					t.Errorf("preset %s event %d (%s): a denial's expect needs error, errorDescription and delivery", p.Name, i, ev.Do)
				}
				got := res.Results[i]
				for _, f := range []struct{ field, got, want string }{
					{"outcome", got.Outcome, ex.Outcome},
					{"error", got.Error, ex.Error},
					{"errorDescription", got.ErrorDescription, ex.ErrorDescription},
					{"delivery", got.Delivery, ex.Delivery},
				} {
					if f.want != "" && f.got != f.want {
						t.Errorf("preset %s event %d (%s %s) %s: got %q; want %q", p.Name, i, ev.Do, ev.ID, f.field, f.got, f.want)
					}
				}
				if got.Expect == nil || !got.Expect.Met {
					t.Errorf("preset %s event %d: the result's expect check is %+v; want met", p.Name, i, got.Expect)
				}
			}
		})
	}
}

func BenchmarkPresets(b *testing.B) {
	for _, p := range Presets() {
		s, _ := presetScenario(b, p.Name)
		b.Run(p.Name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Evaluate(s, Options{})
			}
		})
	}
}

// BenchmarkEvaluateSixEvents is the engine's performance bar: a 6-event
// scenario, fixes included, in under 50 µs natively.
func BenchmarkEvaluateSixEvents(b *testing.B) {
	s, _ := presetScenario(b, sixEventPreset)
	if n := len(s.Events); n != 6 {
		b.Fatalf("preset %s has %d events; want 6", sixEventPreset, n)
	}
	for _, c := range []struct {
		name string
		opt  Options
	}{{"withFixes", Options{}}, {"noFixes", Options{NoFixes: true}}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Evaluate(s, c.opt)
			}
		})
	}
}

// Fixes that need a patch into an omitted object (the org's settings) or a
// policy set in the document are found and verified.
func TestPresetFixes(t *testing.T) {
	for _, c := range []struct {
		preset  string
		event   int
		summary string
	}{
		{"username-password-new-org", 0, "Turn on Allow OAuth Username-Password Flows"},
		{"refresh-token-idle-expiry", 5, "Refresh token is valid until revoked"},
		{"jwt-bearer-pre-authorization", 0, "Admin approved users are pre-authorized"},
		{"login-ip-ranges-relaxation", 0, "Relax IP restrictions"},
		{"login-hours", 0, "log in all day on monday"},
		// Fact sheet §12 (the seed): the engine offers both fixes.
		{"insufficient-privileges-no-password", 0, "Reset Password"},
		{"insufficient-privileges-login-as", 0, "Pre-authorize"},
		{"permission-set-group-pre-authorization", 2, "Assign permission set Sync Access to bob@acme.test"},
	} {
		s, _ := presetScenario(t, c.preset)
		res := Evaluate(s, Options{})
		var got []string
		for _, f := range res.Results[c.event].Fixes {
			got = append(got, f.Summary)
		}
		if !slices.ContainsFunc(got, func(s string) bool { return strings.Contains(s, c.summary) }) {
			t.Errorf("preset %s event %d: fixes %q; want one mentioning %q", c.preset, c.event, got, c.summary)
		}
	}
	// An API Only user can't consent, so no fix asks them to.
	s, _ := presetScenario(t, "jwt-bearer-pre-authorization")
	for _, f := range Evaluate(s, Options{}).Results[0].Fixes {
		if f.Actor == ActorUser {
			t.Errorf("jwt-bearer-pre-authorization: fix %q asks an API Only user to authorize interactively", f.Summary)
		}
	}
}

// presetAndRuleScenarios is every preset and every rule table case, decoded:
// the scenarios the fix-search properties are checked on.
func presetAndRuleScenarios(t testing.TB) []*Scenario {
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
	return scenarios
}
