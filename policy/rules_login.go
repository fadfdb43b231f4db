package policy

import (
	"strconv"
	"time"
)

// Login restrictions on the user beyond the password: a frozen account,
// a password lockout, and the profile's login hours.

// refusedLogin is a login refused for the user's state, in each channel:
// the login page for a person, INVALID_LOGIN for SOAP login(), and the
// token endpoint's tokenDesc.
func (r *request) refusedLogin(because, setting, pageDesc, tokenDesc string, fixes ...Fix) verdict {
	switch {
	case r.channel == DeliverSoapFault:
		return r.fail(because, setting, errInvalidLogin, descInvalidLogin, fixes...)
	case r.interactive():
		return r.failOn(DeliverErrorPage, 200, because, setting, errLoginFailed, pageDesc, fixes...)
	}
	return r.fail(because, setting, errInvalidGrant, tokenDesc, fixes...)
}

// A frozen user (Setup → Users → Freeze) can't log in: every grant logs
// the user in, so each is refused. Salesforce's words for it are
// UNCONFIRMED; caplab uses its generic login failures.
var ruleUserFrozen = rule{"user.frozen", docFreezeUsers, func(r *request) verdict {
	if r.user == nil || !r.user.Frozen {
		return verdict{}
	}
	r.note("user.frozen.unconfirmed", "UNCONFIRMED: no public source quotes Salesforce's answer to a frozen user; caplab answers as for a failed login", "", docFreezeUsers)
	return r.refusedLogin(r.user.Username+" is frozen (Setup → Users → Freeze) and can't log in", r.userPath("/frozen"), descFrozenPage, descFrozenToken,
		fix(ActorSubscriberAdmin, "Unfreeze "+r.user.Username, replace(r.userPath("/frozen"), false)))
}}

// A user locked out by the password policy (Maximum invalid login
// attempts, Lockout effective period) can't log in with a password until
// the period ends or an admin unlocks them. The timeline's wrong passwords
// count (state.loginFailed); the event's lockedOut stands for failures
// before it.
var ruleUserLockout = rule{"user.lockout", docPasswordPolicy, func(r *request) verdict {
	if r.user == nil {
		return verdict{}
	}
	if r.ev.LockedOut {
		return r.refusedLogin(r.user.Username+" is locked out by wrong passwords before this request", r.eventPath("/lockedOut"), descLockedOut, descAuthFailure,
			fix(ActorSubscriberAdmin, "Unlock "+r.user.Username+" (Setup → Users → Unlock)", replace(r.eventPath("/lockedOut"), false)))
	}
	if l := r.st.lockouts[userKey{r.org.Name, r.user.Username}]; l != nil && r.now.Before(l.until) {
		until := ""
		if l.until != lockedForever {
			until = l.until.Format(time.RFC3339) + " (the lockout period) or "
		}
		return r.refusedLogin(r.user.Username+" is locked out by too many wrong passwords in a row, until "+until+"an admin unlocks them (admin action unlockUser)",
			r.orgPath("/settings/passwordPolicy"), descLockedOut, descAuthFailure)
	}
	return verdict{}
}}

// weekdays are the loginHours keys, indexed by time.Weekday.
var weekdays = [...]string{"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"}

// A profile's login hours allow logins only within each day's hours, in
// the org's time zone. Whether IP Relaxation also relaxes them is
// UNCONFIRMED: Salesforce documents it for IP ranges only, so caplab says
// it does not.
var ruleLoginHours = rule{"user.loginHours", docLoginHours, func(r *request) verdict {
	pi := r.org.profileIndex(r.user.Profile)
	if pi < 0 || r.org.Profiles[pi].LoginHours == nil {
		return verdict{}
	}
	offset, _ := utcOffset(r.org.TimeZone)
	local := r.now.Add(time.Duration(offset) * time.Second) // the org's wall clock, read as UTC
	day := weekdays[local.Weekday()]
	setting := r.orgPath("/profiles/" + strconv.Itoa(pi) + "/loginHours/" + day)
	span := *r.org.Profiles[pi].LoginHours.days()[local.Weekday()]
	if span == nil {
		return pass("profile "+r.user.Profile+" sets no login hours for "+day, setting)
	}
	start, _ := clockMinutes(span.Start)
	end, _ := clockMinutes(span.End)
	at := local.Format("15:04") + " on " + day + " in the org's time zone"
	hours := " profile " + r.user.Profile + "'s login hours " + span.Start + "–" + span.End
	if now := local.Hour()*60 + local.Minute(); start <= now && now < end {
		return pass(at+" is within"+hours, setting)
	}
	if relax, _ := r.policy("ipRelaxation"); r.app != nil && relax != "enforce" {
		r.note("user.loginHours.relaxation", "UNCONFIRMED: IP Relaxation is "+quote(relax)+"; Salesforce documents it for IP ranges only, so caplab keeps login hours enforced", "", docIPRelaxation)
	}
	code, desc := errInvalidGrant, descIPRestricted
	if r.channel == DeliverSoapFault {
		code, desc = errInvalidLogin, descInvalidLogin
	}
	return r.fail(at+" is outside"+hours, setting, code, desc,
		fix(ActorSubscriberAdmin, "Let profile "+r.user.Profile+" log in all day on "+day, replace(setting, HoursSpan{"00:00", "24:00"})))
}}

// days are the day fields, indexed by time.Weekday.
func (h *LoginHours) days() []**HoursSpan {
	return []**HoursSpan{&h.Sunday, &h.Monday, &h.Tuesday, &h.Wednesday, &h.Thursday, &h.Friday, &h.Saturday}
}
