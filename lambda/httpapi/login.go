package httpapi

import (
	"context"
	"errors"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/caplab/caplab/lambda/store"
	"github.com/caplab/caplab/policy"
)

// loginRefusal is why a login form post was refused, for the login page.
type loginRefusal struct {
	message    string
	status     int    // 200 for a wrong password or a lockout (as Salesforce), 429 when throttled
	retryAfter string // Retry-After seconds, or ""
}

// checkLogin checks a login form's username and password: throttled per
// client IP, then the user's lockout (Setup → Password Policies: after the
// org's maximum invalid login attempts the user is locked out for the
// lockout period), then the password, compared in constant time with the
// user's synthetic one (the literal "password" for a user without one). A
// wrong password counts towards the lockout; a right one clears the count.
// It returns nil on success; ok false means it answered (a store error).
func (s *Server) checkLogin(w http.ResponseWriter, r *http.Request, o *liveOrg, username, password string) (refused *loginRefusal, ok bool) {
	now := s.cfg.Now()
	if allowed, retry := s.limits.login.Allow(clientIP(r), now); !allowed {
		secs := int(math.Ceil(retry.Seconds()))
		return &loginRefusal{message: "Too many login attempts from your address. Wait " + strconv.Itoa(secs) + " seconds and try again.",
			status: http.StatusTooManyRequests, retryAfter: strconv.Itoa(max(secs, 1))}, true
	}
	failed := &loginRefusal{message: policy.LiveDescLoginFailed, status: http.StatusOK}
	org, u := o.sc.FindUser(username)
	if u == nil {
		equalSecret(password, "password") // the same work as for a real user
		return failed, true
	}
	lockedOut := &loginRefusal{message: policy.LiveDescLockedOut, status: http.StatusOK}
	l, err := s.st.GetLockout(r.Context(), o.id, username)
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		s.internal(w, r, err)
		return nil, false
	case l.Locked(now):
		s.recordLogin(r, o, username, policy.LoginTypeUI, policy.LoginAppBrowser, policy.LoginStatusLockout) // audit.go
		return lockedOut, true
	}
	if !equalSecret(password, firstNonEmpty(u.Password, "password")) {
		maxAttempts, period := org.Lockout()
		l, err := s.st.AddLoginFailure(r.Context(), o.id, username, now, maxAttempts, period)
		if err != nil {
			s.internal(w, r, err)
			return nil, false
		}
		if l.Locked(now) {
			s.recordLogin(r, o, username, policy.LoginTypeUI, policy.LoginAppBrowser, policy.LoginStatusLockout)
			return lockedOut, true
		}
		s.recordLogin(r, o, username, policy.LoginTypeUI, policy.LoginAppBrowser, policy.LoginStatusInvalidPW)
		return failed, true
	}
	if l.Failures > 0 {
		if err := s.st.ClearLoginFailures(r.Context(), o.id, username, now); err != nil {
			s.internal(w, r, err)
			return nil, false
		}
	}
	s.recordLogin(r, o, username, policy.LoginTypeUI, policy.LoginAppBrowser, policy.LoginStatusSuccess)
	return nil, true
}

// lockout reads a scenario user's failed-login record and tells the
// engine's event whether the user is locked out now (Event.LockedOut):
// the engine answers, as for the login page's own check above.
func (s *Server) lockout(ctx context.Context, o *liveOrg, u *policy.User, ev *policy.Event, now time.Time) (store.Lockout, error) {
	if u == nil {
		return store.Lockout{}, nil
	}
	l, err := s.st.GetLockout(ctx, o.id, ev.User)
	if errors.Is(err, store.ErrNotFound) {
		err = nil
	}
	ev.LockedOut = l.Locked(now)
	return l, err
}

// countAttempt records one password attempt of the token endpoint or SOAP
// login() as the engine read it (policy.PasswordChecked): a wrong password
// counts towards the lockout, a right one clears the count, and one the
// engine did not reach (a locked-out user, an earlier refusal) counts for
// nothing.
func (s *Server) countAttempt(ctx context.Context, o *liveOrg, org *policy.Org, username string, l store.Lockout, res policy.EventResult, now time.Time) error {
	switch policy.PasswordChecked(res) {
	case "wrong":
		maxAttempts, period := org.Lockout()
		_, err := s.st.AddLoginFailure(ctx, o.id, username, now, maxAttempts, period)
		return err
	case "correct":
		if l.Failures > 0 {
			return s.st.ClearLoginFailures(ctx, o.id, username, now)
		}
	}
	return nil
}

// passwordStates compares the password field with the user's password and
// security token, in constant time, as the engine's correct, wrong or
// missing (the username-password flow's reading, token_password.go).
func passwordStates(u *policy.User, given string) (pw, tok string) {
	pw, tok = "wrong", "correct"
	if u == nil {
		equalSecret(given, "password") // the same work as for a real user
		return pw, tok
	}
	want := firstNonEmpty(u.Password, "password")
	switch {
	case given == "":
		pw = "missing"
	case equalSecret(given, want+u.SecurityToken):
		pw = "correct"
	case len(given) >= len(want) && equalSecret(given[:len(want)], want):
		pw, tok = "correct", "wrong"
		if len(given) == len(want) {
			tok = "missing"
		}
	}
	return pw, tok
}
