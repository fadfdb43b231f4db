package httpapi_test

import (
	"fmt"
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/caplab/caplab/policy"
)

// Anyone can share a scenario with any callback, so a live org that
// redirected a visitor who never logged in to it would be an open
// redirector on caplab's origin (caplab issue 11). immediate=true is the
// request Salesforce answers at once; the live org shows that answer.

var hrefRe = regexp.MustCompile(`<a href="([^"]*)"`)

// immediateScenario adds a native-app callback to the app and allows the
// user-agent flow. (A javascript: callback cannot be registered at all:
// TestAttackScriptCallbackRefused.)
func immediateScenario(t *testing.T) []byte {
	return scenarioJSON(t, func(m map[string]any) {
		m["orgs"].([]any)[0].(map[string]any)["settings"] = map[string]any{"allowUserAgentFlows": true}
		o := appOAuth(m, 0)
		o["callbackUrls"] = append(o["callbackUrls"].([]any), "myapp://cb")
	})
}

func TestAttackImmediateNoRedirectBeforeLogin(t *testing.T) {
	e := newEnv(t, envOpt{scenario: immediateScenario(t)})
	errParams := func(state string) string {
		q := url.Values{"error": {"immediate_unsuccessful"}, "error_description": {policy.LiveDescImmediate}, "iss": {e.issuer}}
		if state != "" {
			q.Set("state", state)
		}
		return q.Encode()
	}
	tests := []struct {
		name, responseType, redirect, state string
		want                                string // the Location Salesforce would send
		link                                bool
	}{
		{"web server", "code", callback, "im", callback + "?" + errParams("im"), true},
		{"no state", "code", callback, "", callback + "?" + errParams(""), true},
		{"user-agent", "token", callback, "im", callback + "#" + errParams("im"), true},
		{"loopback, any port", "code", "http://127.0.0.1:5555/cb", "im", "http://127.0.0.1:5555/cb?" + errParams("im"), true},
		{"native app scheme", "code", "myapp://cb", "im", "myapp://cb?" + errParams("im"), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := url.Values{"response_type": {tc.responseType}, "client_id": {clientID}, "redirect_uri": {tc.redirect}, "immediate": {"true"}}
			if tc.state != "" {
				q.Set("state", tc.state)
			}
			p := e.browser().get(e.endpoint("authorize") + "?" + q.Encode())
			if p.status != 200 || p.location != "" {
				t.Fatalf("got %d Location %q; want 200 and no Location", p.status, p.location)
			}
			if p.header.Get("Content-Security-Policy") == "" || p.header.Get("Referrer-Policy") != "no-referrer" || p.header.Get("Cache-Control") != "no-store" {
				t.Errorf("headers: %v; want the pages' headers", p.header)
			}
			body := html.UnescapeString(p.body)
			for _, want := range []string{"error=immediate_unsuccessful", "error_description=" + policy.LiveDescImmediate, tc.want} {
				if !strings.Contains(body, want) {
					t.Errorf("page lacks %q:\n%s", want, p.body)
				}
			}
			links := hrefRe.FindAllStringSubmatch(p.body, -1)
			switch {
			case tc.link && (len(links) != 1 || html.UnescapeString(links[0][1]) != tc.want || !strings.Contains(p.body, ">Continue to the app</a>")):
				t.Errorf("links: got %v; want one \"Continue to the app\" to %q", links, tc.want)
			case !tc.link && (len(links) != 0 || strings.Contains(p.body, "Continue to the app")):
				t.Errorf("links: got %v; want none for a script URL", links)
			}
		})
	}
}

// Logged in to the live org, immediate=true answers as Salesforce does: a
// redirect to the callback.
func TestImmediateLoggedInRedirects(t *testing.T) {
	e := newEnv(t, envOpt{})
	q := url.Values{"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {callback}, "state": {"im"}}
	// Logged in, never approved (clicked Deny): immediate_unsuccessful at the callback.
	b := e.browser()
	b.authorize(e.endpoint("authorize")+"?"+q.Encode(), username, password, "deny")
	q.Set("immediate", "true")
	p := b.get(e.endpoint("authorize") + "?" + q.Encode())
	if cb := callbackParams(t, p); p.status != 302 || cb.Get("error") != "immediate_unsuccessful" || cb.Get("state") != "im" || cb.Get("iss") != e.issuer {
		t.Fatalf("logged in, not approved: got %d %q; want 302 with immediate_unsuccessful", p.status, p.location)
	}
	// Logged in and approved before: a code.
	q.Del("immediate")
	b = e.browser()
	b.authorize(e.endpoint("authorize")+"?"+q.Encode(), username, password, "allow")
	q.Set("immediate", "true")
	p = b.get(e.endpoint("authorize") + "?" + q.Encode())
	if cb := callbackParams(t, p); p.status != 302 || cb.Get("code") == "" || !strings.HasPrefix(p.location, callback+"?") {
		t.Fatalf("logged in, approved: got %d %q; want 302 with a code", p.status, p.location)
	}
}

// No other answer of the authorize endpoint redirects a visitor who has
// not logged in to the live org: errors that go to the callback once the
// user is logged in are only reached after login.
func TestNoRedirectBeforeLogin(t *testing.T) {
	e := newEnv(t, envOpt{})
	base := url.Values{"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {callback}, "state": {"s"}}
	with := func(k, v string) string {
		q := url.Values{}
		for k, v := range base {
			q[k] = append([]string(nil), v...)
		}
		q.Set(k, v)
		return q.Encode()
	}
	queries := map[string]string{
		"duplicate state":              base.Encode() + "&state=again",
		"duplicate scope":              with("scope", "api") + "&scope=id",
		"unsupported response_type":    with("response_type", "code_id_token_foo"),
		"no response_type":             with("response_type", ""),
		"plain PKCE":                   with("code_challenge", strings.Repeat("a", 43)) + "&code_challenge_method=plain",
		"short code_challenge":         with("code_challenge", "short") + "&code_challenge_method=S256",
		"scope not allowed":            with("scope", "full"),
		"immediate, duplicate state":   with("immediate", "true") + "&state=again",
		"immediate, bad response_type": with("immediate", "true") + "&response_type=foo",
	}
	for name, raw := range queries {
		b := e.browser()
		p := b.get(e.endpoint("authorize") + "?" + raw)
		if p.location != "" || p.status >= 300 && p.status < 400 {
			t.Errorf("%s: got %d Location %q; want a page, no redirect", name, p.status, p.location)
		}
	}
	// Posts without a login session: a forged form, a decision without
	// logging in, a wrong password.
	posts := map[string]url.Values{
		"no flow cookie":     {"decision": {"allow"}},
		"decision, no login": {"decision": {"allow"}},
		"wrong password":     {"username": {username}, "password": {"wrong"}},
	}
	for name, form := range posts {
		b := e.browser()
		if name != "no flow cookie" {
			form.Set("csrf", csrf(t, b.get(e.endpoint("authorize")+"?"+base.Encode())))
		}
		if p := b.postNoFollow(e.endpoint("authorize"), form); p.location != "" {
			t.Errorf("POST %s: got %d Location %q; want a page, no redirect", name, p.status, p.location)
		}
	}
	// The login itself redirects on-site only, back to the authorize endpoint.
	b := e.browser()
	tok := csrf(t, b.get(e.endpoint("authorize")+"?"+base.Encode()))
	p := b.postNoFollow(e.endpoint("authorize"), url.Values{"csrf": {tok}, "username": {username}, "password": {password}})
	if p.status != 303 || !strings.HasPrefix(p.location, e.orgPath+"/services/oauth2/authorize?") {
		t.Errorf("login: got %d Location %q; want 303 to the authorize endpoint", p.status, p.location)
	}
}

// A callback in a scheme that runs script in the browser can't be
// registered, so no answer of the live org can become script.
func TestAttackScriptCallbackRefused(t *testing.T) {
	e := newEnv(t, envOpt{scenario: []byte(nil)})
	for _, cb := range []string{"javascript:alert(1)", "JavaScript:alert(document.cookie)", "data:text/html,<script>alert(1)</script>", "vbscript:msgbox", "file:///etc/passwd"} {
		doc := scenarioJSON(t, func(m map[string]any) { appOAuth(m, 0)["callbackUrls"] = []any{cb} })
		st, _, m := post(t, e.base+"/api/scenarios", string(doc))
		if st != 400 || !strings.Contains(fmt.Sprint(m["errors"]), "/apps/0/oauth/callbackUrls/0") {
			t.Errorf("callback %q: %d %v; want 400 naming /apps/0/oauth/callbackUrls/0", cb, st, m)
		}
	}
}
