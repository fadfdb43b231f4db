package policy

// checkExpectations compares each event with its "expect", if any.
func checkExpectations(s *Scenario, res *Result) {
	for i := range res.Results {
		ex := s.Events[i].Expect
		if ex == nil {
			continue
		}
		got := &res.Results[i]
		c := &ExpectCheck{Met: true}
		check := func(field, want, have string) {
			if want != "" && want != have {
				c.Met = false
				c.Mismatches = append(c.Mismatches, field+": got "+quote(have)+"; want "+quote(want))
			}
		}
		check("outcome", ex.Outcome, got.Outcome)
		check("error", ex.Error, got.Error)
		check("errorDescription", ex.ErrorDescription, got.ErrorDescription)
		check("delivery", ex.Delivery, got.Delivery)
		got.Expect = c
	}
}
