package policy

import (
	"maps"
	"slices"
	"strings"
	"testing"
)

func adminFailed(desc string) want { return deniedAs(DeliverNone, 0, "admin_action_failed", desc) }

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
	group := func(action, name string) Event {
		return adminEv(action, asUser(tUser), withEvent(func(e *Event) { e.PermissionSetGroup = name }))
	}
	withGroup := []sopt{adminApproved(), addPermSet("Sync Access", false, []string{tApp}), addGroup("Integrations", false, nil, "Sync Access")}
	t.Run("assign a group", func(t *testing.T) {
		checkTimeline(t, scen(evs(webServer(), group("assignPermissionSetGroup", "Integrations"), webServer()), withGroup...),
			step{1, notAdmin}, step{2, okAdmin}, step{3, okRedirect})
	})
	t.Run("remove a group", func(t *testing.T) {
		checkTimeline(t, scen(evs(group("assignPermissionSetGroup", "Integrations"), webServer(), group("removePermissionSetGroup", "Integrations"), webServer()), withGroup...),
			step{2, okRedirect}, step{3, okAdmin}, step{4, notAdmin})
	})
	t.Run("no such group", func(t *testing.T) {
		s := scen(evs(adminEv("patch", withEvent(func(e *Event) {
			e.Patch = []PatchOp{{Op: "remove", Path: "/orgs/0/permissionSetGroups"}}
		})), group("assignPermissionSetGroup", "Integrations")), withGroup...)
		checkTimeline(t, s, step{2, adminFailed(`no permission set group "Integrations" in Acme`)})
	})
}

// An admin's Reset Password gives a user without a password one (the email
// step taken as done); for a user with one it changes it.
func TestAdminResetPasswordWithoutOne(t *testing.T) {
	res := checkTimeline(t, scen(evs(soapLoginEv(), adminEv("resetPassword", asUser(tUser)), soapLoginEv()),
		withUser(func(u *User) { u.HasPassword = ptr(false) })),
		step{1, soapErr("INVALID_LOGIN", dInvalidLogin)}, step{2, okAdmin}, step{3, okSession})
	if s := res.Results[1].Trace[0].Because; !strings.Contains(s, "email step") {
		t.Errorf("reset trace %q; want the email step named", s)
	}
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
		step{7, jsonErr("invalid_grant", "inactive user")}, step{8, noRedirectErr("inactive_user", "User is inactive")})
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

// TestAdminActionsMatchTheEnum: the actions Decode accepts (the oneof of
// Event.Action's validate tag) are exactly the actions admin knows.
func TestAdminActionsMatchTheEnum(t *testing.T) {
	accepted := Enums()["/events/*/action"]
	slices.Sort(accepted)
	known := slices.Sorted(maps.Keys(adminActions))
	if !slices.Equal(accepted, known) {
		t.Errorf("Decode accepts actions %v; admin knows %v", accepted, known)
	}
}
