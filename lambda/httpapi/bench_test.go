package httpapi_test

import (
	"net/url"
	"testing"
)

// Loopback benchmarks of the token endpoint (memory store), for the
// comparison with node oidc-provider in make bench.
func benchEnv(b *testing.B) *env {
	return newEnv(b, envOpt{scenario: scenarioJSON(b, func(m map[string]any) {
		appOAuth(m, 0)["clientCredentials"] = map[string]any{"enabled": true, "runAs": "bo@acme.test"}
	})})
}

func BenchmarkClientCredentials(b *testing.B) {
	e := benchEnv(b)
	form := url.Values{"grant_type": {"client_credentials"}}
	for b.Loop() {
		if st, _, m := postForm(b, e.endpoint("token"), form, clientID, clientSecret); st != 200 {
			b.Fatalf("%d %v", st, m)
		}
	}
}

func BenchmarkIntrospect(b *testing.B) {
	e := benchEnv(b)
	_, _, m := postForm(b, e.endpoint("token"), url.Values{"grant_type": {"client_credentials"}}, clientID, clientSecret)
	form := url.Values{"token": {m["access_token"].(string)}}
	for b.Loop() {
		if st, _, m := postForm(b, e.endpoint("introspect"), form, clientID, clientSecret); st != 200 || m["active"] != true {
			b.Fatalf("%d %v", st, m)
		}
	}
}

func BenchmarkRefresh(b *testing.B) {
	e := benchEnv(b)
	br := e.browser()
	q := url.Values{"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {callback}}
	p := br.authorize(e.endpoint("authorize")+"?"+q.Encode(), username, password, "allow")
	code := callbackParams(b, p).Get("code")
	_, _, m := postForm(b, e.endpoint("token"), url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {callback}}, clientID, clientSecret)
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {m["refresh_token"].(string)}}
	for b.Loop() {
		if st, _, m := postForm(b, e.endpoint("token"), form, clientID, clientSecret); st != 200 {
			b.Fatalf("%d %v", st, m)
		}
	}
}
