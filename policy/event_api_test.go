package policy

import (
	"strings"
	"testing"
)

func TestAPI(t *testing.T) {
	t.Run("granted", func(t *testing.T) {
		res := checkTimeline(t, scen(append(codeFlow(), apiCallEv(use("t1")))), step{3, okAPI})
		if r := res.Results[2]; r.Response == nil || !strings.Contains(r.Response.Body, `"totalSize":1`) {
			t.Errorf("response %+v", r.Response)
		}
	})
	t.Run("no token", func(t *testing.T) {
		checkTimeline(t, scen(evs(apiCallEv())), step{1, expiredSession})
	})

	// Session timeout: the app's value beats the profile's, which beats the org's.
	orgT := withOrg(func(o *Org) { o.Settings.SessionTimeout = "3h" })
	profT := withProfile(func(p *Profile) { p.SessionTimeout = "2h" })
	appT := policies(Policies{SessionTimeout: "1h"})
	for _, tc := range []struct {
		name          string
		opts          []sopt
		before, atEnd string
	}{
		{"default 2h", nil, "1h59m59s", "2h"},
		{"org 3h", []sopt{orgT}, "2h59m59s", "3h"},
		{"profile 2h beats org 3h", []sopt{orgT, withProfile(func(p *Profile) { p.SessionTimeout = "90m" })}, "89m59s", "90m"},
		{"app 1h beats profile and org", []sopt{orgT, profT, appT}, "59m59s", "1h"},
		{"installed app's timeout", []sopt{orgT, profT, foreignApp(), installed(Policies{SessionTimeout: "45m"})}, "44m59s", "45m"},
	} {
		t.Run("timeout "+tc.name, func(t *testing.T) {
			checkTimeline(t, scen(append(codeFlow(), wait(tc.before), apiCallEv(use("t1"))), tc.opts...), step{4, okAPI})
			checkTimeline(t, scen(append(codeFlow(), wait(tc.atEnd), apiCallEv(use("t1"))), tc.opts...), step{4, expiredSession})
		})
	}

	// Activity extends the session only once half the timeout has passed.
	half := policies(Policies{SessionTimeout: "30m"})
	t.Run("activity before half the timeout does not extend it", func(t *testing.T) {
		checkTimeline(t, scen(append(codeFlow(), wait("14m59s"), apiCallEv(use("t1")), wait("15m1s"), apiCallEv(use("t1"))), half),
			step{4, okAPI}, step{6, expiredSession})
	})
	t.Run("activity at half the timeout extends it", func(t *testing.T) {
		checkTimeline(t, scen(append(codeFlow(), wait("15m"), apiCallEv(use("t1")), wait("29m59s"), apiCallEv(use("t1")),
			wait("30m"), apiCallEv(use("t1"))), half),
			step{4, okAPI}, step{6, okAPI}, step{8, expiredSession})
	})
	t.Run("10 and 20 minutes of a 30-minute timeout", func(t *testing.T) {
		checkTimeline(t, scen(append(codeFlow(), wait("10m"), apiCallEv(use("t1")), wait("20m"), apiCallEv(use("t1"))), half),
			step{4, okAPI}, step{6, expiredSession})
		checkTimeline(t, scen(append(codeFlow(), wait("20m"), apiCallEv(use("t1")), wait("20m"), apiCallEv(use("t1"))), half),
			step{4, okAPI}, step{6, okAPI})
	})

	t.Run("deactivated user", func(t *testing.T) {
		checkTimeline(t, scen(append(codeFlow(), adminEv("deactivateUser", asUser(tUser)), apiCallEv(use("t1")))),
			step{3, okAdmin}, step{4, expiredSession})
	})
	t.Run("without API Enabled", func(t *testing.T) {
		checkTimeline(t, scen(append(codeFlow(), apiCallEv(use("t1"))), withProfile(func(p *Profile) { p.Permissions = nil })),
			step{2, okJSON}, step{3, apiErr(403, "API_CURRENTLY_DISABLED", "API is disabled for this User")})
	})
	t.Run("a token without the api scope", func(t *testing.T) {
		checkTimeline(t, scen(append(codeFlow(scope("id refresh_token")), apiCallEv(use("t1"))), scopes("api", "id", "refresh_token")),
			step{3, apiErr(401, "INVALID_SESSION_ID", "This session is not valid for use with the REST API")})
	})
	t.Run("a token with the full scope", func(t *testing.T) {
		checkTimeline(t, scen(append(codeFlow(scope("full")), apiCallEv(use("t1"))), scopes("full")), step{3, okAPI})
	})
	t.Run("a SOAP session ID times out like a session", func(t *testing.T) {
		checkTimeline(t, scen(evs(soapLoginEv(id("s1")), wait("1h59m"), apiCallEv(use("s1")), wait("2h"), apiCallEv(use("s1")))),
			step{3, okAPI}, step{5, expiredSession})
	})
}
