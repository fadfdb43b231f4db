package store_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/caplab/caplab/lambda/store"
)

// A step's event is stored as the JSON it is, and a record written before
// (the event in base64) still reads.
func TestStepJSON(t *testing.T) {
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	b, err := json.Marshal(store.Step{At: at, Event: []byte(`{"do":"token"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"at":"2026-03-01T09:00:00Z","event":{"do":"token"}}`; string(b) != want {
		t.Fatalf("Step as JSON = %s; want %s", b, want)
	}
	for _, stored := range []string{
		`{"at":"2026-03-01T09:00:00Z","event":{"do":"token"}}`,
		`{"at":"2026-03-01T09:00:00Z","event":"eyJkbyI6InRva2VuIn0="}`, // base64 of {"do":"token"}
	} {
		var s store.Step
		if err := json.Unmarshal([]byte(stored), &s); err != nil || string(s.Event) != `{"do":"token"}` || !s.At.Equal(at) {
			t.Errorf("reading %s: %+v (event %s), %v; want the event {\"do\":\"token\"} at %v", stored, s, s.Event, err, at)
		}
	}
}
