package policy

import (
	"fmt"
	"strings"
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

func adminFailed(desc string) want { return deniedAs(DeliverNone, 0, "admin_action_failed", desc) }

func TestWait(t *testing.T) {
	res := checkTimeline(t, scen(evs(wait("90m"), webServer(), wait("31d"), webServer())),
		step{1, okWait}, step{2, okRedirect}, step{3, okWait}, step{4, okRedirect})
	for i, at := range []string{"2026-03-01T09:00:00Z", "2026-03-01T10:30:00Z", "2026-03-01T10:30:00Z", "2026-04-01T10:30:00Z"} {
		if got := res.Results[i].At; got != at {
			t.Errorf("event %d at %s; want %s", i+1, got, at)
		}
	}
}

func TestRevoke(t *testing.T) {
	t.Run("access token only", func(t *testing.T) {
		checkTimeline(t, scen(append(codeFlow(), revokeEv(use("t1"), tokenKind("access")), apiCallEv(use("t1")),
			refreshGrant(id("r1"), use("t1")), apiCallEv(use("r1")))),
			step{3, okJSON}, step{4, expiredSession}, step{5, okJSON}, step{6, okAPI})
	})
	t.Run("refresh token revokes its access tokens", func(t *testing.T) {
		checkTimeline(t, scen(append(codeFlow(), refreshGrant(id("r1"), use("t1")), apiCallEv(use("r1")),
			revokeEv(use("t1"), tokenKind("refresh")), apiCallEv(use("t1")), apiCallEv(use("r1")), refreshGrant(use("t1")))),
			step{4, okAPI}, step{5, okJSON}, step{6, expiredSession}, step{7, expiredSession}, step{8, expiredRT})
	})
	t.Run("a token response with a refresh token revokes it by default", func(t *testing.T) {
		checkTimeline(t, scen(append(codeFlow(), revokeEv(use("t1")), refreshGrant(use("t1")))),
			step{3, okJSON}, step{4, expiredRT})
	})
	t.Run("revoke an access token twice", func(t *testing.T) {
		checkTimeline(t, scen(append(codeFlow(), revokeEv(use("t1"), tokenKind("access")), revokeEv(use("t1"), tokenKind("access")))),
			step{3, okJSON}, step{4, invalidToken})
	})
	t.Run("revoke a refresh token twice", func(t *testing.T) {
		res := checkTimeline(t, scen(append(codeFlow(), revokeEv(use("t1"), tokenKind("refresh")), revokeEv(use("t1"), tokenKind("refresh")))),
			step{3, okJSON}, step{4, invalidToken})
		if got, want := res.Results[3].Response.Body, `{"error":"invalid_token","error_description":"invalid token"}`; got != want {
			t.Errorf("body %s; want %s", got, want)
		}
	})
	t.Run("nothing to revoke", func(t *testing.T) {
		checkTimeline(t, scen(evs(revokeEv())), step{1, invalidToken})
	})
	t.Run("a SOAP session ID is not an OAuth token", func(t *testing.T) {
		checkTimeline(t, scen(evs(soapLoginEv(id("s1")), revokeEv(use("s1")))),
			step{1, okSession}, step{2, jsonErr("unsupported_token_type", "this token type is not supported")})
	})
	t.Run("a code issues no token to revoke", func(t *testing.T) {
		checkTimeline(t, scen(evs(webServer(id("a1")), revokeEv(use("a1"), tokenKind("refresh")))),
			step{2, jsonErr("unsupported_token_type", "this token type is not supported")})
	})
}

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

func TestAdminInstallApp(t *testing.T) {
	mustInstall := pageErr("invalid_client", "app must be installed into org")
	checkTimeline(t, scen(evs(webServer(), adminEv("installApp", appName(tApp)), webServer(), adminEv("installApp", appName(tApp))), foreignApp()),
		step{1, mustInstall}, step{2, okAdmin}, step{3, okRedirect}, step{4, okAdmin})
	t.Run("with policies", func(t *testing.T) {
		checkTimeline(t, scen(evs(adminEv("installApp", appName(tApp), withEvent(func(e *Event) { e.Policies = &Policies{PermittedUsers: "adminApproved"} })),
			webServer()), foreignApp()),
			step{1, okAdmin}, step{2, noRedirectErr("OAUTH_APP_ACCESS_DENIED", "user is not admin approved to access this app")})
	})
}

func TestAdminUninstallApp(t *testing.T) {
	checkTimeline(t, scen(append(codeFlow(), apiCallEv(use("t1")), adminEv("uninstallApp", appName(tApp)),
		apiCallEv(use("t1")), refreshGrant(use("t1")), webServer(), adminEv("uninstallApp", appName(tApp))),
		foreignApp(), installed(Policies{})),
		step{3, okAPI}, step{4, okAdmin}, step{5, expiredSession}, step{6, expiredRT},
		step{7, pageErr("invalid_client", "app must be installed into org")},
		step{8, adminFailed("Acme Sync is not installed in Acme")})
}

func TestAdminBlockUnblock(t *testing.T) {
	blocked := noRedirectErr("OAUTH_APP_BLOCKED", "this app is blocked by admin")
	checkTimeline(t, scen(append(codeFlow(), adminEv("blockApp", appName(tApp)), apiCallEv(use("t1")), refreshGrant(use("t1")),
		webServer(), adminEv("unblockApp", appName(tApp)), apiCallEv(use("t1")), webServer())),
		step{3, okAdmin}, step{4, expiredSession}, step{5, expiredRT}, step{6, blocked},
		// Unblocking lets users authorize again; the ended sessions stay ended.
		step{7, okAdmin}, step{8, expiredSession}, step{9, okRedirect})
	t.Run("an uninstalled app can be blocked", func(t *testing.T) {
		checkTimeline(t, scen(evs(adminEv("blockApp", appName(tApp)), webServer()), foreignApp(), approved()),
			step{1, okAdmin}, step{2, blocked})
	})
}

func TestAdminSetPolicy(t *testing.T) {
	const bob = "bob@acme.test"
	notAdmin := noRedirectErr("OAUTH_APP_ACCESS_DENIED", "user is not admin approved to access this app")
	setAdmin := adminEv("setPolicy", appName(tApp), withEvent(func(e *Event) { e.Policies = &Policies{PermittedUsers: "adminApproved"} }))
	checkTimeline(t, scen(evs(
		webServer(id("a1")), codeGrant(id("t1"), use("a1")),
		webServer(id("a2"), asUser(bob)), codeGrant(id("t2"), use("a2")),
		setAdmin,
		apiCallEv(use("t1")), apiCallEv(use("t2")), refreshGrant(use("t2")), webServer(asUser(bob)), webServer()),
		addUser(bob, "apiEnabled"), addPermSet("Sync Access", true, []string{tApp})),
		step{5, okAdmin}, step{6, okAPI}, step{7, expiredSession}, step{8, expiredRT}, step{9, notAdmin}, step{10, okRedirect})
	t.Run("High Assurance Block ends current sessions", func(t *testing.T) {
		ha := func(v string) Event {
			return adminEv("setPolicy", appName(tApp), withEvent(func(e *Event) { e.Policies = &Policies{HighAssurance: v} }))
		}
		checkTimeline(t, scen(append(codeFlow(), ha("raiseSessionLevel"), apiCallEv(use("t1")), ha("block"), apiCallEv(use("t1")), refreshGrant(use("t1")), webServer())),
			step{3, okAdmin}, step{4, okAPI}, step{5, okAdmin}, step{6, expiredSession}, step{7, expiredRT},
			step{8, noRedirectErr("OAUTH_APP_BLOCKED", "this app requires a high assurance session")})
	})
	t.Run("only after installation", func(t *testing.T) {
		checkTimeline(t, scen(evs(adminEv("setPolicy", appName(tApp), withEvent(func(e *Event) { e.Policies = &Policies{IPRelaxation: "relax"} }))), foreignApp()),
			step{1, adminFailed("Acme Sync is not installed in Acme: policies can be edited only after installation")})
	})
	t.Run("needs policies", func(t *testing.T) {
		checkTimeline(t, scen(evs(adminEv("setPolicy", appName(tApp)))), step{1, adminFailed("setPolicy needs policies")})
	})
}

func TestAdminPermissionSets(t *testing.T) {
	notAdmin := noRedirectErr("OAUTH_APP_ACCESS_DENIED", "user is not admin approved to access this app")
	ps := func(action string) Event {
		return adminEv(action, asUser(tUser), withEvent(func(e *Event) { e.PermissionSet = "Sync Access" }))
	}
	t.Run("assign", func(t *testing.T) {
		checkTimeline(t, scen(evs(webServer(), ps("assignPermissionSet"), webServer()), adminApproved(), addPermSet("Sync Access", false, []string{tApp})),
			step{1, notAdmin}, step{2, okAdmin}, step{3, okRedirect})
	})
	t.Run("remove", func(t *testing.T) {
		checkTimeline(t, scen(evs(webServer(), ps("removePermissionSet"), webServer()), adminApproved(), addPermSet("Sync Access", true, []string{tApp})),
			step{1, okRedirect}, step{2, okAdmin}, step{3, notAdmin})
	})
}

func TestAdminRevokeApp(t *testing.T) {
	notApproved := jsonErr("invalid_grant", "user hasn't approved this consumer")
	checkTimeline(t, scen(append(codeFlow(), jwtGrant(id("j1")), adminEv("revokeApp", appName(tApp), asUser(tUser)),
		apiCallEv(use("t1")), apiCallEv(use("j1")), refreshGrant(use("t1")), jwtGrant()), certificate()),
		step{3, okJSON}, step{4, okAdmin}, step{5, expiredSession}, step{6, expiredSession}, step{7, expiredRT}, step{8, notApproved})
	t.Run("revoking a pre-seeded approval", func(t *testing.T) {
		checkTimeline(t, scen(evs(jwtGrant(), adminEv("revokeApp", appName(tApp), asUser(tUser)), jwtGrant()), certificate(), approved()),
			step{1, okJSON}, step{2, okAdmin}, step{3, notApproved})
	})
	t.Run("every user", func(t *testing.T) {
		const bob = "bob@acme.test"
		checkTimeline(t, scen(evs(webServer(id("a1")), codeGrant(id("t1"), use("a1")), webServer(id("a2"), asUser(bob)), codeGrant(id("t2"), use("a2")),
			adminEv("revokeApp", appName(tApp)), apiCallEv(use("t1")), apiCallEv(use("t2"))), addUser(bob, "apiEnabled")),
			step{5, okAdmin}, step{6, expiredSession}, step{7, expiredSession})
	})
}

func TestAdminDeactivateUser(t *testing.T) {
	checkTimeline(t, scen(append(codeFlow(), soapLoginEv(id("s1")), adminEv("deactivateUser", asUser(tUser)),
		apiCallEv(use("t1")), apiCallEv(use("s1")), refreshGrant(use("t1")), webServer())),
		step{3, okSession}, step{4, okAdmin}, step{5, expiredSession}, step{6, expiredSession},
		step{7, jsonErr("inactive_user", "User is inactive")}, step{8, noRedirectErr("inactive_user", "User is inactive")})
}

// A password change or reset breaks stored credentials (SOAP login(), the
// username-password flow) but not OAuth refresh tokens.
func TestAdminPasswordChange(t *testing.T) {
	for _, action := range []string{"resetPassword", "changePassword"} {
		t.Run(action, func(t *testing.T) {
			stored := []eopt{password(tPassword), secToken(tToken)}
			checkTimeline(t, scen(append(codeFlow(),
				soapLoginEv(stored...), passwordGrant(), adminEv(action, asUser(tUser)),
				soapLoginEv(stored...), passwordGrant(), refreshGrant(use("t1")), apiCallEv(use("t1"))), allowPassword()),
				step{3, okSession}, step{4, okJSON}, step{5, okAdmin},
				step{6, soapErr("INVALID_LOGIN", dInvalidLogin)},
				step{7, jsonErr("invalid_grant", "authentication failure")},
				step{8, okJSON}, step{9, okAPI})
		})
	}
	t.Run("the new password works; the old security token does not", func(t *testing.T) {
		change := adminEv("changePassword", asUser(tUser), password("newPassword2"))
		checkTimeline(t, scen(evs(change, soapLoginEv(password("newPassword2"), secToken("")), soapLoginEv(password("newPassword2"), secToken(tToken)))),
			step{1, okAdmin}, step{2, okSession}, step{3, soapErr("INVALID_LOGIN", dInvalidLogin)})
	})
}

func TestAdminPatch(t *testing.T) {
	patch := func(ops ...PatchOp) Event { return adminEv("patch", withEvent(func(e *Event) { e.Patch = ops })) }
	t.Run("valid", func(t *testing.T) {
		checkTimeline(t, scen(evs(passwordGrant(), patch(PatchOp{Op: "add", Path: "/orgs/0/settings", Value: map[string]any{"allowUsernamePasswordFlows": true}}), passwordGrant())),
			step{1, jsonErr("invalid_grant", "authentication failure")}, step{2, okAdmin}, step{3, okJSON})
	})
	for _, tc := range []struct {
		name   string
		op     PatchOp
		prefix string
		has    string
	}{
		{"invalid path", PatchOp{Op: "remove", Path: "/orgs/0/nope"}, "patch: operation 0 (remove /orgs/0/nope)", ""},
		{"invalid scenario", PatchOp{Op: "replace", Path: "/orgs/0/type", Value: "galaxy"}, "the patched scenario is invalid: ", "/orgs/0/type"},
		{"removing an event", PatchOp{Op: "remove", Path: "/events/0"}, "a patch may not add or remove events", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := checkTimeline(t, scen(evs(passwordGrant(), patch(tc.op), passwordGrant()), allowPassword()), step{1, okJSON}, step{3, okJSON})
			got := res.Results[1]
			if got.Outcome != Denied || got.Error != "admin_action_failed" || got.Delivery != DeliverNone {
				t.Fatalf("patch event: %+v", got)
			}
			d := got.ErrorDescription
			if !strings.HasPrefix(d, tc.prefix) || !strings.Contains(d, tc.has) {
				t.Errorf("description %q; want prefix %q containing %q", d, tc.prefix, tc.has)
			}
		})
	}
	t.Run("a refused patch changes nothing", func(t *testing.T) {
		checkTimeline(t, scen(evs(patch(PatchOp{Op: "replace", Path: "/orgs/0/type", Value: "galaxy"}), passwordGrant())),
			step{2, jsonErr("invalid_grant", "authentication failure")})
	})
}

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
