package policy

import (
	"strconv"

	"github.com/caplab/caplab/policy/internal/jsonpatch"
)

// Limits on what one evaluation may cost, so that no scenario, however it
// was written, can exhaust memory or CPU. The work budget is a count, not a
// time, so the same scenario gives the same result in the browser and in
// the native build; the caller's context (a deadline) is only a backstop.
// docs/security.md explains each value.
const (
	// maxPatchOpsPerScenario: patch operations applied in one replay of the
	// timeline, over all admin patch events. A lesson needs a handful; each
	// operation may walk a document of maxPatchedScenarioBytes.
	maxPatchOpsPerScenario = 1000
	// maxPatchedScenarioBytes: a patched scenario must still be one Decode
	// accepts, so no operation may grow the document past that size.
	maxPatchedScenarioBytes = maxScenarioSize
	// maxPatchDepth: how deep an operation may nest a value (its path plus
	// the value's own nesting): no deeper than Decode accepts. Without a
	// bound, copying a value into itself doubles its depth.
	maxPatchDepth = maxScenarioDepth
	// maxEventEvaluations is the work budget of one evaluation: events
	// evaluated, in the timeline and in every fix-search re-evaluation, with
	// JSON handling counted in event evaluations too. Spending it all takes
	// about 0.3 s natively and 2 s in a browser tab; the largest preset
	// needs under 2 000.
	maxEventEvaluations = 100_000
	// jsonBytesPerEvaluation: JSON bytes handled (a scenario document
	// marshalled, patched, encoded, decoded) charged as one event
	// evaluation. Measured nearer 70; charging JSON double errs safe.
	jsonBytesPerEvaluation = 32
)

// MaxEvaluationHeapBytes bounds how much the heap may grow while one
// document of at most 64 KiB (the HTTP API's body limit) is decoded and
// evaluated. The limits above keep every evaluation under it; the tests of
// policy and lambda/httpapi hold adversarial documents to it.
const MaxEvaluationHeapBytes = 64 << 20

// Names of the limits as LimitError and LimitNote report them.
const (
	LimitPatchOps     = "maxPatchOpsPerScenario"
	LimitPatchedBytes = "maxPatchedScenarioBytes"
	LimitPatchDepth   = "maxPatchDepth"
	LimitWork         = "maxEventEvaluations"
	// LimitDeadline is the caller's deadline (the context passed to
	// EvaluateContext) running out.
	LimitDeadline = "deadline"
)

// LimitError is an evaluation stopped by one of the engine's limits. Limit
// names the limit, Max is its value (0 for the deadline), and Path, when
// set, is the JSON pointer of what hit it (such as "/events/3/patch/12").
type LimitError struct {
	Limit   string `json:"limit"`
	Max     int    `json:"max"`
	Path    string `json:"path,omitempty"`
	Message string `json:"message"`
	err     error  // the context's error, for the deadline
}

func (e *LimitError) Error() string { return e.Message }

// Unwrap is the context's error when the deadline stopped the evaluation.
func (e *LimitError) Unwrap() error { return e.err }

// LimitNote is a limit that cut the fix search short; the result and the
// events are still complete. Events lists the denied events whose fixes
// were not searched, or only in part.
type LimitNote struct {
	Limit   string `json:"limit"`
	Max     int    `json:"max,omitempty"`
	Message string `json:"message"`
	Events  []int  `json:"events,omitempty"`
}

func workLimitError() *LimitError {
	return &LimitError{Limit: LimitWork, Max: maxEventEvaluations, Message: "the evaluation needs more than its work budget of " +
		strconv.Itoa(maxEventEvaluations) + " event evaluations (" + LimitWork + "); use fewer events, smaller admin patches or a smaller scenario"}
}

// patchLimitError names the jsonpatch limit an admin patch event hit.
func patchLimitError(le *jsonpatch.LimitError, event int) *LimitError {
	path := "/events/" + strconv.Itoa(event) + "/patch"
	at := "event " + strconv.Itoa(event+1) + "'s patch"
	if le.Op >= 0 {
		path += "/" + strconv.Itoa(le.Op)
		at += ", operation " + strconv.Itoa(le.Op)
	}
	e := &LimitError{Max: le.Max, Path: path}
	switch le.Kind {
	case jsonpatch.LimitOps:
		e.Limit, e.Max = LimitPatchOps, maxPatchOpsPerScenario
		e.Message = at + ": too many patch operations; the limit " + LimitPatchOps + " is " + strconv.Itoa(maxPatchOpsPerScenario)
	case jsonpatch.LimitDepth:
		e.Limit = LimitPatchDepth
		e.Message = at + " would nest a value " + strconv.Itoa(le.Got) + " levels deep; the limit " + LimitPatchDepth + " is " + strconv.Itoa(le.Max)
	default:
		e.Limit = LimitPatchedBytes
		e.Message = at + " would make the scenario " + strconv.Itoa(le.Got) + " bytes; the limit " + LimitPatchedBytes + " is " + strconv.Itoa(le.Max) + " bytes"
	}
	return e
}

func patchOpsLimitError(event, total int) *LimitError {
	return &LimitError{Limit: LimitPatchOps, Max: maxPatchOpsPerScenario, Path: "/events/" + strconv.Itoa(event) + "/patch",
		Message: "admin patch events up to event " + strconv.Itoa(event+1) + " apply " + strconv.Itoa(total) + " operations; the limit " +
			LimitPatchOps + " is " + strconv.Itoa(maxPatchOpsPerScenario)}
}

// jsonWork is bytes of JSON handled, in event evaluations (at least one).
func jsonWork(bytes int) int { return 1 + bytes/jsonBytesPerEvaluation }
