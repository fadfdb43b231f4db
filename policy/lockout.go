package policy

import (
	"strings"
	"time"
)

// Password lockout (Setup → Password Policies): wrong passwords in a row
// lock the user out, counted here as the live org's store counts them
// (store.NextLockout), so the playground and the live org agree.

// lockout is one user's wrong passwords in a row and the lockout they led
// to, counted as the live org's store counts them (store.NextLockout).
type lockout struct {
	failures int
	until    time.Time // the lockout's end (lockedForever: until unlocked); zero: none
}

// lockedForever is the end of a lockout that lasts until an admin unlocks.
var lockedForever = day(9999, 1, 1)

// loginFailed counts a wrong password at now: reaching the org's maximum
// locks the user for the lockout period and starts the count again.
func (st *state) loginFailed(o *Org, user string, now time.Time) {
	k := userKey{o.Name, user}
	l := st.lockouts[k]
	switch {
	case l == nil:
		l = &lockout{}
		st.lockouts[k] = l
	case now.Before(l.until):
		return
	case !l.until.IsZero():
		*l = lockout{} // the lockout ended
	}
	l.failures++
	if max, period := o.Lockout(); max > 0 && l.failures >= max {
		l.failures, l.until = 0, lockedForever
		if period > 0 {
			l.until = now.Add(period)
		}
	}
}

// PasswordChecked says what the engine made of the password in a result
// of the username-password flow or SOAP login(), for the live org's
// failed-login count: "wrong" when a wrong or missing password counted
// towards the lockout, "correct" when a right one cleared the count, ""
// when the password was not reached (or the user has none).
func PasswordChecked(res EventResult) string {
	for _, t := range res.Trace {
		if t.Rule != "user.credentials" {
			continue
		}
		switch {
		case t.Outcome == StepPass || strings.HasSuffix(t.Setting, "/securityToken"):
			return "correct"
		case strings.HasSuffix(t.Setting, "/password"):
			return "wrong"
		}
	}
	return ""
}
