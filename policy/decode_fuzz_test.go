package policy

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// FuzzDecode checks that Decode never panics, that every failure is a
// *DecodeError of well-formed problems, and that a valid scenario survives
// a round trip through json.Marshal. Seeds are in testdata/fuzz/FuzzDecode.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(minimal))
	f.Add([]byte(specExample))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Decode(data)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("got %T; want *DecodeError", err)
			}
			if len(de.Errors) == 0 || len(de.Errors) > maxErrors {
				t.Fatalf("got %d problems; want 1 to %d", len(de.Errors), maxErrors)
			}
			for _, fe := range de.Errors {
				if fe.Message == "" {
					t.Errorf("empty message at %q", fe.Path)
				}
				if fe.Path != "" && !strings.HasPrefix(fe.Path, "/") {
					t.Errorf("got path %q; want \"\" or a JSON pointer", fe.Path)
				}
				if fe.Line < 0 || fe.Column < 0 {
					t.Errorf("got line %d, column %d at %q", fe.Line, fe.Column, fe.Path)
				}
			}
			return
		}
		if s == nil {
			t.Fatal("got nil scenario and nil error")
		}
		again, err := json.Marshal(s)
		if err != nil {
			t.Fatalf("Marshal: %v", err)
		}
		if _, err := Decode(again); err != nil {
			t.Fatalf("round trip of %q: %v", again, err)
		}
	})
}
