package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/caplab/caplab/policy"
)

// Limits of POST /api/evaluate, besides maxBodyBytes and the engine's own
// (policy/limits.go, which bound each evaluation's work and memory).
const (
	// maxEvaluateTime is a backstop: the engine's work budget ends any
	// evaluation in about a second; this catches a slow or crowded host.
	maxEvaluateTime = 5 * time.Second
	// maxConcurrentEvaluations per process: each may grow the heap by up
	// to policy.MaxEvaluationHeapBytes and keeps a core busy, so four
	// stay within 256 MiB and a small host's CPUs.
	maxConcurrentEvaluations = 4
)

// evaluations holds a slot per evaluation in progress in this process.
var evaluations = make(chan struct{}, maxConcurrentEvaluations)

// limitExceeded is the 422 body of an evaluation stopped by a limit.
type limitExceeded struct {
	Error   string `json:"error"` // "limit_exceeded"
	Limit   string `json:"limit"`
	Max     int    `json:"max,omitempty"`
	Path    string `json:"path,omitempty"`
	Message string `json:"message"`
}

// handleEvaluate is POST /api/evaluate: scenario JSON in, result JSON out.
// A scenario whose evaluation goes past a limit gets 422 naming it; when
// maxConcurrentEvaluations are running, 429.
func (s *Server) handleEvaluate(w http.ResponseWriter, r *http.Request) {
	data, ok := readBody(w, r) // before taking a slot: a slow sender must not hold one
	if !ok {
		return
	}
	select {
	case evaluations <- struct{}{}:
		defer func() { <-evaluations }()
	default:
		noStore(w)
		w.Header().Set("Retry-After", "1")
		writeJSON(w, http.StatusTooManyRequests, limitExceeded{Error: "too_busy", Limit: "maxConcurrentEvaluations", Max: maxConcurrentEvaluations,
			Message: "the server is running " + strconv.Itoa(maxConcurrentEvaluations) + " evaluations already (maxConcurrentEvaluations); retry after 1 s"})
		return
	}
	sc, ok := decodeScenario(w, data)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), maxEvaluateTime)
	defer cancel()
	res, err := policy.EvaluateContext(ctx, sc, policy.Options{Now: s.cfg.Now()})
	var le *policy.LimitError
	switch {
	case errors.As(err, &le):
		body := limitExceeded{Error: "limit_exceeded", Limit: le.Limit, Max: le.Max, Path: le.Path, Message: le.Message}
		if le.Limit == policy.LimitDeadline {
			body.Limit, body.Max = "maxEvaluateTime", int(maxEvaluateTime/time.Second)
			body.Message = "the evaluation took longer than " + strconv.Itoa(body.Max) + " s (maxEvaluateTime); retry, or use fewer events"
		}
		writeJSON(w, http.StatusUnprocessableEntity, body)
		return
	case err != nil:
		return // the client went away (the request's context is cancelled)
	}
	writeJSON(w, http.StatusOK, res)
}
