package policy

import (
	"testing"
	"time"
)

// The validators of callback URLs (http only on loopback hosts),
// Experience Cloud sites, assertion time offsets and verifier lengths.
func TestDecodeCallbackSiteOffsetValidators(t *testing.T) {
	const httpMsg = "must use https or a custom scheme: Salesforce refuses http callback URLs (http is accepted only on localhost, 127.0.0.1 or [::1]); got "
	for _, tc := range []struct {
		name, field, value string
		want               string // "" for valid
	}{
		{"callback http on a host", "app", `"oauth": {"callbackUrls": ["https://app.test/cb", "http://evil.example/cb"]}`,
			`/apps/0/oauth/callbackUrls/1: ` + httpMsg + `"http://evil.example/cb"`},
		{"callback HTTP upper case", "app", `"oauth": {"callbackUrls": ["HTTP://app.test/cb"]}`,
			`/apps/0/oauth/callbackUrls/0: ` + httpMsg + `"HTTP://app.test/cb"`},
		{"callback http on a loopback-looking host", "app", `"oauth": {"callbackUrls": ["http://localhost.evil.example/cb"]}`,
			`/apps/0/oauth/callbackUrls/0: ` + httpMsg + `"http://localhost.evil.example/cb"`},
		{"callback http localhost", "app", `"oauth": {"callbackUrls": ["http://localhost:1717/OauthRedirect", "http://LOCALHOST/cb"]}`, ""},
		{"callback http loopback IPs", "app", `"oauth": {"callbackUrls": ["http://127.0.0.1:8080/cb", "http://[::1]/cb"]}`, ""},
		{"experience sites", "org", `"experienceSites": ["https://acme.my.site.com", "https://acme.my.site.com/partners/"]`, ""},
		{"experience site over http", "org", `"experienceSites": ["http://acme.my.site.com"]`,
			`/orgs/0/experienceSites/0: must be the https URL of an Experience Cloud site, such as https://acme.my.site.com or https://acme.my.site.com/partners (no query or fragment); got "http://acme.my.site.com"`},
		{"experience site with a query", "org", `"experienceSites": ["https://acme.my.site.com/?x=1"]`,
			`/orgs/0/experienceSites/0: must be the https URL of an Experience Cloud site, such as https://acme.my.site.com or https://acme.my.site.com/partners (no query or fragment); got "https://acme.my.site.com/?x=1"`},
		{"offsets", "event", `"assertionExpiresIn": "-1m", "assertionNotBefore": "+10m", "assertionIssuedAt": "3650d"`, ""},
		{"offset with a unit Go lacks", "event", `"assertionExpiresIn": "10y"`,
			`/events/0/assertionExpiresIn: must be a signed duration from the event's time such as 2m, +10m or -1m (positive: in the future); got "10y"`},
		{"offset with two signs", "event", `"assertionIssuedAt": "--1m"`,
			`/events/0/assertionIssuedAt: must be a signed duration from the event's time such as 2m, +10m or -1m (positive: in the future); got "--1m"`},
		{"verifier length", "event", `"codeVerifierLength": 1`, ""},
		{"verifier length negative", "event", `"codeVerifierLength": -1`,
			`/events/0/codeVerifierLength: must be at least 0; got -1`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode([]byte(validatorDoc(tc.field, tc.value)))
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.want {
				t.Errorf("got %q; want %q", got, tc.want)
			}
		})
	}
}

func TestParseOffset(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{"2m", 2 * time.Minute, false},
		{"+10m", 10 * time.Minute, false},
		{"-1m", -time.Minute, false},
		{"-1m30s", -90 * time.Second, false},
		{"0s", 0, false},
		{"3650d", 3650 * 24 * time.Hour, false},
		{"-3d", -72 * time.Hour, false},
		{"", 0, true},
		{"-", 0, true},
		{"+-1m", 0, true},
		{"--1m", 0, true},
		{"10y", 0, true},
		{"NaNd", 0, true},
	} {
		got, err := parseOffset(tc.in)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("parseOffset(%q) = %v, %v; want %v, error %v", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
	for d, want := range map[time.Duration]string{-time.Minute: "-1m", 3 * time.Minute: "3m", 90 * time.Second: "1m30s", 0: "0m"} {
		if got := formatOffset(d); got != want {
			t.Errorf("formatOffset(%v) = %q; want %q", d, got, want)
		}
	}
}
