package policy

import (
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{"90m", 90 * time.Minute, false},
		{"2h", 2 * time.Hour, false},
		{"31d", 31 * 24 * time.Hour, false},
		{"1.5d", 36 * time.Hour, false},
		{"3mo", 90 * 24 * time.Hour, false},
		{"", 0, true},
		{"-1d", 0, true},
		{"NaNd", 0, true},
		{"nanmo", 0, true},
		{"Infd", 0, true},
		{"99999d", 0, true},
		{"-5m", 0, true},
		{"5 days", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseDuration(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}
