package relay_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/caplab/caplab/lambda/httpapi"
	"github.com/caplab/caplab/lambda/relay"
	"github.com/caplab/caplab/lambda/store/memstore"
)

// The end-to-end test: one loopback server runs two caplab live orgs
// (Globex and Initech, one shared scenario each, so two issuers) and the
// relay; one Connected App whose only callback is the relay's; two
// consumers, each a loopback server of its own using golang.org/x/oauth2.
// Each user ends on their own consumer, which redeems the code at its own
// org with the relay's callback URL as redirect_uri and its own PKCE
// verifier (R10).

const (
	e2eClientID = "acme_connector_key"
	e2eSecret   = "connector-secret"
)

// orgScenario is a one-org scenario whose app's only callback is the
// relay's.
func orgScenario(org, user, password, relayCallback string) []byte {
	doc := map[string]any{
		"schemaVersion": 1,
		"title":         org + " behind the relay",
		"now":           "2026-03-02T10:00:00Z",
		"orgs": []any{map[string]any{
			"name": org, "type": "production", "myDomain": strings.ToLower(org), "createdAt": "2021-01-01",
			"profiles":      []any{map[string]any{"name": "Standard User", "permissions": []any{"apiEnabled"}}},
			"users":         []any{map[string]any{"username": user, "profile": "Standard User", "password": password}},
			"installedApps": []any{map[string]any{"app": "Acme Connector"}},
		}},
		"apps": []any{map[string]any{
			"name": "Acme Connector", "ownerOrg": "Acme ISV",
			"oauth": map[string]any{
				"consumerKey": e2eClientID, "consumerSecret": e2eSecret,
				"callbackUrls": []any{relayCallback},
				"scopes":       []any{"api", "refresh_token", "openid"},
			},
		}},
		"events": []any{},
	}
	b, _ := json.Marshal(doc)
	return b
}

// consumer is one consumer org's application: it starts sign-ins through
// the relay and redeems codes at its own org.
type consumer struct {
	t      *testing.T
	tenant string
	issuer string
	srv    *httptest.Server
	conf   *oauth2.Config

	mu       sync.Mutex
	verifier map[string]string // consumer state → PKCE verifier
	signedIn []string          // preferred_username of each completed sign-in
	codes    []string          // codes received (for the log check)
}

func newConsumer(t *testing.T, tenant, issuer, relayBase string) *consumer {
	c := &consumer{t: t, tenant: tenant, issuer: issuer, verifier: map[string]string{}}
	c.srv = httptest.NewServer(http.HandlerFunc(c.serve))
	t.Cleanup(c.srv.Close)
	c.conf = &oauth2.Config{
		ClientID:     e2eClientID,
		ClientSecret: e2eSecret,
		// A stock client: its authorize URL is the relay's start, naming
		// the tenant and the destination; its token URL is its own org's.
		Endpoint: oauth2.Endpoint{
			AuthURL:  relayBase + "/relay/start?tenant=" + tenant + "&dest=app",
			TokenURL: issuer + "/services/oauth2/token",
		},
		// The relay's callback, the only one registered on the app: the
		// code was issued for it, so it is the redirect_uri to redeem with.
		RedirectURL: relayBase + "/relay/callback",
		Scopes:      []string{"api", "refresh_token"},
	}
	return c
}

func (c *consumer) destination() string { return c.srv.URL + "/oauth/done" }

func (c *consumer) serve(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/login":
		state, verifier := oauth2.GenerateVerifier(), oauth2.GenerateVerifier()
		c.mu.Lock()
		c.verifier[state] = verifier
		c.mu.Unlock()
		http.Redirect(w, r, c.conf.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier)), http.StatusFound)
	case "/oauth/done":
		q := r.URL.Query()
		c.mu.Lock()
		verifier, ok := c.verifier[q.Get("state")]
		delete(c.verifier, q.Get("state"))
		c.codes = append(c.codes, q.Get("code"))
		c.mu.Unlock()
		if !ok {
			http.Error(w, "unknown state", http.StatusBadRequest)
			return
		}
		if q.Get("iss") != c.issuer { // the consumer's own RFC 9207 check
			http.Error(w, "issuer "+q.Get("iss"), http.StatusBadRequest)
			return
		}
		if q.Has("error") {
			http.Error(w, "authorization failed: "+q.Get("error"), http.StatusForbidden)
			return
		}
		tok, err := c.conf.Exchange(r.Context(), q.Get("code"), oauth2.VerifierOption(verifier))
		if err != nil {
			http.Error(w, "exchange: "+err.Error(), http.StatusBadGateway)
			return
		}
		resp, err := c.conf.Client(r.Context(), tok).Get(c.issuer + "/services/oauth2/userinfo")
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		var info struct {
			PreferredUsername string `json:"preferred_username"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&info); err != nil || resp.StatusCode != http.StatusOK {
			http.Error(w, fmt.Sprintf("userinfo: %d %v", resp.StatusCode, err), http.StatusBadGateway)
			return
		}
		c.mu.Lock()
		c.signedIn = append(c.signedIn, info.PreferredUsername)
		c.mu.Unlock()
		fmt.Fprintf(w, "signed in as %s via %s", info.PreferredUsername, c.tenant)
	default:
		http.NotFound(w, r)
	}
}

// browser is a user agent that shows every hop: it follows redirects one
// at a time and fills in the live org's login and approval forms.
type browser struct {
	t    *testing.T
	c    *http.Client
	hops []string
	// stopAt, when set, ends signIn before requesting a URL with this
	// prefix, as an attacker holding the response would.
	stopAt  string
	stopped *url.URL
}

func newBrowser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, c: &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var (
	csrfRe   = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	actionRe = regexp.MustCompile(`<form method="post" action="([^"]+)"`)
)

// signIn opens start and goes wherever it leads, logging in as user; it
// returns the last response's status and body.
func (b *browser) signIn(start, user, password string) (int, string) {
	b.t.Helper()
	req, _ := http.NewRequest("GET", start, nil)
	for range 20 {
		b.hops = append(b.hops, req.Method+" "+req.URL.String())
		resp, err := b.c.Do(req)
		if err != nil {
			b.t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		page := string(body)
		switch {
		case resp.StatusCode/100 == 3:
			next, err := req.URL.Parse(resp.Header.Get("Location"))
			if err != nil {
				b.t.Fatal(err)
			}
			next.Fragment = "" // "#_" and friends are not sent
			if b.stopAt != "" && strings.HasPrefix(next.String(), b.stopAt) {
				b.stopped = next
				return resp.StatusCode, ""
			}
			req, _ = http.NewRequest("GET", next.String(), nil)
		case resp.StatusCode == http.StatusOK && (strings.Contains(page, `name="password"`) || strings.Contains(page, `name="decision"`)):
			form := url.Values{"csrf": {csrfRe.FindStringSubmatch(page)[1]}}
			if strings.Contains(page, `name="password"`) {
				form.Set("username", user)
				form.Set("password", password)
			} else {
				form.Set("decision", "allow")
			}
			action, _ := req.URL.Parse(strings.ReplaceAll(actionRe.FindStringSubmatch(page)[1], "&amp;", "&"))
			req, _ = http.NewRequest("POST", action.String(), strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		default:
			return resp.StatusCode, page
		}
	}
	b.t.Fatalf("more than 20 hops: %v", b.hops)
	return 0, ""
}

// liveRig is the loopback server with the live orgs and the relay.
type liveRig struct {
	base, callback string
	logs           *lockedBuffer
}

func newLiveRig(t *testing.T) *liveRig {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(nil) // listens on 127.0.0.1
	rig := &liveRig{base: "http://" + ts.Listener.Addr().String(), logs: &lockedBuffer{}}
	rig.callback = rig.base + relay.PathCallback
	mux := http.NewServeMux()
	// The wiring `caplab serve` needs: the relay under /relay/, the live
	// orgs (and the rest of the API) everywhere else.
	mux.Handle("/relay/", relay.New(relay.Config{
		AdminKey:    testAdminKey,
		CallbackURL: rig.callback,
		Logger:      slog.New(slog.NewJSONHandler(rig.logs, nil)),
	}, memstore.NewRelay()))
	mux.Handle("/", httpapi.New(httpapi.Config{BaseURL: rig.base, SigningKey: key}, memstore.New()))
	ts.Config.Handler = mux
	ts.Start()
	t.Cleanup(ts.Close)
	return rig
}

// share shares a scenario and returns its issuer.
func (rig *liveRig) share(t *testing.T, doc []byte) string {
	t.Helper()
	resp, err := http.Post(rig.base+"/api/scenarios", "application/json", bytes.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ Issuer string }
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated || json.Unmarshal(body, &out) != nil || out.Issuer == "" {
		t.Fatalf("share: %d %s", resp.StatusCode, body)
	}
	return out.Issuer
}

// admin calls the relay's admin API.
func (rig *liveRig) admin(t *testing.T, method, tenant string, doc any) (int, string) {
	t.Helper()
	var body io.Reader
	if doc != nil {
		b, _ := json.Marshal(doc)
		body = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, rig.base+"/relay/admin/tenants/"+tenant, body)
	req.Header.Set("Authorization", "Bearer "+testAdminKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestEndToEndTwoLiveOrgs(t *testing.T) {
	rig := newLiveRig(t)
	orgs := []struct{ tenant, org, user, password string }{
		{"globex", "Globex", "ana@globex.test", "ana-Pa55"},
		{"initech", "Initech", "peter@initech.test", "peter-Pa55"},
	}
	consumers := map[string]*consumer{}
	for _, o := range orgs {
		issuer := rig.share(t, orgScenario(o.org, o.user, o.password, rig.callback))
		c := newConsumer(t, o.tenant, issuer, rig.base)
		consumers[o.tenant] = c
		status, body := rig.admin(t, "PUT", o.tenant, map[string]any{
			"loginHost":    issuer,
			"clientId":     e2eClientID,
			"destinations": []any{map[string]any{"id": "app", "url": c.destination()}},
		})
		if status != http.StatusCreated {
			t.Fatalf("register %s: %d %s", o.tenant, status, body)
		}
	}
	if consumers["globex"].issuer == consumers["initech"].issuer {
		t.Fatal("the two live orgs share an issuer")
	}

	for _, o := range orgs {
		c := consumers[o.tenant]
		b := newBrowser(t)
		status, body := b.signIn(c.srv.URL+"/login", o.user, o.password)
		if status != http.StatusOK || body != "signed in as "+o.user+" via "+o.tenant {
			t.Fatalf("%s: %d %q\nhops:\n%s", o.tenant, status, body, strings.Join(b.hops, "\n"))
		}
		// The path: consumer → relay start → its own org → relay callback
		// → its own consumer.
		var path []string
		for _, h := range b.hops {
			switch {
			case strings.Contains(h, "/relay/start?"):
				path = append(path, "start")
			case strings.HasPrefix(h, "GET "+c.issuer+"/services/oauth2/authorize?"):
				path = append(path, "authorize")
			case strings.Contains(h, "/relay/callback?"):
				path = append(path, "callback")
			case strings.HasPrefix(h, "GET "+c.destination()+"?"):
				path = append(path, "destination")
			}
		}
		if got := strings.Join(path, ","); !strings.HasPrefix(got, "start,authorize") || !strings.HasSuffix(got, "callback,destination") {
			t.Fatalf("%s: path %s\nhops:\n%s", o.tenant, got, strings.Join(b.hops, "\n"))
		}
	}
	for _, o := range orgs {
		if got := consumers[o.tenant].signedIn; len(got) != 1 || got[0] != o.user {
			t.Fatalf("%s signed in %v, want [%s]", o.tenant, got, o.user)
		}
	}

	// A consumer that bypasses the relay and sends its own URL as
	// redirect_uri is refused by the org itself (the Connected App has
	// only the relay's callback): redirect_uri_mismatch, no redirect.
	c := consumers["globex"]
	direct := *c.conf
	direct.Endpoint.AuthURL = c.issuer + "/services/oauth2/authorize"
	direct.RedirectURL = c.destination()
	resp, err := newBrowser(t).c.Get(direct.AuthCodeURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode/100 == 3 || !strings.Contains(string(body), "redirect_uri_mismatch") {
		t.Fatalf("bypassing the relay: %d %s", resp.StatusCode, body)
	}

	// R10: the relayed code is bound to the relay's redirect_uri and to
	// the consumer's PKCE challenge. Someone holding it (stop the browser
	// before the destination) cannot redeem it without the consumer's
	// verifier, and the consumer itself cannot redeem it with its own URL.
	intercept := func() (code, verifier string) {
		b := newBrowser(t)
		b.stopAt = c.destination()
		b.signIn(c.srv.URL+"/login", "ana@globex.test", "ana-Pa55")
		if b.stopped == nil {
			t.Fatalf("never reached the destination: %v", b.hops)
		}
		q := b.stopped.Query()
		c.mu.Lock()
		defer c.mu.Unlock()
		c.codes = append(c.codes, q.Get("code"))
		return q.Get("code"), c.verifier[q.Get("state")]
	}
	code, _ := intercept()
	if _, err := c.conf.Exchange(context.Background(), code, oauth2.VerifierOption(oauth2.GenerateVerifier())); err == nil {
		t.Fatal("an intercepted code was redeemed with another verifier")
	}
	code, verifier := intercept()
	own := *c.conf
	own.RedirectURL = c.destination()
	if _, err := own.Exchange(context.Background(), code, oauth2.VerifierOption(verifier)); err == nil {
		t.Fatal("a relayed code was redeemed with the consumer's own URL as redirect_uri")
	}

	// Codes never reach the relay's log.
	logs := rig.logs.String()
	for _, c := range consumers {
		for _, code := range c.codes {
			if code == "" || strings.Contains(logs, code) {
				t.Fatalf("code %q is in the relay log:\n%s", code, logs)
			}
		}
	}
	if n := strings.Count(logs, `"outcome":"forwarded"`); n != 4 {
		t.Fatalf("%d forwarded callbacks logged, want 4 (two sign-ins, two intercepted):\n%s", n, logs)
	}
}

// TestEndToEndMixUp: a response from the other org's issuer, carrying a
// handle the relay minted for the first, is stopped at the relay (R6).
func TestEndToEndMixUp(t *testing.T) {
	rig := newLiveRig(t)
	issA := rig.share(t, orgScenario("Globex", "ana@globex.test", "pw-a", rig.callback))
	issB := rig.share(t, orgScenario("Initech", "peter@initech.test", "pw-b", rig.callback))
	dest := "http://127.0.0.1:1/never"
	for tenant, iss := range map[string]string{"globex": issA, "initech": issB} {
		if status, body := rig.admin(t, "PUT", tenant, map[string]any{"loginHost": iss, "clientId": e2eClientID,
			"destinations": []any{map[string]any{"id": "app", "url": dest}}}); status != http.StatusCreated {
			t.Fatalf("%d %s", status, body)
		}
	}
	b := newBrowser(t)
	resp, err := b.c.Get(rig.base + "/relay/start?" + startQuery("globex", "app"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if !strings.HasPrefix(loc.String(), issA+"/services/oauth2/authorize?") {
		t.Fatalf("start → %s", loc)
	}
	handle := loc.Query().Get("state")
	// Initech's org answers with Globex's handle.
	resp, err = b.c.Get(rig.callback + "?" + url.Values{"code": {"x"}, "state": {handle}, "iss": {issB}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" || !strings.Contains(string(body), "issuer_mismatch") {
		t.Fatalf("mix-up: %d %s", resp.StatusCode, body)
	}
}
