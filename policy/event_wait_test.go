package policy

import "testing"

func TestWait(t *testing.T) {
	res := checkTimeline(t, scen(evs(wait("90m"), webServer(), wait("31d"), webServer())),
		step{1, okWait}, step{2, okRedirect}, step{3, okWait}, step{4, okRedirect})
	for i, at := range []string{"2026-03-01T09:00:00Z", "2026-03-01T10:30:00Z", "2026-03-01T10:30:00Z", "2026-04-01T10:30:00Z"} {
		if got := res.Results[i].At; got != at {
			t.Errorf("event %d at %s; want %s", i+1, got, at)
		}
	}
}
