package policy

import "testing"

// TestLoginHistoryStatus: each refusal that has a known Login History
// status gets it; others read "Failed: " and the description.
func TestLoginHistoryStatus(t *testing.T) {
	tests := []struct {
		name string
		s    *Scenario
		want string
	}{
		{"granted", scen(evs(passwordGrant()), allowPassword()), "Success"},
		{"wrong password", scen(evs(passwordGrant(password("nope"))), allowPassword()), "Invalid Password"},
		{"no security token from outside", scen(evs(passwordGrant(secToken("missing"))), allowPassword()), "Failed: API security token required"},
		{"username-password blocked", scen(evs(passwordGrant()), created("2024-02-01")), "Username-Password Flow Disabled"},
		{"deactivated", scen(evs(passwordGrant()), allowPassword(), withUser(func(u *User) { u.Active = ptr(false) })), "User is Inactive"},
		{"outside login IP ranges", scen(evs(passwordGrant(from(tOutside))), allowPassword(), ipRanges(tRange)), "Restricted IP"},
		{"admin approved, not assigned", scen(evs(jwtGrant()), certificate(), adminApproved()), "Failed: Not approved for access"},
		{"locked out", scen(evs(passwordGrant(withEvent(func(e *Event) { e.LockedOut = true }))), allowPassword()), "Password Lockout"},
		{"other refusal", scen(evs(passwordGrant(secret("wrong"))), allowPassword()), "Failed: invalid client credentials"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := evalEvent(t, tc.s, -1)
			if got := LoginHistoryStatus(res); got != tc.want {
				t.Errorf("LoginHistoryStatus = %q; want %q (outcome %s, %s: %s)", got, tc.want, res.Outcome, res.Error, res.ErrorDescription)
			}
		})
	}
}
