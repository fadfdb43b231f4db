package httpapi_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"
)

// passwordGrant posts the username-password flow as the test app.
func passwordGrant(t *testing.T, e *env, pw, secret string) (int, map[string]any) {
	t.Helper()
	st, _, m := postForm(t, e.endpoint("token"), url.Values{"grant_type": {"password"}, "username": {username}, "password": {pw}}, clientID, secret)
	return st, m
}

// passwordScenario lets the org use the username-password flow, gives ana
// a security token, and applies more.
func passwordScenario(t *testing.T, settings map[string]any, more func(m map[string]any)) []byte {
	return soapScenario(t, func(m map[string]any) {
		settings["allowUsernamePasswordFlows"] = true
		soapOrg(m)["settings"] = settings
		if more != nil {
			more(m)
		}
	})
}

// The engine decides a lockout at the token endpoint: attempts it refuses
// before the password (a wrong client secret) count nothing, so the right
// password still works after them.
func TestLockoutCountsOnlyWhatTheEngineChecked(t *testing.T) {
	e := newEnv(t, envOpt{scenario: passwordScenario(t, map[string]any{"passwordPolicy": map[string]any{"maxInvalidLoginAttempts": "3"}}, nil)})
	for range 3 {
		if st, m := passwordGrant(t, e, "wrong", "not-the-secret"); st != http.StatusBadRequest || m["error"] != "invalid_client" {
			t.Fatalf("wrong secret and password: %d %v; want invalid_client", st, m)
		}
	}
	if st, m := passwordGrant(t, e, password+securityTokenAna, clientSecret); st != http.StatusOK {
		t.Fatalf("right password after refusals that never reached it: %d %v; want a token", st, m)
	}
	for range 3 {
		passwordGrant(t, e, "wrong", clientSecret)
	}
	if st, m := passwordGrant(t, e, password+securityTokenAna, clientSecret); st != http.StatusBadRequest || m["error_description"] != "authentication failure" {
		t.Fatalf("right password after 3 wrong ones: %d %v; want the lockout's authentication failure", st, m)
	}
}

// The org's trusted IP ranges (Network Access) spare the security token
// for the username-password flow and SOAP login(): the live org tells the
// engine the caller's address.
func TestTrustedIPRangesSpareTheSecurityToken(t *testing.T) {
	loopback := []any{map[string]any{"start": "127.0.0.1", "end": "127.0.0.1"}}
	for _, tc := range []struct {
		name     string
		settings map[string]any
		want     int
	}{
		{"no trusted ranges", map[string]any{}, http.StatusBadRequest},
		{"127.0.0.1 trusted", map[string]any{"trustedIpRanges": loopback}, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOpt{scenario: passwordScenario(t, tc.settings, nil)})
			if st, m := passwordGrant(t, e, password, clientSecret); st != tc.want {
				t.Errorf("password without its security token: %d %v; want %d", st, m, tc.want)
			}
			r := e.soap(t, "u", "64.0", jsforceLogin(username, password))
			if got := r.status == http.StatusOK && r.env.Body.Login != nil; got != (tc.want == http.StatusOK) {
				t.Errorf("login() without the security token: %d; want a session: %v\n%s", r.status, tc.want == http.StatusOK, r.raw)
			}
		})
	}
}

// A frozen user, a deactivated one and one outside the profile's login
// hours get the engine's answers at the token endpoint.
func TestTokenEndpointUserRestrictions(t *testing.T) {
	right := password + securityTokenAna
	for _, tc := range []struct {
		name        string
		more        func(m map[string]any)
		err, desc   string
		afterAnHour bool // granted once the clock moves an hour
	}{
		{"frozen", func(m map[string]any) { soapUser(m, 0)["frozen"] = true }, "invalid_grant", "authentication failure", false},
		{"deactivated", func(m map[string]any) { soapUser(m, 0)["active"] = false }, "invalid_grant", "inactive user", false},
		// The scenario's now is Sunday 09:00 UTC.
		{"outside login hours", func(m map[string]any) {
			soapProfile(m)["loginHours"] = map[string]any{"sunday": map[string]any{"start": "10:00", "end": "18:00"}}
		}, "invalid_grant", "ip restricted or invalid login hours", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOpt{scenario: passwordScenario(t, map[string]any{}, tc.more)})
			if st, m := passwordGrant(t, e, right, clientSecret); st != http.StatusBadRequest || m["error"] != tc.err || m["error_description"] != tc.desc {
				t.Fatalf("got %d %v; want 400 %s %q", st, m, tc.err, tc.desc)
			}
			if tc.afterAnHour {
				e.clock.Advance(time.Hour)
				if st, m := passwordGrant(t, e, right, clientSecret); st != http.StatusOK {
					t.Errorf("an hour later: %d %v; want a token", st, m)
				}
			}
		})
	}
}
