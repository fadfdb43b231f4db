package policy

import (
	"encoding/json"
	"testing"
)

// jsonObject must produce valid JSON equal to what encoding/json reads back.
func TestJSONObject(t *testing.T) {
	fields := [][2]string{{"a", `quote " backslash \ tab` + "\t"}, {"b", "<tag> & \x01"}, {"c", "ünïcode ✓"}, {"d", ""}}
	var got map[string]string
	if err := json.Unmarshal([]byte(jsonObject(fields)), &got); err != nil {
		t.Fatalf("jsonObject is not valid JSON: %v\n%s", err, jsonObject(fields))
	}
	for _, f := range fields {
		if got[f[0]] != f[1] {
			t.Errorf("field %s: got %q; want %q", f[0], got[f[0]], f[1])
		}
	}
}
