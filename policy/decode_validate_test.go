package policy

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// TestTagCheckScenario pins internal/tagcheck on a Scenario (it also runs
// in the js build, where it is the implementation).
func TestTagCheckScenario(t *testing.T) {
	s := baseScenario()
	s.SchemaVersion = 2
	s.Orgs[0].Type = "prod"
	s.Orgs[0].ID = "00D5g000004XyZaAAA"
	s.Orgs[0].Profiles[0].LoginIPRanges = []IPRange{{Start: "fe80::1%eth0", End: "10.0.0.1"}}
	s.Orgs[0].Profiles[0].ConnectedApps = []string{"ok", ""}
	s.Apps[0].OAuth.Scopes = []string{"api", "API"}
	s.Apps[0].Policies.RefreshTokenPolicy = "expireAfter:5q"
	s.Events = []Event{
		{Do: "admin", Action: "patch", Patch: []PatchOp{{Op: "add", Path: "orgs"}, {Op: "test", Path: ""}}},
		{Do: "authorize", RedirectURI: ptr(strings.Repeat("é", 2001)), Policies: &Policies{SessionTimeout: "NaNd"}},
		{},
	}
	var got []string
	for _, e := range tags.Check(s) {
		got = append(got, fmt.Sprintf("%s %s (%s) %v %s", e.Path, e.Tag, e.Param, e.Kind, gotValue(e.Value)))
	}
	want := []string{
		`/schemaVersion eq (1) int 2`,
		`/orgs/0/id sfid (00D) string "00D5g000004XyZaAAA"`,
		`/orgs/0/type oneof (production sandbox developer scratch) string "prod"`,
		`/orgs/0/profiles/0/loginIpRanges/0/start ip () string "fe80::1%eth0"`,
		`/orgs/0/profiles/0/connectedApps/1 required () string ""`,
		`/apps/0/oauth/scopes/1 scope () string "API"`,
		`/apps/0/policies/refreshTokenPolicy rtpolicy () string "expireAfter:5q"`,
		`/events/0/patch/0/path startswith=/|eq= () string "orgs"`,
		`/events/1/redirectUri max (2000) string "` + strings.Repeat("é", 60) + `"…`,
		`/events/1/policies/sessionTimeout duration () string "NaNd"`,
		`/events/2/do required () string ""`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
