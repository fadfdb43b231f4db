package httpapi

import (
	"net/http"

	"github.com/caplab/caplab/policy"
)

// handleEvaluate is POST /api/evaluate: scenario JSON in, result JSON out.
func (s *Server) handleEvaluate(w http.ResponseWriter, r *http.Request) {
	data, ok := readBody(w, r)
	if !ok {
		return
	}
	sc, ok := decodeScenario(w, data)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, policy.Evaluate(sc, policy.Options{Now: s.cfg.Now()}))
}
