package policy

import (
	"testing"
	"time"
)

// EvaluateLive with the timeline's waits turned into step times answers
// every other event exactly as Evaluate does.
func TestEvaluateLiveMatchesEvaluate(t *testing.T) {
	for _, p := range Presets() {
		t.Run(p.Name, func(t *testing.T) {
			data, _ := Preset(p.Name)
			s, err := Decode(data)
			if err != nil {
				t.Fatal(err)
			}
			want := Evaluate(s, Options{NoFixes: true})
			now := startTime(s, Options{})
			var steps []LiveStep
			var index []int
			for i, ev := range s.Events {
				if ev.Do == "wait" {
					d, _ := ParseDuration(ev.For)
					now = now.Add(d)
					continue
				}
				steps = append(steps, LiveStep{At: now, Event: ev})
				index = append(index, i)
			}
			got := EvaluateLive(s, nil, steps)
			if len(got) != len(steps) {
				t.Fatalf("EvaluateLive: %d results for %d steps", len(got), len(steps))
			}
			for k, r := range got {
				w := want.Results[index[k]]
				if r.Outcome != w.Outcome || r.Error != w.Error || r.ErrorDescription != w.ErrorDescription || r.Delivery != w.Delivery || r.HTTPStatus != w.HTTPStatus {
					t.Errorf("event %d: live %s %s %q %s %d, eval %s %s %q %s %d", index[k],
						r.Outcome, r.Error, r.ErrorDescription, r.Delivery, r.HTTPStatus,
						w.Outcome, w.Error, w.ErrorDescription, w.Delivery, w.HTTPStatus)
				}
			}
		})
	}
}

func TestEvaluateLiveApprovalsAndClock(t *testing.T) {
	s, err := Decode([]byte(`{"schemaVersion":1,"orgs":[{"name":"Acme","users":[{"username":"ana@acme.test"}]}],
	 "apps":[{"name":"App","ownerOrg":"Acme","oauth":{"callbackUrls":["https://app.test/cb"],"scopes":["api"],"certificate":"x"}}],"events":[]}`))
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	jwt := LiveStep{At: t0, Event: Event{Do: "token", Grant: "jwt_bearer", User: "ana@acme.test"}}
	if r := EvaluateLive(s, nil, []LiveStep{jwt}); r[0].ErrorDescription != descNotApproved {
		t.Fatalf("without approval: %+v", r[0])
	}
	r := EvaluateLive(s, []LiveApproval{{"Acme", "ana@acme.test", "App"}}, []LiveStep{jwt})
	if r[0].Outcome != Granted {
		t.Fatalf("with approval: %+v", r[0].Trace)
	}
	if len(s.Orgs[0].Users[0].ApprovedApps) != 0 {
		t.Fatal("EvaluateLive modified the scenario")
	}
	// The code expires 15 minutes after the authorize step.
	pkce := true
	steps := []LiveStep{
		{At: t0, Event: Event{ID: "a", Do: "authorize", Flow: "webServer", User: "ana@acme.test", PKCE: &pkce}},
		{At: t0.Add(16 * time.Minute), Event: Event{Do: "token", Grant: "authorization_code", Use: "a"}},
	}
	r = EvaluateLive(s, nil, steps)
	if r[0].Outcome != Granted || r[1].ErrorDescription != descExpiredCode {
		t.Fatalf("expired code: %+v / %+v", r[0], r[1])
	}
	steps[1].At = t0.Add(time.Minute)
	if r = EvaluateLive(s, nil, steps); r[1].Outcome != Granted || r[1].At != t0.Add(time.Minute).Format(time.RFC3339) {
		t.Fatalf("fresh code: %+v", r[1])
	}
	if EvaluateLive(s, nil, nil) != nil {
		t.Fatal("no steps should give no results")
	}
}
