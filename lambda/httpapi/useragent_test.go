package httpapi_test

import (
	"net/url"
	"strings"
	"testing"
)

// The user-agent flow: blocked by default in orgs created after Summer '23
// (an error in the fragment, with iss), and once allowed, tokens in the
// fragment; a refresh token only for the Salesforce rule's redirect URIs.
func TestUserAgentFlow(t *testing.T) {
	q := url.Values{"response_type": {"token"}, "client_id": {clientID}, "redirect_uri": {callback}, "state": {"ua-state"}, "scope": {"api refresh_token"}}
	e := newEnv(t, envOpt{})
	p := e.browser().authorize(e.endpoint("authorize")+"?"+q.Encode(), username, password, "allow")
	if p.location != "" {
		t.Fatalf("blocked user-agent flow redirected: %s", p.location)
	}
	if !strings.Contains(p.body, "unsupported_response_type") {
		t.Fatalf("blocked user-agent flow:\n%s", p.body)
	}

	e = newEnv(t, envOpt{scenario: scenarioJSON(t, func(m map[string]any) {
		m["orgs"].([]any)[0].(map[string]any)["settings"] = map[string]any{"allowUserAgentFlows": true}
	})})
	p = e.browser().authorize(e.endpoint("authorize")+"?"+q.Encode(), username, password, "allow")
	u, err := url.Parse(p.location)
	if err != nil || u.RawQuery != "" || !strings.HasPrefix(p.location, callback+"#") {
		t.Fatalf("user-agent redirect: %s", p.location)
	}
	frag, _ := url.ParseQuery(u.Fragment)
	if frag.Get("access_token") == "" || frag.Get("refresh_token") != "" || frag.Get("token_type") != "Bearer" ||
		frag.Get("state") != "ua-state" || frag.Get("iss") != e.issuer || frag.Get("signature") == "" {
		t.Fatalf("fragment: %v", frag)
	}
	if st, body := getBearer(t, e.issuer+"/services/data/v62.0/query?q=SELECT+Id+FROM+Organization", frag.Get("access_token")); st != 200 {
		t.Fatalf("API with a user-agent token: %d %s", st, body)
	}
}

// immediate=true: without a login session, immediate_unsuccessful at once
// (no login page), shown on a page rather than redirected (see
// attack_immediate_test.go); logged in and approved before, a code.
func TestImmediate(t *testing.T) {
	e := newEnv(t, envOpt{})
	b := e.browser()
	q := url.Values{"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {callback}, "state": {"im"}, "immediate": {"true"}}
	p := b.get(e.endpoint("authorize") + "?" + q.Encode())
	if p.location != "" || !strings.Contains(p.body, "error=immediate_unsuccessful") || strings.Contains(p.body, `name="password"`) {
		t.Fatalf("immediate without session: got %d Location %q; want the immediate_unsuccessful page:\n%s", p.status, p.location, p.body)
	}
	q.Del("immediate")
	b.authorize(e.endpoint("authorize")+"?"+q.Encode(), username, password, "allow")
	q.Set("immediate", "true")
	if cb := callbackParams(t, b.get(e.endpoint("authorize")+"?"+q.Encode())); cb.Get("code") == "" {
		t.Fatalf("immediate after approval: %v", cb)
	}
}
