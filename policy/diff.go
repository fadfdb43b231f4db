package policy

import "fmt"

// DiffReport says where two runs part: the first event whose answer
// differs and, within it, the first trace step that differs.
type DiffReport struct {
	Same    bool          `json:"same"`
	Event   int           `json:"event"` // -1 when every event answers alike
	ID      string        `json:"id,omitempty"`
	A       *EventSummary `json:"a,omitempty"`
	B       *EventSummary `json:"b,omitempty"`
	Step    int           `json:"step"` // index into both traces; -1 when the traces agree
	StepA   *TraceStep    `json:"stepA,omitempty"`
	StepB   *TraceStep    `json:"stepB,omitempty"`
	Summary string        `json:"summary"`
}

// EventSummary is the answer of one event, without its trace.
type EventSummary struct {
	Outcome          string `json:"outcome"`
	Delivery         string `json:"delivery"`
	HTTPStatus       int    `json:"httpStatus"`
	Error            string `json:"error,omitempty"`
	ErrorDescription string `json:"errorDescription,omitempty"`
}

func summarize(r *EventResult) *EventSummary {
	return &EventSummary{Outcome: r.Outcome, Delivery: r.Delivery, HTTPStatus: r.HTTPStatus, Error: r.Error, ErrorDescription: r.ErrorDescription}
}

// Diff compares two results event by event.
func Diff(a, b *Result) DiffReport {
	n := min(len(a.Results), len(b.Results))
	for i := 0; i < n; i++ {
		ra, rb := &a.Results[i], &b.Results[i]
		sa, sb := summarize(ra), summarize(rb)
		if *sa == *sb {
			continue
		}
		d := DiffReport{Event: i, ID: ra.ID, A: sa, B: sb, Step: -1}
		for j := 0; j < max(len(ra.Trace), len(rb.Trace)); j++ {
			var ta, tb *TraceStep
			if j < len(ra.Trace) {
				ta = &ra.Trace[j]
			}
			if j < len(rb.Trace) {
				tb = &rb.Trace[j]
			}
			if ta == nil || tb == nil || ta.Rule != tb.Rule || ta.Outcome != tb.Outcome {
				d.Step, d.StepA, d.StepB = j, ta, tb
				break
			}
		}
		d.Summary = fmt.Sprintf("event %d (%s) is %s in A and %s in B", i, eventLabel(ra), describeSummary(sa), describeSummary(sb))
		if d.StepA != nil && d.StepB != nil {
			d.Summary += fmt.Sprintf("; the runs part at trace step %d: %s %s vs %s %s", d.Step, d.StepA.Rule, d.StepA.Outcome, d.StepB.Rule, d.StepB.Outcome)
		}
		return d
	}
	if len(a.Results) != len(b.Results) {
		return DiffReport{Event: n, Step: -1, Summary: fmt.Sprintf("A has %d events and B has %d; the first %d answer alike", len(a.Results), len(b.Results), n)}
	}
	return DiffReport{Same: true, Event: -1, Step: -1, Summary: fmt.Sprintf("all %d events answer alike", n)}
}

func eventLabel(r *EventResult) string {
	if r.ID != "" {
		return r.ID + ", " + r.Do
	}
	return r.Do
}

func describeSummary(s *EventSummary) string {
	if s.Outcome == Granted {
		return "granted (" + s.Delivery + ")"
	}
	return fmt.Sprintf("denied with %s %q (%s)", s.Error, s.ErrorDescription, s.Delivery)
}
