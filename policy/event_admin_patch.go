package policy

import (
	"encoding/json"
	"errors"

	"github.com/caplab/caplab/policy/internal/jsonpatch"
)

// patch applies an RFC 6902 JSON Patch to the scenario as it is now; the
// result must still be a valid scenario. Its cost is bounded: the
// operations of all patch events (maxPatchOpsPerScenario), the document
// after every operation (maxPatchedScenarioBytes, maxPatchDepth), and the
// JSON handled, charged to the work budget. Going past a limit stops the
// evaluation (e.limit).
func (e *evaluator) patch(r *request) {
	if n := e.patchOps + len(r.ev.Patch); n > maxPatchOpsPerScenario {
		e.limit = patchOpsLimitError(r.evIx, n)
		return
	}
	e.patchOps += len(r.ev.Patch)
	doc, err := json.Marshal(e.s)
	if err != nil {
		r.adminFail(err.Error())
		return
	}
	patched, _, work, err := applyPatch(doc, r.ev.Patch)
	if !e.budget.spend(jsonWork(work)) {
		return // evaluateThrough reports the budget
	}
	var le *jsonpatch.LimitError
	if errors.As(err, &le) {
		e.limit = patchLimitError(le, r.evIx)
		return
	}
	if err != nil {
		r.adminFail("patch: " + err.Error())
		return
	}
	s, err := Decode(patched)
	if !e.budget.spend(jsonWork(len(patched))) {
		return
	}
	if err != nil {
		r.adminFail("the patched scenario is invalid: " + err.Error())
		return
	}
	if len(s.Events) != len(e.s.Events) {
		r.adminFail("a patch may not add or remove events")
		return
	}
	e.s = s
	r.s = s
	r.adminDone("applied a JSON Patch of " + countOf(len(r.ev.Patch), "operation"))
}
