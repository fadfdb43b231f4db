package policy

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestUserRecordFacts(t *testing.T) {
	for at, want := range map[string]time.Duration{
		"2026-01-15T12:00:00Z": -8 * time.Hour,
		"2026-03-08T09:59:59Z": -8 * time.Hour, // 1:59:59 PST, the second Sunday of March
		"2026-03-08T10:00:00Z": -7 * time.Hour,
		"2026-11-01T08:59:59Z": -7 * time.Hour, // 1:59:59 PDT, the first Sunday of November
		"2026-11-01T09:00:00Z": -8 * time.Hour,
	} {
		tm, _ := time.Parse(time.RFC3339, at)
		if got := UTCOffset(tm); got != want {
			t.Errorf("UTCOffset(%s) = %v; want %v", at, got, want)
		}
	}
	u := &User{Username: "ana@acme.test"}
	if f, l := u.Names(); f != "" || l != "ana" || u.FullName() != "ana" {
		t.Errorf("names without names: %q %q %q; want \"\", ana, ana", f, l, u.FullName())
	}
	u.FirstName, u.LastName = "Ana", "Silva"
	if u.FullName() != "Ana Silva" || u.ProfileName() != "Standard User" {
		t.Errorf("FullName %q, ProfileName %q; want Ana Silva, Standard User", u.FullName(), u.ProfileName())
	}
	o := &Org{Name: "Acme"}
	if id := o.ProfileID("Standard User"); CheckIDPrefix(id, "00e") != nil || id == o.ProfileID("System Administrator") {
		t.Errorf("ProfileID = %q; want distinct 00e ids", id)
	}
}

// TestUserNamesDecode: firstName and lastName are optional, with
// Salesforce's lengths.
func TestUserNamesDecode(t *testing.T) {
	s := baseScenario()
	s.Orgs[0].Users[0].FirstName, s.Orgs[0].Users[0].LastName = "Ana", "Silva"
	data, _ := json.Marshal(s)
	dec, err := Decode(data)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if u := dec.Orgs[0].Users[0]; u.FirstName != "Ana" || u.LastName != "Silva" {
		t.Fatalf("decoded names %q %q; want Ana Silva", u.FirstName, u.LastName)
	}
	s.Orgs[0].Users[0].FirstName = strings.Repeat("a", 41)
	data, _ = json.Marshal(s)
	if _, err := Decode(data); err == nil || !strings.Contains(err.Error(), "firstName") {
		t.Fatalf("a 41-character first name: %v; want an error naming firstName", err)
	}
}
