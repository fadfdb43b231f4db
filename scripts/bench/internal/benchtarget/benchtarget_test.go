package benchtarget

import "testing"

func TestCheckLoopback(t *testing.T) {
	for raw, ok := range map[string]bool{
		"http://127.0.0.1:8080/token":  true,
		"http://localhost:1/x":         true,
		"http://[::1]:9/token":         true,
		"http://10.0.0.1/token":        false,
		"https://example.com/token":    false,
		"http://127.0.0.1.example.com": false,
	} {
		if err := CheckLoopback(raw); (err == nil) != ok {
			t.Errorf("CheckLoopback(%q) = %v, want ok %v", raw, err, ok)
		}
	}
}
