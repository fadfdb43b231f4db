package main

import (
	"bytes"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/caplab/caplab/infra/smoke"
)

// The scenario the flows share is the smoke test's (infra/smoke): one org,
// ana@smoke.test, one app whose callbacks are app.smoke.test's and the
// relay's.
const (
	clientSecret = "smoke-app-secret"
	username     = "ana@smoke.test"
	password     = "ana-Pa55word"
	appCallback  = "https://app.smoke.test/callback"
)

// maxPage bounds what a test reads of one answer.
const maxPage = 1 << 20

// browser is a person at a browser: cookies, no automatic redirects.
type browser struct{ c *http.Client }

func newBrowser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type page struct {
	status int
	header http.Header
	body   []byte
	url    *url.URL
}

func (b *browser) do(t *testing.T, method, u string, form url.Values) page {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(t.Context(), method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, maxPage))
	return page{resp.StatusCode, resp.Header, data, resp.Request.URL}
}

var (
	csrfRe   = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	actionRe = regexp.MustCompile(`<form method="post" action="([^"]*)"`)
)

// maxSteps bounds the pages between an authorize request and the redirect
// to the client (login, consent and the redirects between them).
const maxSteps = 8

// signIn opens authURL, logs in and consents, and returns the redirect to
// redirectURI the live org at issuer ends with.
func (b *browser) signIn(t *testing.T, authURL, issuer, redirectURI string) *url.URL {
	t.Helper()
	p := b.do(t, http.MethodGet, authURL, nil)
	for range maxSteps {
		if loc := p.header.Get("Location"); loc != "" {
			next, err := p.url.Parse(loc)
			if err != nil {
				t.Fatal(err)
			}
			if strings.HasPrefix(next.String(), redirectURI+"?") {
				return next
			}
			if !strings.HasPrefix(next.String(), issuer+"/") {
				t.Fatalf("redirect to %s; want the live org %s or %s", next.Redacted(), issuer, redirectURI)
			}
			p = b.do(t, http.MethodGet, next.String(), nil)
			continue
		}
		m, a := csrfRe.FindSubmatch(p.body), actionRe.FindSubmatch(p.body)
		if m == nil || a == nil {
			t.Fatalf("status %d and no form: %.300s", p.status, p.body)
		}
		action, err := p.url.Parse(html.UnescapeString(string(a[1])))
		if err != nil {
			t.Fatal(err)
		}
		form := url.Values{"csrf": {html.UnescapeString(string(m[1]))}}
		if bytes.Contains(p.body, []byte(`name="password"`)) {
			form.Set("username", username)
			form.Set("password", password)
		} else {
			form.Set("decision", "allow")
		}
		p = b.do(t, http.MethodPost, action.String(), form)
	}
	t.Fatalf("no redirect to %s after %d steps", redirectURI, maxSteps)
	return nil
}

// share shares the smoke scenario, changed by edit (nil: as is), and
// returns the live org's issuer.
func share(t *testing.T, edit func(doc map[string]any)) string {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal([]byte(smoke.Scenario(dev.URL)), &doc); err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(doc)
	}
	b, _ := json.Marshal(doc)
	resp, err := http.Post(dev.URL+"/api/scenarios", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ ID, Issuer string }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("share: %d %v", resp.StatusCode, err)
	}
	if !strings.HasPrefix(out.Issuer, dev.URL+"/o/") {
		t.Fatalf("issuer %q; want %s/o/{id} (the request's base URL)", out.Issuer, dev.URL)
	}
	return out.Issuer
}

// appOAuth returns the scenario's first app's oauth settings to edit.
func appOAuth(doc map[string]any) map[string]any {
	return doc["apps"].([]any)[0].(map[string]any)["oauth"].(map[string]any)
}
