package httpapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// http callbacks (caplab issue 11): Salesforce requires https or a custom
// scheme, so a scenario cannot register http on any host but a loopback one;
// rfc mode allows http only on a loopback IP literal, not on localhost.

func TestAttackHTTPCallbackRefusedAtShare(t *testing.T) {
	e := newEnv(t, envOpt{})
	doc := scenarioJSON(t, func(m map[string]any) {
		o := appOAuth(m, 0)
		o["callbackUrls"] = append(o["callbackUrls"].([]any), "http://evil.example/cb")
	})
	resp, err := http.Post(e.base+"/api/scenarios", "application/json", bytes.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var out struct {
		Error  string
		Errors []struct{ Path, Message string }
	}
	_ = json.Unmarshal(body, &out)
	if resp.StatusCode != 400 || out.Error != "invalid_scenario" || len(out.Errors) != 1 {
		t.Fatalf("got %d %s; want 400 invalid_scenario with one error", resp.StatusCode, body)
	}
	if fe := out.Errors[0]; fe.Path != "/apps/0/oauth/callbackUrls/2" || !strings.Contains(fe.Message, "https or a custom scheme") {
		t.Errorf("error %+v; want /apps/0/oauth/callbackUrls/2 saying Salesforce requires https or a custom scheme", fe)
	}
}

func TestAttackHTTPLocalhostCallback(t *testing.T) {
	const local = "http://localhost:8123/cb"
	doc := scenarioJSON(t, func(m map[string]any) {
		o := appOAuth(m, 0)
		o["callbackUrls"] = append(o["callbackUrls"].([]any), local)
	})
	for _, tc := range []struct {
		mode, redirect string
		refused        bool
	}{
		{"rfc", local, true},
		{"salesforce", local, false},
		{"rfc", "http://127.0.0.1:43210/cb", false}, // RFC 8252: a loopback IP literal, any port
	} {
		e := newEnv(t, envOpt{mode: tc.mode, scenario: doc})
		q := url.Values{"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {tc.redirect}, "state": {"s"}}
		p := e.browser().authorize(e.endpoint("authorize")+"?"+q.Encode(), username, password, "allow")
		switch {
		case tc.refused:
			if p.location != "" || p.status != 400 || !strings.Contains(p.body, "invalid_request") || !strings.Contains(p.body, "loopback IP literal") {
				t.Errorf("%s %s: got %d Location %q; want a 400 error page, never a redirect:\n%s", tc.mode, tc.redirect, p.status, p.location, p.body)
			}
		case !strings.HasPrefix(p.location, tc.redirect+"?code="):
			t.Errorf("%s %s: got %d Location %q; want a code at the callback", tc.mode, tc.redirect, p.status, p.location)
		}
	}
}
