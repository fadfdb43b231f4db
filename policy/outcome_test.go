package policy

import (
	"encoding/json"
	"strings"
	"testing"
)

// Each Check is the name of the rule it stands for: renaming a rule must
// fail here, not silently change what the live org asks.
func TestChecksNameRules(t *testing.T) {
	for _, c := range []struct {
		check Check
		rules []rule
	}{
		{CheckCallbackURL, []rule{ruleCallback}},
		{CheckDeviceFlow, []rule{ruleDeviceFlowEnabled}},
		{CheckCredentials, []rule{ruleUserCredentials, ruleSoapCredentials}},
		{CheckCode, []rule{ruleCodeValid}},
		{CheckRefresh, []rule{ruleRefreshValid}},
	} {
		for _, ru := range c.rules {
			if ru.name != string(c.check) {
				t.Errorf("check %q: rule is named %q; want %q", c.check, ru.name, c.check)
			}
		}
	}
}

// The typed queries answer from one evaluation what callers used to read
// from the trace (and, for consent, from a second evaluation with
// consent=deny).
func TestOutcomeQueries(t *testing.T) {
	rotation := withApp(func(a *App) { a.OAuth.RefreshTokenRotation = true })
	device := withApp(func(a *App) { a.OAuth.DeviceFlow = true })
	cases := []struct {
		name          string
		s             *Scenario
		event         int
		outcome       string
		deniedBy      Check
		consentScreen bool
		passed        []Check // checks that passed
		notPassed     []Check // checks that did not pass
		checked       []Check // checks decided (passed or failed)
		unchecked     []Check // checks skipped or not reached
	}{
		{name: "code redeemed", s: scen(codeFlow()), event: 1, outcome: Granted,
			passed: []Check{CheckCode}},
		{name: "code replayed", s: scen(append(codeFlow(), codeGrant(use("a1")))), event: 2, outcome: Denied,
			deniedBy: CheckCode, notPassed: []Check{CheckCode}, checked: []Check{CheckCode}},
		{name: "refresh token used", s: scen(append(codeFlow(), refreshGrant(use("t1")))), event: 2, outcome: Granted,
			passed: []Check{CheckRefresh}},
		{name: "rotated-out refresh token reused", s: scen(append(codeFlow(), refreshGrant(id("r1"), use("t1")), refreshGrant(use("t1"))), rotation),
			event: 3, outcome: Denied, deniedBy: CheckRefresh, notPassed: []Check{CheckRefresh}},
		{name: "consent required, user allows", s: scen(evs(webServer())), outcome: Granted,
			consentScreen: true, passed: []Check{CheckCallbackURL}},
		{name: "consent required, no answer yet", s: scen(evs(webServer(consent("")))), outcome: Granted,
			consentScreen: true},
		{name: "consent required, user denies", s: scen(evs(webServer(consent("deny")))), outcome: Denied,
			deniedBy: "app.permittedUsers", consentScreen: true, passed: []Check{CheckCallbackURL}},
		{name: "approved before", s: scen(evs(webServer(consent(""))), approved()), outcome: Granted},
		{name: "pre-authorized by an admin", s: scen(evs(webServer(consent(""))), adminApproved(), onProfile()), outcome: Granted},
		{name: "admin approved, not pre-authorized", s: scen(evs(webServer(consent(""))), adminApproved()), outcome: Denied,
			deniedBy: "app.permittedUsers"},
		{name: "immediate, not approved", s: scen(evs(webServer(consent(""), withEvent(func(e *Event) { e.Immediate = true })))), outcome: Denied,
			deniedBy: "app.permittedUsers"},
		{name: "denied before the consent screen", s: scen(evs(webServer(redirect("https://evil.test/cb")))), outcome: Denied,
			deniedBy: CheckCallbackURL, notPassed: []Check{CheckCallbackURL}, checked: []Check{CheckCallbackURL}},
		{name: "password correct", s: scen(evs(passwordGrant()), allowPassword()), outcome: Granted,
			passed: []Check{CheckCredentials}, checked: []Check{CheckCredentials}},
		{name: "password wrong", s: scen(evs(passwordGrant(password("nope"))), allowPassword()), outcome: Denied,
			deniedBy: CheckCredentials, checked: []Check{CheckCredentials}},
		{name: "password flow blocked before the credentials", s: scen(evs(passwordGrant(password("nope")))), outcome: Denied,
			deniedBy: "org.allowUsernamePasswordFlows", unchecked: []Check{CheckCredentials}},
		{name: "device flow enabled, no user yet", s: scen(evs(deviceGrant(asUser(""))), device), outcome: Denied,
			deniedBy: "user.active", passed: []Check{CheckDeviceFlow}},
		{name: "device flow not enabled", s: scen(evs(deviceGrant())), outcome: Denied,
			deniedBy: CheckDeviceFlow, notPassed: []Check{CheckDeviceFlow}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := evalScenario(t, c.s).Results[c.event]
			if res.Outcome != c.outcome {
				t.Fatalf("outcome %q; want %q (trace %+v)", res.Outcome, c.outcome, res.Trace)
			}
			if got := res.DeniedBy(); got != c.deniedBy {
				t.Errorf("DeniedBy() = %q; want %q", got, c.deniedBy)
			}
			if res.ConsentScreen != c.consentScreen {
				t.Errorf("ConsentScreen = %v; want %v", res.ConsentScreen, c.consentScreen)
			}
			for _, q := range []struct {
				name   string
				ask    func(Check) bool
				checks []Check
				want   bool
			}{
				{"Passed", res.Passed, c.passed, true},
				{"Passed", res.Passed, c.notPassed, false},
				{"Checked", res.Checked, c.checked, true},
				{"Checked", res.Checked, c.unchecked, false},
			} {
				for _, ch := range q.checks {
					if got := q.ask(ch); got != q.want {
						t.Errorf("%s(%q) = %v; want %v", q.name, ch, got, q.want)
					}
				}
			}
		})
	}
}

// Consent asked with no answer yet and consent allowed answer alike: the
// live org learns that it must ask from the one evaluation it runs anyway.
func TestConsentScreenNeedsNoProbe(t *testing.T) {
	asked := evalScenario(t, scen(evs(webServer(consent(""))))).Results[0]
	allowed := evalScenario(t, scen(evs(webServer(consent("allow"))))).Results[0]
	if asked.Outcome != allowed.Outcome || asked.Issued != allowed.Issued || !asked.ConsentScreen || !allowed.ConsentScreen {
		t.Errorf("no answer: %s %+v consentScreen=%v; allow: %s %+v consentScreen=%v; want the same, both on the consent screen",
			asked.Outcome, asked.Issued, asked.ConsentScreen, allowed.Outcome, allowed.Issued, allowed.ConsentScreen)
	}
}

// consentScreen extends result v1: present when true, omitted otherwise.
func TestConsentScreenJSON(t *testing.T) {
	for _, c := range []struct {
		name string
		s    *Scenario
		want bool
	}{
		{"consent screen", scen(evs(webServer())), true},
		{"approved before", scen(evs(webServer()), approved()), false},
	} {
		data, err := json.Marshal(evalScenario(t, c.s).Results[0])
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(string(data), `"consentScreen":true`); got != c.want {
			t.Errorf("%s: consentScreen in JSON = %v; want %v: %s", c.name, got, c.want, data)
		}
		if !c.want && strings.Contains(string(data), `"consentScreen"`) {
			t.Errorf("%s: consentScreen should be omitted when false: %s", c.name, data)
		}
	}
}
