package policy

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

// decodeScenario round-trips a scenario built in Go through Decode.
func decodeScenario(t testing.TB, s *Scenario) *Scenario {
	t.Helper()
	data, err := json.Marshal(s)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	d, err := Decode(data)
	if err != nil {
		t.Fatalf("scenario does not decode:\n%v\n%s", err, data)
	}
	return d
}

var actors = []string{ActorSubscriberAdmin, ActorISVDeveloper, ActorUser, ActorClient}

// checkFixes verifies every fix offered for every denied event of an
// evaluated scenario: the patch applies as offered, the patched scenario is
// valid, and re-evaluating it grants that event. It returns how many fixes
// it verified.
func checkFixes(t testing.TB, s *Scenario, res *Result) int {
	t.Helper()
	doc, err := json.Marshal(s)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	n := 0
	for i, r := range res.Results {
		if r.Outcome != Denied {
			if len(r.Fixes) > 0 {
				t.Errorf("event %d is granted but offers fixes", i)
			}
			continue
		}
		for _, f := range r.Fixes {
			n++
			where := fmt.Sprintf("event %d (%s %s), fix %q", i, r.Error, r.ErrorDescription, f.Summary)
			if !slices.Contains(actors, f.Actor) || f.Summary == "" || len(f.Patch) == 0 {
				t.Errorf("%s: malformed fix %+v", where, f)
				continue
			}
			patched, ops, _, err := applyPatch(doc, f.Patch)
			if err != nil {
				t.Errorf("%s: patch does not apply: %v", where, err)
				continue
			}
			if pa, pb := patchKey(ops), patchKey(f.Patch); pa != pb {
				t.Errorf("%s: patch applies only after rewriting:\n offered %s\n applied %s", where, pb, pa)
			}
			s2, err := Decode(patched)
			if err != nil {
				t.Errorf("%s: patched scenario is invalid: %v", where, err)
				continue
			}
			if got := Evaluate(s2, Options{NoFixes: true}).Results[i]; got.Outcome != Granted {
				t.Errorf("%s: after the patch the event is still %s: %s %s\n%s", where, got.Outcome, got.Error, got.ErrorDescription, traceText(got))
			}
		}
	}
	return n
}

// Every fix offered in any rule table flips its event.
func TestFixesFlipRuleCases(t *testing.T) {
	total, deniedWithFix, denied := 0, 0, 0
	for _, tb := range ruleTables {
		for _, c := range tb.cases() {
			t.Run(tb.rule+"/"+c.name, func(t *testing.T) {
				s := decodeScenario(t, c.s)
				res := Evaluate(s, Options{})
				total += checkFixes(t, s, res)
				for _, r := range res.Results {
					if r.Outcome == Denied && r.Do != "admin" {
						denied++
						if len(r.Fixes) > 0 {
							deniedWithFix++
						}
					}
				}
			})
		}
	}
	t.Logf("%d fixes verified; %d of %d denied events offer one", total, deniedWithFix, denied)
	if total < 100 || deniedWithFix*2 < denied {
		t.Errorf("only %d fixes verified and %d of %d denied events have one: fix search is not working", total, deniedWithFix, denied)
	}
}

// Fixes the tables rely on, by name: each is offered and flips its event.
func TestSpecificFixesOffered(t *testing.T) {
	for _, tc := range []struct {
		name    string
		s       *Scenario
		actor   string
		summary string
	}{
		{"not admin approved: assign the permission set",
			scen(evs(webServer()), adminApproved(), addPermSet("Sync Access", false, []string{tApp})),
			ActorSubscriberAdmin, "Assign permission set Sync Access to ana@acme.test"},
		{"uninstalled: install",
			scen(evs(webServer()), foreignApp()), ActorSubscriberAdmin,
			"Install Acme Sync in Acme (AppInstallApprovalPage link, or Install on Connected Apps OAuth Usage)"},
		{"callback mismatch: register it",
			scen(evs(webServer(redirect(tCallback + "/")))), ActorISVDeveloper, "Add https://app.acme.test/cb/ to the app's callback URLs"},
		{"JWT without approval: the user approves once",
			scen(evs(jwtGrant()), certificate()), ActorUser, "ana@acme.test authorizes Acme Sync once through an interactive flow (web server flow consent)"},
		{"bad JWT signature: sign a fresh assertion",
			scen(evs(jwtGrant(assertion("badSignature"))), certificate(), approved()), ActorClient,
			"Sign a fresh assertion (exp within 3 minutes) with the key matching the app's certificate"},
		{"IP restricted: relax",
			scen(evs(webServer(from(tOutside))), ipRanges(tRange)), ActorSubscriberAdmin, `Set IP Relaxation to "Relax IP restrictions" for Acme Sync`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := decodeScenario(t, tc.s)
			res := Evaluate(s, Options{})
			checkFixes(t, s, res)
			last := res.Results[len(res.Results)-1]
			if !slices.ContainsFunc(last.Fixes, func(f Fix) bool { return f.Actor == tc.actor && f.Summary == tc.summary }) {
				t.Errorf("fix %s %q not offered; got %+v", tc.actor, tc.summary, last.Fixes)
			}
		})
	}
}

// Denials that no change to the scenario can turn into a grant offer no
// fix (a suggestion without a patch is never offered as one).
func TestNoFixWhenNoneExists(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    *Scenario
	}{
		{"outbound message after 2026-02-23", scen(evs(outbound()))},
		{"SOAP login() after its retirement", scen(evs(soapLoginEv()), at("2027-06-01T00:00:00Z"))},
		{"authorization code replayed", scen(evs(webServer(id("a1")), codeGrant(use("a1")), codeGrant(use("a1"))))},
		{"authorization code expired", scen(evs(webServer(id("a1")), wait("15m"), codeGrant(use("a1"))))},
		{"refresh token revoked", scen(append(codeFlow(), revokeEv(use("t1"), tokenKind("refresh")), refreshGrant(use("t1"))))},
		{"refresh token rotated out", scen(append(codeFlow(), refreshGrant(id("r1"), use("t1")), refreshGrant(use("t1"))),
			withApp(func(a *App) { a.OAuth.RefreshTokenRotation = true }))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := evalScenario(t, tc.s)
			last := res.Results[len(res.Results)-1]
			if last.Outcome != Denied {
				t.Fatalf("event granted; the case needs a denial\n%s", traceText(last))
			}
			if len(last.Fixes) != 0 {
				t.Errorf("offers %d fixes for a denial no change can fix: %+v", len(last.Fixes), last.Fixes)
			}
		})
	}
}

// mutation changes a scenario at random; false when it did not apply.
type mutation struct {
	name string
	do   func(r *rand.Rand, s *Scenario) bool
}

func pick[T any](r *rand.Rand, xs []T) (*T, bool) {
	if len(xs) == 0 {
		return nil, false
	}
	return &xs[r.IntN(len(xs))], true
}

// pickEvent picks an event of one kind ("" = any).
func pickEvent(r *rand.Rand, s *Scenario, do string) (*Event, bool) {
	var ix []int
	for i, e := range s.Events {
		if do == "" || e.Do == do {
			ix = append(ix, i)
		}
	}
	if len(ix) == 0 {
		return nil, false
	}
	return &s.Events[ix[r.IntN(len(ix))]], true
}

// onApp is a mutation that changes one random app.
func onApp(change func(r *rand.Rand, a *App)) func(*rand.Rand, *Scenario) bool {
	return func(r *rand.Rand, s *Scenario) bool {
		a, ok := pick(r, s.Apps)
		if ok {
			change(r, a)
		}
		return ok
	}
}

// onEvent is a mutation that changes one random event of a kind ("" = any).
func onEvent(do string, change func(r *rand.Rand, e *Event)) func(*rand.Rand, *Scenario) bool {
	return func(r *rand.Rand, s *Scenario) bool {
		e, ok := pickEvent(r, s, do)
		if ok {
			change(r, e)
		}
		return ok
	}
}

func flip(p **bool, def bool) {
	v := def
	if *p != nil {
		v = **p
	}
	*p = ptr(!v)
}

var mutations = []mutation{
	{"flip an org setting", func(r *rand.Rand, s *Scenario) bool {
		o, _ := pick(r, s.Orgs)
		set := &o.Settings
		switch r.IntN(5) {
		case 0:
			flip(&set.AllowUsernamePasswordFlows, false)
		case 1:
			flip(&set.AllowUserAgentFlows, false)
		case 2:
			flip(&set.RequirePkce, false)
		case 3:
			flip(&set.APIAccessControl, false)
		default:
			flip(&set.SoapAPILogin, true)
		}
		return true
	}},
	{"flip an app setting", func(r *rand.Rand, s *Scenario) bool {
		a, ok := pick(r, s.Apps)
		if !ok {
			return false
		}
		c := &a.OAuth
		switch r.IntN(7) {
		case 0:
			flip(&c.RequireSecretForWebServerFlow, true)
		case 1:
			flip(&c.RequireSecretForRefreshTokenFlow, true)
		case 2:
			c.RequirePkce = !c.RequirePkce
		case 3:
			c.DeviceFlow = !c.DeviceFlow
		case 4:
			c.TokenExchange = !c.TokenExchange
		case 5:
			c.RefreshTokenRotation = !c.RefreshTokenRotation
		default:
			c.ClientCredentials.Enabled = !c.ClientCredentials.Enabled
		}
		return true
	}},
	{"remove a profile's connected apps", func(r *rand.Rand, s *Scenario) bool {
		o, _ := pick(r, s.Orgs)
		p, ok := pick(r, o.Profiles)
		if !ok || len(p.ConnectedApps) == 0 {
			return false
		}
		p.ConnectedApps = nil
		return true
	}},
	{"assign an app through a profile", func(r *rand.Rand, s *Scenario) bool {
		o, _ := pick(r, s.Orgs)
		p, ok := pick(r, o.Profiles)
		a, ok2 := pick(r, s.Apps)
		if !ok || !ok2 || slices.Contains(p.ConnectedApps, a.Name) {
			return false
		}
		p.ConnectedApps = append(slices.Clone(p.ConnectedApps), a.Name)
		return true
	}},
	{"remove a permission set's connected apps", func(r *rand.Rand, s *Scenario) bool {
		o, _ := pick(r, s.Orgs)
		p, ok := pick(r, o.PermissionSets)
		if !ok || len(p.ConnectedApps) == 0 {
			return false
		}
		p.ConnectedApps = nil
		return true
	}},
	{"consent deny", onEvent("authorize", func(r *rand.Rand, e *Event) {
		e.Consent = "deny"
	})},
	{"immediate", onEvent("authorize", func(r *rand.Rand, e *Event) {
		e.Immediate = true
	})},
	{"wrong client secret", onEvent("token", func(r *rand.Rand, e *Event) {
		e.ClientSecret = "wrong"
	})},
	{"uninstall apps", func(r *rand.Rand, s *Scenario) bool {
		o, _ := pick(r, s.Orgs)
		if len(o.InstalledApps) == 0 {
			return false
		}
		o.InstalledApps = nil
		return true
	}},
	{"app owned elsewhere", onApp(func(r *rand.Rand, a *App) {
		a.OwnerOrg = "Elsewhere ISV"
	})},
	{"admin approved", onApp(func(r *rand.Rand, a *App) {
		a.Policies.PermittedUsers = "adminApproved"
	})},
	{"block an installed app", func(r *rand.Rand, s *Scenario) bool {
		o, _ := pick(r, s.Orgs)
		ia, ok := pick(r, o.InstalledApps)
		if ok {
			ia.Blocked = true
		}
		return ok
	}},
	{"deactivate or remove the password", func(r *rand.Rand, s *Scenario) bool {
		o, _ := pick(r, s.Orgs)
		u, ok := pick(r, o.Users)
		if !ok {
			return false
		}
		if r.IntN(2) == 0 {
			u.Active = ptr(false)
		} else {
			u.HasPassword = ptr(false)
		}
		return true
	}},
	{"remove API Enabled", func(r *rand.Rand, s *Scenario) bool {
		o, _ := pick(r, s.Orgs)
		p, ok := pick(r, o.Profiles)
		if !ok {
			return false
		}
		p.Permissions = slices.DeleteFunc(slices.Clone(p.Permissions), func(x string) bool { return x == "apiEnabled" })
		return true
	}},
	{"login IP ranges", func(r *rand.Rand, s *Scenario) bool {
		o, _ := pick(r, s.Orgs)
		p, ok := pick(r, o.Profiles)
		if !ok {
			return false
		}
		p.LoginIPRanges = []IPRange{tRange}
		for i := range s.Events {
			if r.IntN(2) == 0 {
				s.Events[i].FromIP = tOutside
			}
		}
		return true
	}},
	{"freeze a user", func(r *rand.Rand, s *Scenario) bool {
		o, _ := pick(r, s.Orgs)
		u, ok := pick(r, o.Users)
		if ok {
			u.Frozen = true
		}
		return ok
	}},
	{"login hours", func(r *rand.Rand, s *Scenario) bool {
		o, _ := pick(r, s.Orgs)
		p, ok := pick(r, o.Profiles)
		if !ok {
			return false
		}
		o.TimeZone = []string{"", "-08:00", "+05:30"}[r.IntN(3)]
		span := &HoursSpan{Start: "09:00", End: []string{"09:00", "17:00"}[r.IntN(2)]}
		p.LoginHours = &LoginHours{Monday: span, Sunday: span, Saturday: span}
		return true
	}},
	{"locked out", onEvent("", func(r *rand.Rand, e *Event) { e.LockedOut = true })},
	{"trusted IP ranges and no security token", func(r *rand.Rand, s *Scenario) bool {
		o, _ := pick(r, s.Orgs)
		o.Settings.TrustedIPRanges = []IPRange{tRange}
		for i := range s.Events {
			if s.Events[i].Grant == "password" || s.Events[i].Do == "soapLogin" {
				s.Events[i].SecurityToken, s.Events[i].FromIP = "missing", []string{tInside, tOutside}[r.IntN(2)]
			}
		}
		return true
	}},
	{"Login As", onEvent("authorize", func(r *rand.Rand, e *Event) { e.LoginAs = true })},
	{"high assurance", onApp(func(r *rand.Rand, a *App) {
		a.Policies.HighAssurance = []string{"block", "raiseSessionLevel"}[r.IntN(2)]
	})},
	{"refresh token policy", onApp(func(r *rand.Rand, a *App) {
		a.Policies.RefreshTokenPolicy = []string{"immediatelyExpire", "expireIfNotUsedFor:1h", "expireAfter:1d"}[r.IntN(3)]
	})},
	{"scope not on the app", onEvent("authorize", func(r *rand.Rand, e *Event) {
		e.Scope = ptr("api web")
	})},
	{"another host", onEvent("", func(r *rand.Rand, e *Event) {
		e.Host = []string{"test", "login", "myDomain", "http://acme.my.salesforce.com"}[r.IntN(4)]
	})},
	{"external client app", onApp(func(r *rand.Rand, a *App) {
		a.Kind = "externalClientApp"
	})},
	{"no certificate", onApp(func(r *rand.Rand, a *App) {
		a.OAuth.Certificate = ""
	})},
	{"redirect URI with a trailing slash", onEvent("authorize", func(r *rand.Rand, e *Event) {
		if e.RedirectURI != nil {
			e.RedirectURI = ptr(*e.RedirectURI + "/")
		}
	})},
	{"wrong password or verifier", onEvent("token", func(r *rand.Rand, e *Event) {
		e.Password, e.CodeVerifier = "wrong", "wrong"
	})},
	{"a later clock", func(r *rand.Rand, s *Scenario) bool {
		s.Now = []string{"2025-09-01T00:00:00Z", "2026-02-23T00:00:00Z", "2026-07-01T00:00:00Z", "2027-06-02T00:00:00Z"}[r.IntN(4)]
		return true
	}},
	{"created later", func(r *rand.Rand, s *Scenario) bool {
		o, _ := pick(r, s.Orgs)
		o.CreatedAt = []string{"2023-06-10", "2025-08-28", "2025-10-11"}[r.IntN(3)]
		return true
	}},
	{"a long wait", func(r *rand.Rand, s *Scenario) bool {
		if len(s.Events) == 0 {
			return false
		}
		i := r.IntN(len(s.Events))
		s.Events = slices.Insert(s.Events, i, Event{Do: "wait", For: []string{"16m", "3h", "31d"}[r.IntN(3)]})
		return true
	}},
}

// A property test over the presets: random mutations, and for every denied
// event, every offered fix flips it.
func TestFixesPropertyOverPresets(t *testing.T) {
	presets := Presets()
	if len(presets) == 0 {
		t.Fatal("no presets")
	}
	rng := rand.New(rand.NewPCG(20260301, 42))
	const perPreset = 25
	tried, valid, verified, deniedEvents := 0, 0, 0, 0
	used := map[string]int{}
	for _, p := range presets {
		data, ok := Preset(p.Name)
		if !ok {
			t.Fatalf("preset %s missing", p.Name)
		}
		orig, err := Decode(data)
		if err != nil {
			t.Fatalf("preset %s does not decode: %v", p.Name, err)
		}
		for i := 0; i < perPreset; i++ {
			s := cloneScenario(orig)
			var applied []string
			for k := 1 + rng.IntN(3); k > 0; k-- {
				m := mutations[rng.IntN(len(mutations))]
				if m.do(rng, s) {
					applied = append(applied, m.name)
				}
			}
			tried++
			b, _ := json.Marshal(s)
			s2, err := Decode(b)
			if err != nil {
				continue // a mutation made it invalid (e.g. a wait before a "use" target)
			}
			valid++
			for _, a := range applied {
				used[a]++
			}
			res := Evaluate(s2, Options{})
			for _, r := range res.Results {
				if r.Outcome == Denied && r.Do != "admin" {
					deniedEvents++
				}
			}
			name := fmt.Sprintf("%s#%d %v", p.Name, i, applied)
			if n := checkFixesNamed(t, name, s2, res); n >= 0 {
				verified += n
			}
		}
	}
	t.Logf("%d mutated scenarios (%d valid), %d denied events, %d fixes verified", tried, valid, deniedEvents, verified)
	if valid*2 < tried {
		t.Errorf("only %d of %d mutated scenarios were valid", valid, tried)
	}
	if verified < 100 {
		t.Errorf("only %d fixes verified: the property test is not exercising fixes", verified)
	}
	for _, m := range mutations {
		if used[m.name] == 0 {
			t.Logf("mutation %q never applied", m.name)
		}
	}
}

// checkFixesNamed runs checkFixes and prefixes failures with the case name.
func checkFixesNamed(t *testing.T, name string, s *Scenario, res *Result) int {
	t.Helper()
	var n int
	ok := t.Run(name, func(t *testing.T) { n = checkFixes(t, s, res) })
	if !ok {
		return -1
	}
	return n
}

// The mutations really change scenarios (a mutation that silently did
// nothing would hide fixes from the property test).
func TestMutationsChangeTheScenario(t *testing.T) {
	data, _ := Preset("web-server-self-authorize")
	orig, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	for _, m := range mutations {
		s := cloneScenario(orig)
		s.Orgs[0].InstalledApps = []InstalledApp{{App: s.Apps[0].Name}}
		s.Orgs[0].Profiles[0].ConnectedApps = []string{s.Apps[0].Name}
		s.Orgs[0].PermissionSets = []PermissionSet{{Name: "PS", ConnectedApps: []string{s.Apps[0].Name}}}
		s.Apps[0].OAuth.Certificate = tCert
		before := cloneScenario(s)
		if m.do(rng, s) && reflect.DeepEqual(before, s) {
			t.Errorf("mutation %q applied but changed nothing", m.name)
		}
	}
}
