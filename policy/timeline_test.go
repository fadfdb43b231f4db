package policy

import (
	"fmt"
	"testing"
)

// step is one expected event result of a timeline (1-based event number).
type step struct {
	n int
	w want
}

// checkTimeline evaluates the scenario and checks the listed events.
func checkTimeline(t *testing.T, s *Scenario, steps ...step) *Result {
	t.Helper()
	res := evalScenario(t, s)
	for _, st := range steps {
		if st.n < 1 || st.n > len(res.Results) {
			t.Fatalf("no event %d", st.n)
		}
		checkResult(t, res.Results[st.n-1], st.w)
	}
	return res
}

var (
	expiredSession = apiErr(401, "INVALID_SESSION_ID", "Session expired or invalid")
	okAPI          = grantedAs(DeliverJSON, 200)
	expiredRT      = jsonErr("invalid_grant", "expired access/refresh token")
	invalidToken   = jsonErr("invalid_token", "invalid token")
)

// Salesforce keeps five approvals per user and app: the sixth revokes the
// oldest, and with it the first refresh token.
func TestSixthApprovalRevokesOldest(t *testing.T) {
	var e []Event
	for i := 1; i <= 5; i++ {
		e = append(e, webServer(id(fmt.Sprintf("a%d", i))), codeGrant(id(fmt.Sprintf("t%d", i)), use(fmt.Sprintf("a%d", i))))
	}
	// events 11-12: the first refresh token still works after five approvals
	e = append(e, refreshGrant(id("r1"), use("t1")), apiCallEv(use("t1")))
	// event 13: the sixth approval; 14 its token
	e = append(e, webServer(id("a6")), codeGrant(id("t6"), use("a6")))
	// events 15-19: the first family is gone, the second and the sixth live
	e = append(e, refreshGrant(use("t1")), apiCallEv(use("t1")), apiCallEv(use("r1")), refreshGrant(use("t2")), refreshGrant(use("t6")))
	res := checkTimeline(t, scen(e),
		step{10, okJSON}, step{11, okJSON}, step{12, okAPI},
		step{13, okRedirect}, step{14, okJSON},
		step{15, expiredRT}, step{16, expiredSession}, step{17, expiredSession}, step{18, okJSON}, step{19, okJSON})
	if got := stepOf(res.Results[12], "approval.fiveCap"); got != StepInfo {
		t.Errorf("the sixth approval should note the cap; trace:\n%s", traceText(res.Results[12]))
	}
	if got := stepOf(res.Results[8], "approval.fiveCap"); got != "" {
		t.Errorf("the fifth approval should not note the cap")
	}
}
