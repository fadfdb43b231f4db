package policy

import "strconv"

// rule is one thing Salesforce checks: a name for the trace, the page that
// documents it, and the check itself.
type rule struct {
	name  string
	doc   string
	check func(r *request) verdict
}

// verdict is what a rule found. A failing verdict carries the denial and
// candidate fixes (verified by re-evaluation before they are offered).
type verdict struct {
	outcome string
	because string
	setting string
	deny    *denial
	fixes   []Fix
}

// denial is Salesforce's answer when a rule fails.
type denial struct {
	err, desc string
	delivery  string
	status    int
}

func pass(because, setting string) verdict {
	return verdict{outcome: StepPass, because: because, setting: setting}
}
func skip(because string) verdict { return verdict{outcome: StepSkip, because: because} }
func info(because, setting string) verdict {
	return verdict{outcome: StepInfo, because: because, setting: setting}
}

// fail denies the request in the channel the request is in at this point.
func (r *request) fail(because, setting, code, desc string, fixes ...Fix) verdict {
	d := &denial{err: code, desc: desc, delivery: r.channel, status: statusFor(r.channel)}
	return verdict{outcome: StepFail, because: because, setting: setting, deny: d, fixes: fixes}
}

// failOn denies in a given channel (an error page before the callback is
// trusted, for example).
func (r *request) failOn(channel string, status int, because, setting, code, desc string, fixes ...Fix) verdict {
	v := r.fail(because, setting, code, desc, fixes...)
	v.deny.delivery, v.deny.status = channel, status
	return v
}

func statusFor(channel string) int {
	switch channel {
	case DeliverRedirect, DeliverRedirectFragment:
		return 302
	case DeliverJSON:
		return 400
	case DeliverSoapFault:
		return 500 // SOAP 1.1 faults travel as HTTP 500
	case DeliverNone:
		return 0 // no HTTP exchange (an outbound message, an admin action)
	default:
		return 200
	}
}

// run checks the rules in order and stops at the first failure; later rules
// are not reached, as on Salesforce.
func (r *request) run(rules []rule) bool {
	for _, ru := range rules {
		v := ru.check(r)
		if v.outcome == "" {
			continue // the rule does not apply and has nothing to say
		}
		if !r.quiet {
			r.res.Trace = append(r.res.Trace, TraceStep{Rule: ru.name, Outcome: v.outcome, Because: v.because, Setting: v.setting, Doc: ru.doc})
		}
		if v.outcome == StepFail {
			r.deny(v.deny)
			r.candidates = v.fixes
			return false
		}
	}
	return true
}

// note adds an info step outside a rule's own verdict (defaults applied,
// UNCONFIRMED behaviour chosen).
func (r *request) note(name, because, setting, doc string) {
	if r.quiet {
		return // fix verification reads no trace
	}
	r.res.Trace = append(r.res.Trace, TraceStep{Rule: name, Outcome: StepInfo, Because: because, Setting: setting, Doc: doc})
}

// Paths into the scenario for trace settings and fix patches.
func (r *request) orgPath(rest string) string { return "/orgs/" + strconv.Itoa(r.orgIx) + rest }
func (r *request) appPath(rest string) string { return "/apps/" + strconv.Itoa(r.appIx) + rest }
func (r *request) userPath(rest string) string {
	return "/orgs/" + strconv.Itoa(r.orgIx) + "/users/" + strconv.Itoa(r.userIx) + rest
}
func (r *request) eventPath(rest string) string {
	return "/events/" + strconv.Itoa(r.evIx) + rest
}
