package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/caplab/caplab/policy"
)

var outcomeMark = map[string]string{
	policy.StepPass: "✓",
	policy.StepFail: "✗",
	policy.StepSkip: "·",
	policy.StepInfo: "i",
}

// writeText prints a result as a trace a learner can follow.
func writeText(w io.Writer, s *policy.Scenario, res *policy.Result) {
	if s.Title != "" {
		fmt.Fprintf(w, "%s\n%s\n", s.Title, strings.Repeat("=", len([]rune(s.Title))))
	}
	riskShown := map[string]bool{}
	for _, r := range res.Results {
		ev := s.Events[r.Event]
		fmt.Fprintf(w, "\n[%d]%s %s  %s\n", r.Event, idSuffix(r.ID), eventTitle(ev), r.At)
		verdict := strings.ToUpper(r.Outcome)
		switch {
		case r.Outcome == policy.Denied && r.Error != "":
			fmt.Fprintf(w, "    %s: %s %q via %s (HTTP %d)\n", verdict, r.Error, r.ErrorDescription, r.Delivery, r.HTTPStatus)
		case r.Delivery != policy.DeliverNone:
			fmt.Fprintf(w, "    %s via %s (HTTP %d)%s\n", verdict, r.Delivery, r.HTTPStatus, issuedText(r.Issued))
		default:
			fmt.Fprintf(w, "    %s\n", verdict)
		}
		for _, t := range r.Trace {
			fmt.Fprintf(w, "      %s %-32s %s\n", outcomeMark[t.Outcome], t.Rule, t.Because)
			if t.Outcome == policy.StepFail && t.Setting != "" {
				fmt.Fprintf(w, "        setting: %s\n", t.Setting)
			}
			if t.Outcome == policy.StepFail && t.Doc != "" {
				fmt.Fprintf(w, "        doc: %s\n", t.Doc)
			}
		}
		if r.Response != nil && r.Response.Location != "" {
			fmt.Fprintf(w, "    Location: %s\n", r.Response.Location)
		}
		if r.Response != nil && r.Response.Body != "" && r.Outcome == policy.Denied {
			fmt.Fprintf(w, "    Body: %s\n", oneLine(r.Response.Body))
		}
		for _, f := range r.Fixes {
			fmt.Fprintf(w, "    fix (%s): %s\n", f.Actor, f.Summary)
		}
		if r.Risk != nil && !riskShown[r.Risk.Mechanism] {
			riskShown[r.Risk.Mechanism] = true
			fmt.Fprintf(w, "    risk: %s\n", riskText(r.Risk))
		}
		if r.Expect != nil && !r.Expect.Met {
			fmt.Fprintf(w, "    EXPECTATION NOT MET: %s\n", strings.Join(r.Expect.Mismatches, "; "))
		}
	}
}

func eventTitle(ev policy.Event) string {
	parts := []string{ev.Do}
	for _, p := range []string{ev.Flow, ev.Grant, ev.Action, ev.Context} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	if ev.User != "" {
		parts = append(parts, "as "+ev.User)
	}
	if ev.Org != "" {
		parts = append(parts, "in "+ev.Org)
	}
	if ev.For != "" {
		parts = append(parts, ev.For)
	}
	return strings.Join(parts, " ")
}

func issuedText(is policy.Issued) string {
	var got []string
	for name, ok := range map[string]bool{"code": is.Code, "access token": is.AccessToken, "refresh token": is.RefreshToken, "id token": is.IDToken, "session ID": is.SessionID} {
		if ok {
			got = append(got, name)
		}
	}
	if len(got) == 0 {
		return ""
	}
	slices.Sort(got)
	s := ": " + strings.Join(got, ", ")
	if is.Scope != "" {
		s += " [" + is.Scope + "]"
	}
	return s
}

func riskText(r *policy.Risk) string {
	yes := func(b bool, s string) string {
		if b {
			return s
		}
		return "not " + s
	}
	return fmt.Sprintf("%s: %s, %s, %s, %s, %s", r.Mechanism, yes(r.Auditable, "auditable"), yes(r.ScopeLimited, "scope-limited"),
		yes(r.TimeLimited, "time-limited"), yes(r.RevocableWithoutPasswordChange, "revocable without a password change"),
		yes(r.SurvivesPasswordChange, "survives a password change"))
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// writeDiffText prints a DiffReport for people.
func writeDiffText(w io.Writer, a, b string, d policy.DiffReport) {
	if d.Same {
		fmt.Fprintf(w, "%s and %s: %s\n", a, b, d.Summary)
		return
	}
	fmt.Fprintf(w, "A = %s\nB = %s\n%s\n", a, b, d.Summary)
	if d.A != nil {
		fmt.Fprintf(w, "  A: %s %s %q (%s, HTTP %d)\n", d.A.Outcome, d.A.Error, d.A.ErrorDescription, d.A.Delivery, d.A.HTTPStatus)
		fmt.Fprintf(w, "  B: %s %s %q (%s, HTTP %d)\n", d.B.Outcome, d.B.Error, d.B.ErrorDescription, d.B.Delivery, d.B.HTTPStatus)
	}
	if d.StepA != nil {
		fmt.Fprintf(w, "  step %d in A: %s %s: %s\n", d.Step, outcomeMark[d.StepA.Outcome], d.StepA.Rule, d.StepA.Because)
	}
	if d.StepB != nil {
		fmt.Fprintf(w, "  step %d in B: %s %s: %s\n", d.Step, outcomeMark[d.StepB.Outcome], d.StepB.Rule, d.StepB.Because)
	}
}
