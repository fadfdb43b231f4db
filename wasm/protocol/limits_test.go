package protocol

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/caplab/caplab/policy"
	"github.com/caplab/caplab/policy/limitstest"
)

// limitResponse is a response with the limit an evaluation went past.
type limitResponse struct {
	response
	Limit *policy.LimitError `json:"limit"`
}

func callLimit(t *testing.T, req string) limitResponse {
	t.Helper()
	call(t, req) // checks the envelope
	var r limitResponse
	if err := json.Unmarshal(Handle([]byte(req), testNow), &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// A scenario whose timeline goes past a limit (the patch bomb)
// is an error naming the limit, at the operation that hit it, for every
// op that evaluates: the page shows it, and the tab lives on.
func TestTimelineLimitIsAnError(t *testing.T) {
	bomb := string(limitstest.PatchDoubling(40))
	fine := strings.Replace(selfAuthorize, "%s", "allSelfAuthorize", 1)
	for _, tc := range []struct {
		name, req, prefix string
	}{
		{"evaluate", `{"version":1,"op":"evaluate","scenario":` + bomb + `}`, ""},
		{"evaluate as text", `{"version":1,"op":"evaluate","noFixes":true,"scenario":` + mustJSON(t, bomb) + `}`, ""},
		{"fixes", `{"version":1,"op":"fixes","scenario":` + bomb + `}`, ""},
		{"diff a", `{"version":1,"op":"diff","a":` + bomb + `,"b":` + fine + `}`, "/a"},
		{"diff b", `{"version":1,"op":"diff","a":` + fine + `,"b":` + bomb + `}`, "/b"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := callLimit(t, tc.req)
			if r.OK || r.Limit == nil || len(r.Errors) != 1 {
				t.Fatalf("ok %v, limit %+v, errors %+v; want ok false with the limit and one error", r.OK, r.Limit, r.Errors)
			}
			if r.Limit.Limit != "maxPatchedScenarioBytes" || !strings.HasPrefix(r.Limit.Path, tc.prefix+"/events/0/patch/") {
				t.Errorf("limit %+v; want maxPatchedScenarioBytes at %s/events/0/patch/…", r.Limit, tc.prefix)
			}
			if e := r.Errors[0]; e.Path != r.Limit.Path || !strings.Contains(e.Message, "maxPatchedScenarioBytes") {
				t.Errorf("error %+v; want the limit's path and a message naming it", e)
			}
		})
	}
}

// When only the fix search runs out of budget, evaluate and fixes answer
// in full and say which events it cut short.
func TestFixSearchLimitIsReported(t *testing.T) {
	doc := string(limitstest.DeniedEvents(500))
	ev := call(t, `{"version":1,"op":"evaluate","scenario":`+doc+`}`)
	var res policy.Result
	if err := json.Unmarshal(ev.Result, &res); err != nil || !ev.OK {
		t.Fatalf("evaluate: ok %v, %v", ev.OK, err)
	}
	if len(res.Results) != 500 || len(res.Limits) != 1 || res.Limits[0].Limit != "maxEventEvaluations" {
		t.Fatalf("evaluate: %d results, limits %+v; want 500 and maxEventEvaluations", len(res.Results), res.Limits)
	}
	fx := call(t, `{"version":1,"op":"fixes","scenario":`+doc+`}`)
	var fixes []EventFixes
	if err := json.Unmarshal(fx.Result, &fixes); err != nil || !fx.OK {
		t.Fatalf("fixes: ok %v, %v", fx.OK, err)
	}
	if len(fixes) != 500 {
		t.Fatalf("fixes: %d events; want 500", len(fixes))
	}
	cut := 0
	for _, f := range fixes {
		switch {
		case f.Limit == nil && len(f.Fixes) == 0:
			t.Errorf("event %d: no fixes and no limit; a denied event here always has fixes", f.Event)
		case f.Limit != nil:
			cut++
			if f.Limit.Limit != "maxEventEvaluations" || !strings.Contains(f.Limit.Message, "maxEventEvaluations") {
				t.Errorf("event %d: limit %+v; want maxEventEvaluations named", f.Event, f.Limit)
			}
		}
	}
	if cut != len(res.Limits[0].Events) {
		t.Errorf("fixes marks %d events as cut short; evaluate lists %d", cut, len(res.Limits[0].Events))
	}
}
