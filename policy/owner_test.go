package policy

import (
	"strings"
	"testing"
)

// An app without ownerOrg is the only org's own app; with several orgs it
// comes from outside, and the September 2025 restriction applies.
func TestOmittedOwnerOrg(t *testing.T) {
	const org = `{"name": %q, "createdAt": "2024-02-01", "users": [{"username": "ana@%s.test"}]}`
	doc := func(orgs ...string) string {
		var parts []string
		for _, o := range orgs {
			parts = append(parts, strings.ReplaceAll(strings.ReplaceAll(org, "%q", `"`+o+`"`), "%s", strings.ToLower(o)))
		}
		return `{"schemaVersion": 1, "now": "2026-03-01T09:00:00Z", "orgs": [` + strings.Join(parts, ",") + `],
		  "apps": [{"name": "Sync", "oauth": {"callbackUrls": ["https://app.test/cb"], "scopes": ["api"]}}],
		  "events": [{"do": "authorize", "org": "Acme", "user": "ana@acme.test"}]}`
	}
	tests := []struct {
		name      string
		orgs      []string
		outcome   string
		errDesc   string
		becauseIn string
	}{
		{"single org owns it", []string{"Acme"}, Granted, "", "ownerOrg is omitted"},
		{"two orgs: from outside", []string{"Acme", "Globex"}, Denied, descMustBeInstalled, "is not installed in Acme"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := EvaluateJSON([]byte(doc(tt.orgs...)), Options{})
			if err != nil {
				t.Fatal(err)
			}
			r := res.Results[0]
			if r.Outcome != tt.outcome || r.ErrorDescription != tt.errDesc {
				t.Fatalf("got %q %q; want %q %q", r.Outcome, r.ErrorDescription, tt.outcome, tt.errDesc)
			}
			found := false
			for _, s := range r.Trace {
				if s.Rule == "app.installed" && strings.Contains(s.Because, tt.becauseIn) {
					found = true
				}
			}
			if !found {
				t.Errorf("app.installed step does not say %q: %+v", tt.becauseIn, r.Trace)
			}
		})
	}
}
