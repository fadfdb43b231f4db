package httpapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/caplab/caplab/lambda/httpapi"
	"github.com/caplab/caplab/policy"
	"github.com/caplab/caplab/policy/limitstest"
)

// postJSON posts a body and decodes the JSON answer.
func postJSON(t *testing.T, u string, body []byte) (int, http.Header, map[string]any) {
	t.Helper()
	resp, err := http.Post(u, "application/json", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("POST %s: %d, not JSON: %.200s", u, resp.StatusCode, b)
	}
	return resp.StatusCode, resp.Header, m
}

// No request of at most the body limit costs the server more than the
// engine's bound: each adversarial document gets its answer (400 when
// invalid, 422 naming the limit its timeline goes past, else 200 with
// any fix-search limit listed), and the heap of the whole process grows by
// less than policy.MaxEvaluationHeapBytes while it is handled.
func TestEvaluateAdversarialRequests(t *testing.T) {
	e := newEnv(t, envOpt{})
	for _, c := range limitstest.Cases() {
		t.Run(c.Name, func(t *testing.T) {
			for _, path := range []string{"/api/evaluate", "/api/scenarios"} {
				var (
					st int
					m  map[string]any
				)
				grown := limitstest.HeapGrowth(4*policy.MaxEvaluationHeapBytes, func() {
					st, _, m = postJSON(t, e.base+path, c.Doc)
				})
				t.Logf("%s: %d, heap grew by %.1f MiB", path, st, float64(grown)/(1<<20))
				if grown > policy.MaxEvaluationHeapBytes {
					t.Errorf("%s: the heap grew by %d bytes; the bound policy.MaxEvaluationHeapBytes is %d", path, grown, policy.MaxEvaluationHeapBytes)
				}
				want := http.StatusOK
				switch {
				case !c.Valid:
					want = http.StatusBadRequest
				case path == "/api/scenarios":
					want = http.StatusCreated // sharing decodes; it does not evaluate
				case c.Limit != "":
					want = http.StatusUnprocessableEntity
				}
				if st != want {
					t.Fatalf("%s: %d %v; want %d", path, st, m, want)
				}
				if path != "/api/evaluate" || !c.Valid {
					continue
				}
				if c.Limit != "" {
					msg, _ := m["message"].(string)
					if m["error"] != "limit_exceeded" || m["limit"] != c.Limit || !strings.Contains(msg, c.Limit) {
						t.Errorf("422 body %v; want error limit_exceeded, limit %s, and a message naming it", m, c.Limit)
					}
					continue
				}
				limits, _ := m["limits"].([]any)
				switch {
				case c.FixLimit == "" && len(limits) > 0:
					t.Errorf("result limits %v; want none", limits)
				case c.FixLimit != "" && (len(limits) != 1 || limits[0].(map[string]any)["limit"] != c.FixLimit):
					t.Errorf("result limits %v; want %s", limits, c.FixLimit)
				}
			}
		})
	}
}

// A body over the limit is refused before it is read in full.
func TestEvaluateBodyLimit(t *testing.T) {
	e := newEnv(t, envOpt{})
	big := `{"schemaVersion":1,"title":"` + strings.Repeat("x", limitstest.BodyLimit) + `"}`
	st, _, m := postJSON(t, e.base+"/api/evaluate", []byte(big))
	if st != http.StatusRequestEntityTooLarge || m["error"] != "too_large" {
		t.Fatalf("%d %v; want 413 too_large", st, m)
	}
}

// When maxConcurrentEvaluations evaluations are running, another gets 429
// with Retry-After, naming the limit; once one ends, it gets its answer.
func TestEvaluateConcurrencyLimit(t *testing.T) {
	e := newEnv(t, envOpt{})
	doc := scenarioJSON(t, nil)
	release := httpapi.HoldEvaluations()
	st, h, m := postJSON(t, e.base+"/api/evaluate", doc)
	release()
	if st != http.StatusTooManyRequests || h.Get("Retry-After") != "1" || m["limit"] != "maxConcurrentEvaluations" {
		t.Fatalf("%d, Retry-After %q, %v; want 429, Retry-After 1, limit maxConcurrentEvaluations", st, h.Get("Retry-After"), m)
	}
	if st, _, m := postJSON(t, e.base+"/api/evaluate", doc); st != http.StatusOK {
		t.Fatalf("after the others ended: %d %v; want 200", st, m)
	}
}
