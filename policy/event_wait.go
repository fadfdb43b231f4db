package policy

import "time"

// wait advances the simulated clock.
func (e *evaluator) wait(r *request) {
	d, err := ParseDuration(r.ev.For)
	if err != nil {
		r.res.Trace = append(r.res.Trace, TraceStep{Rule: "wait", Outcome: StepFail, Because: "for: " + err.Error(), Setting: r.eventPath("/for")})
		r.deny(&denial{err: errInvalidEvent, desc: err.Error(), delivery: DeliverNone})
		return
	}
	e.st.now = e.st.now.Add(d)
	r.res.Outcome, r.res.Delivery = Granted, DeliverNone
	r.note("wait", "the clock moves "+formatDuration(d)+" to "+e.st.now.Format(time.RFC3339), r.eventPath("/for"), "")
}
