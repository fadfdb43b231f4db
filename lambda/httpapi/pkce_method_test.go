package httpapi_test

import (
	"net/url"
	"testing"

	"golang.org/x/oauth2"
)

// jsforce (useVerifier) and the Salesforce CLI send code_challenge without
// code_challenge_method; Salesforce takes it as S256. rfc mode reads a
// missing method as RFC 7636's plain, which no mode supports.
func TestPKCEWithoutMethod(t *testing.T) {
	for _, tc := range []struct {
		mode, method string
		ok           bool
	}{
		{"salesforce", "", true},
		{"salesforce", "S256", true},
		{"salesforce", "plain", false},
		{"rfc", "", false},
		{"rfc", "S256", true},
		{"rfc", "plain", false},
	} {
		t.Run(tc.mode+"/"+tc.method, func(t *testing.T) {
			e := newEnv(t, envOpt{mode: tc.mode})
			v := oauth2.GenerateVerifier()
			q := url.Values{"code_challenge": {oauth2.S256ChallengeFromVerifier(v)}}
			if tc.method != "" {
				q.Set("code_challenge_method", tc.method)
			}
			if tc.method == "plain" {
				q.Set("code_challenge", v)
			}
			b := e.browser()
			q2 := url.Values{"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {callback}, "state": {"state-1234"}}
			for k, vs := range q {
				q2[k] = vs
			}
			cb := callbackParams(t, b.authorize(e.endpoint("authorize")+"?"+q2.Encode(), username, password, "allow"))
			if !tc.ok {
				if cb.Get("error") != "invalid_request" || cb.Get("code") != "" {
					t.Fatalf("callback %v; want error=invalid_request and no code", cb)
				}
				return
			}
			if cb.Get("code") == "" {
				t.Fatalf("callback %v; want a code", cb)
			}
			extra := url.Values{}
			if tc.mode == "rfc" {
				extra.Set("redirect_uri", callback)
			}
			if st, _, m := exchange(t, e, cb.Get("code"), v, extra); st != 200 {
				t.Fatalf("exchange with the verifier: %d %v", st, m)
			}
		})
	}
}
