package httpapi

import "github.com/caplab/caplab/policy"

// tokenPassword is the username-password flow (password followed by the
// security token, when the user has one, from the caller's address). The
// engine decides, told whether the user is locked out (login.go); a
// locked-out user gets the answer of a wrong password (Salesforce:
// "invalid username, password, security token; or user locked out").
// The attempt then counts towards the lockout as the engine read it.
func (s *Server) tokenPassword(t *tokenRequest) {
	ctx := t.r.Context()
	username := t.get("username")
	org, u := t.o.sc.FindUser(username)
	_, ev := t.clientEvent("password")
	ev.Org, ev.User, ev.Scope = orgFor(t.o, username, t.c.id), username, t.scope()
	ev.Password, ev.SecurityToken = passwordStates(u, t.get("password"))
	ev.FromIP = sourceIP(t.r)
	lock, err := s.lockout(ctx, t.o, u, &ev, t.now)
	var res policy.EventResult
	if err == nil {
		res, err = s.evaluate(ctx, t.o, []step{{at: t.now, ev: ev}})
	}
	if err == nil && u != nil {
		err = s.countAttempt(ctx, t.o, org, username, lock, res, t.now)
	}
	switch {
	case err != nil:
		s.internal(t.w, t.r, err)
	case res.Outcome != policy.Granted:
		s.deny(t, res)
	default:
		s.startGrant(t, ev, res, username, ev.Org)
	}
}
