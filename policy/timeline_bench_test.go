package policy

import (
	"testing"
)

// timeline20 is a 20-event timeline over two orgs with approvals, tokens,
// admin actions, waits and denials (so fixes are searched).
const timeline20 = `{
  "schemaVersion": 1, "title": "twenty events", "now": "2026-03-01T09:00:00Z",
  "orgs": [
    {"name": "Acme", "createdAt": "2024-02-01", "myDomain": "acme",
     "profiles": [{"name": "Std", "permissions": ["apiEnabled"]}],
     "permissionSets": [{"name": "Sync Access", "connectedApps": ["Acme Sync"]}],
     "users": [{"username": "ana@acme.test", "profile": "Std"}, {"username": "bo@acme.test", "profile": "Std"}],
     "installedApps": [{"app": "Acme Sync", "policies": {"refreshTokenPolicy": "expireIfNotUsedFor:30d"}}]},
    {"name": "Globex", "createdAt": "2025-11-01", "myDomain": "globex",
     "profiles": [{"name": "Std", "permissions": ["apiEnabled"]}],
     "users": [{"username": "gil@globex.test", "profile": "Std"}]}
  ],
  "apps": [{"name": "Acme Sync", "ownerOrg": "Acme ISV",
            "oauth": {"callbackUrls": ["https://app.acme.test/cb"], "scopes": ["api", "refresh_token"], "certificate": "x",
                      "refreshTokenRotation": true}}],
  "events": [
    {"id": "a1", "do": "authorize", "org": "Acme", "user": "ana@acme.test", "pkce": true, "state": "s1"},
    {"id": "t1", "do": "token", "org": "Acme", "grant": "authorization_code", "use": "a1"},
    {"do": "api", "org": "Acme", "use": "t1"},
    {"do": "wait", "for": "3h"},
    {"do": "api", "org": "Acme", "use": "t1"},
    {"id": "r1", "do": "token", "org": "Acme", "grant": "refresh_token", "use": "t1"},
    {"do": "token", "org": "Acme", "grant": "refresh_token", "use": "t1"},
    {"do": "authorize", "org": "Globex", "user": "gil@globex.test", "state": "s2"},
    {"do": "token", "org": "Acme", "grant": "jwt_bearer", "user": "bo@acme.test"},
    {"do": "admin", "org": "Acme", "action": "setPolicy", "app": "Acme Sync", "policies": {"permittedUsers": "adminApproved"}},
    {"do": "admin", "org": "Acme", "action": "assignPermissionSet", "user": "bo@acme.test", "permissionSet": "Sync Access"},
    {"do": "token", "org": "Acme", "grant": "jwt_bearer", "user": "bo@acme.test"},
    {"id": "a2", "do": "authorize", "org": "Acme", "user": "ana@acme.test", "state": "s3"},
    {"do": "wait", "for": "31d"},
    {"do": "token", "org": "Acme", "grant": "password", "user": "bo@acme.test"},
    {"do": "admin", "org": "Acme", "action": "changePassword", "user": "bo@acme.test"},
    {"do": "soapLogin", "org": "Acme", "user": "bo@acme.test", "password": "old-literal"},
    {"do": "outboundMessage", "org": "Acme", "sendAsUser": "ana@acme.test"},
    {"do": "visualforceSession", "org": "Acme", "user": "ana@acme.test", "context": "lightning"},
    {"do": "api", "org": "Acme"}
  ]
}`

func BenchmarkTimeline20(b *testing.B) {
	s, err := Decode([]byte(timeline20))
	if err != nil {
		b.Fatal(err)
	}
	if n := len(s.Events); n != 20 {
		b.Fatalf("timeline has %d events; want 20", n)
	}
	for _, fixes := range []bool{false, true} {
		name := "noFixes"
		if fixes {
			name = "withFixes"
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Evaluate(s, Options{NoFixes: !fixes})
			}
		})
	}
}

// The benchmark timeline must really exercise denials and fixes.
func TestTimeline20HasDenialsAndFixes(t *testing.T) {
	s, err := Decode([]byte(timeline20))
	if err != nil {
		t.Fatal(err)
	}
	res := Evaluate(s, Options{})
	denied, fixes := 0, 0
	for _, r := range res.Results {
		if r.Outcome == Denied {
			denied++
			fixes += len(r.Fixes)
		}
	}
	if denied < 3 || fixes < 3 {
		t.Errorf("got %d denied events and %d fixes; want at least 3 of each", denied, fixes)
	}
}
