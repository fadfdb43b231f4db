package relay_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caplab/caplab/lambda/relay"
)

// TestStartAttacks: a start that names anything but a registered
// destination of its own tenant gets an error page, no redirect, and
// mints no flow (R1, R2, R12; the OpenHands case).
func TestStartAttacks(t *testing.T) {
	rows := []struct {
		name, tenant, dest string
	}{
		{"not registered", "acme", "https://evil.com/oauth/callback"},
		{"registered host, other path", "acme", "https://acme.com/oauth/callback2"},
		{"registered host, parent path", "acme", "https://acme.com/oauth/"},
		{"registered host, trailing slash", "acme", "https://acme.com/oauth/callback/"},
		{"registered host, path case", "acme", "https://acme.com/OAUTH/callback"},
		{"registered host, other port", "acme", "https://acme.com:8443/oauth/callback"},
		{"registered host, extra query", "acme", "https://acme.com/oauth/callback?x=1"},
		{"registered query dropped", "acme", "https://acme.com/oauth/cb2"},
		{"registered query changed", "acme", "https://acme.com/oauth/cb2?tenant=globex"},
		{"http downgrade", "acme", "http://acme.com/oauth/callback"},
		{"loopback, other port", "acme", "http://127.0.0.1:9001/cb"},
		{"loopback, other name", "acme", "http://localhost:9000/cb"},
		{"loopback, integer form", "acme", "http://2130706433:9000/cb"},
		{"suffix host", "acme", "https://evil-acme.com/oauth/callback"},
		{"prefix host", "acme", "https://acme.com.evil.com/oauth/callback"},
		{"subdomain", "acme", "https://www.acme.com/oauth/callback"},
		{"trailing-dot host", "acme", "https://acme.com./oauth/callback"},
		{"IDN look-alike (Cyrillic а)", "acme", "https://аcme.com/oauth/callback"},
		{"punycode look-alike", "acme", "https://xn--cme-5cd.com/oauth/callback"},
		{"userinfo", "acme", "https://acme.com@evil.com/oauth/callback"},
		{"userinfo with port", "acme", "https://acme.com:443@evil.com/oauth/callback"},
		{"userinfo on the right host", "acme", "https://user@acme.com/oauth/callback"},
		{"backslash authority", "acme", "https://acme.com\\@evil.com/oauth/callback"},
		{"backslash scheme", "acme", "https:\\\\evil.com/oauth/callback"},
		{"slash backslash", "acme", "/\\evil.com"},
		{"backslash path", "acme", "https://acme.com/oauth/callback\\..\\..\\evil"},
		{"protocol-relative", "acme", "//evil.com/oauth/callback"},
		{"triple slash", "acme", "///evil.com"},
		{"double slash in path", "acme", "https://acme.com//evil.com/oauth/callback"},
		{"scheme without slashes", "acme", "https:evil.com"},
		{"javascript", "acme", "javascript:alert(document.domain)"},
		{"leading space", "acme", " https://acme.com/oauth/callback"},
		{"trailing space", "acme", "https://acme.com/oauth/callback "},
		{"tab", "acme", "https://acme.com/oauth/callback\t"},
		{"slash space slash", "acme", "/ /evil.com"},
		{"newline in host", "acme", "https://acme.com\n.evil.com/oauth/callback"},
		{"%2F%2F", "acme", "https://acme.com/%2F%2Fevil.com"},
		{"encoded slash matching after decoding", "acme", "https://acme.com/oauth%2Fcallback"},
		{"%5C", "acme", "https://acme.com/oauth/callback%5C"},
		{"%09", "acme", "https://acme.com/oauth/callback%09"},
		{"%2e%2e", "acme", "https://acme.com/x/%2e%2e/oauth/callback"},
		{"double-encoded", "acme", "https://acme.com/oauth/callback%252F"},
		{"encoded host", "acme", "https://acme.com%2F@evil.com/"},
		{"whole URL encoded", "acme", "https%3A%2F%2Facme.com%2Foauth%2Fcallback"},
		{"fragment", "acme", "https://acme.com/oauth/callback#x"},
		{"dot segment", "acme", "https://acme.com/x/../oauth/callback"},
		{"other tenant's destination id", "acme", "gx"},
		{"other tenant's destination URL", "acme", "https://globex.example/cb"},
		{"unknown destination id", "acme", "prod2"},
		{"empty destination", "acme", ""},
		{"destination id with URL fallback", "acme", "https://acme.com/prod"},
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			f := newFixture(t)
			w := f.do("GET", "/relay/start?"+startQuery(row.tenant, row.dest), "")
			wantPage(t, w, http.StatusBadRequest, "unregistered_destination")
			if n := f.st.creates.Load(); n != 0 {
				t.Fatalf("a refused start minted %d flow(s)", n)
			}
		})
	}
}

// TestStartParameters: the other start refusals, and the accepted forms.
func TestStartParameters(t *testing.T) {
	refused := []struct {
		name, query, code string
	}{
		{"unknown tenant", startQuery("initech", "prod"), "unknown_tenant"},
		{"bad tenant id", startQuery("../acme", "prod"), "bad_request"},
		{"no state", startQuery("acme", "prod", "state", "\x00delete"), "bad_request"},
		{"control character in state", startQuery("acme", "prod", "state", "a\nb"), "bad_request"},
		{"long state", startQuery("acme", "prod", "state", strings.Repeat("s", 1025)), "bad_request"},
		{"no challenge", startQuery("acme", "prod", "code_challenge", "\x00delete"), "pkce_required"},
		{"plain method", startQuery("acme", "prod", "code_challenge_method", "plain"), "pkce_required"},
		{"no method", startQuery("acme", "prod", "code_challenge_method", "\x00delete"), "pkce_required"},
		{"short challenge", startQuery("acme", "prod", "code_challenge", "abc"), "pkce_required"},
		{"bad challenge charset", startQuery("acme", "prod", "code_challenge", strings.Repeat("+", 43)), "pkce_required"},
		{"repeated dest", startQuery("acme", "prod") + "&dest=https%3A%2F%2Fevil.com%2F", "bad_request"},
		{"repeated tenant", startQuery("acme", "prod") + "&tenant=globex", "bad_request"},
		{"malformed query", startQuery("acme", "prod") + "&x=%zz", "bad_request"},
		{"semicolon", startQuery("acme", "prod") + ";dest=x", "bad_request"},
		{"control character in scope", startQuery("acme", "prod", "scope", "api\r\nX: y"), "bad_request"},
		{"consumer's own redirect_uri", startQuery("acme", "prod", "redirect_uri", "https://acme.com/oauth/callback"), "redirect_uri_mismatch"},
		{"other client_id", startQuery("acme", "prod", "client_id", "3MVG9globex"), "bad_request"},
		{"implicit flow", startQuery("acme", "prod", "response_type", "token"), "bad_request"},
	}
	for _, row := range refused {
		t.Run(row.name, func(t *testing.T) {
			f := newFixture(t)
			wantPage(t, f.do("GET", "/relay/start?"+row.query, ""), http.StatusBadRequest, row.code)
			if n := f.st.creates.Load(); n != 0 {
				t.Fatalf("a refused start minted %d flow(s)", n)
			}
		})
	}

	f := newFixture(t)
	wantPage(t, f.do("POST", "/relay/start?"+startQuery("acme", "prod"), ""), http.StatusMethodNotAllowed, "method_not_allowed")

	// Accepted: by id, by exact URL, by the same URL in another spelling;
	// with what a stock OAuth client adds when it agrees with the registry.
	for _, dest := range []string{"prod", "https://acme.com/oauth/callback", "HTTPS://ACME.COM:443/oauth/callback"} {
		w := f.do("GET", "/relay/start?"+startQuery("acme", dest, "nonce", "n-1", "prompt", "login", "login_hint", "ana@acme.test",
			"client_id", "3MVG9acme", "redirect_uri", testCallback, "response_type", "code"), "")
		if w.Code != http.StatusFound || w.Body.Len() != 0 {
			t.Fatalf("start dest=%q: %d %s", dest, w.Code, w.Body)
		}
		wantCommonHeaders(t, w.Header())
		loc, _ := url.Parse(w.Header().Get("Location"))
		if got := loc.Scheme + "://" + loc.Host + loc.Path; got != "https://acme.my.salesforce.com/services/oauth2/authorize" {
			t.Fatalf("start went to %q", got)
		}
		q := loc.Query()
		want := map[string]string{
			"response_type": "code", "client_id": "3MVG9acme", "redirect_uri": testCallback,
			"code_challenge": testChallenge, "code_challenge_method": "S256", "scope": "api refresh_token",
			"nonce": "n-1", "prompt": "login", "login_hint": "ana@acme.test",
		}
		for k, v := range want {
			if q.Get(k) != v {
				t.Errorf("authorize %s = %q, want %q", k, q.Get(k), v)
			}
		}
		if len(q) != len(want)+1 {
			t.Errorf("authorize request carries %v", q)
		}
		if s := q.Get("state"); len(s) != 43 || strings.Contains(s, "consumer") {
			t.Errorf("relay state %q is not an opaque 256-bit handle", s)
		}
	}
	// The test login host.
	w := f.do("GET", "/relay/start?"+startQuery("globex", "gx"), "")
	if loc := w.Header().Get("Location"); !strings.HasPrefix(loc, "https://test.salesforce.com/services/oauth2/authorize?") {
		t.Fatalf("globex start → %d %q", w.Code, loc)
	}
}

// TestCallbackForwards: a good response is forwarded once, unchanged, to
// the destination recorded at start (R1, R7, R8, R9).
func TestCallbackForwards(t *testing.T) {
	f := newFixture(t)
	h := f.start("acme", "prod")
	w := f.callback("code", "aPrx.code+/=é", "state", h, "iss", "https://acme.my.salesforce.com",
		// Parameters an attacker adds are dropped, never followed.
		"redirect_uri", "https://evil.com/", "dest", "https://evil.com/", "sfdc_community_url", "https://x")
	q := wantRedirect(t, w, http.StatusFound, "https://acme.com/oauth/callback")
	want := url.Values{"code": {"aPrx.code+/=é"}, "state": {"consumer-state-123"}, "iss": {"https://acme.my.salesforce.com"}}
	if q.Encode() != want.Encode() {
		t.Fatalf("forwarded %v, want %v", q, want)
	}

	// A destination with its own query keeps it.
	h = f.start("acme", "withquery")
	q = wantRedirect(t, f.callback("code", "c2", "state", h), http.StatusFound, "https://acme.com/oauth/cb2")
	if q.Get("tenant") != "acme" || q.Get("code") != "c2" || q.Has("iss") {
		t.Fatalf("forwarded %v", q)
	}

	// Loopback http destination.
	h = f.start("acme", "http://127.0.0.1:9000/cb")
	wantRedirect(t, f.callback("code", "c3", "state", h), http.StatusFound, "http://127.0.0.1:9000/cb")
}

// TestCallbackForwardsErrors: an error response is forwarded unchanged,
// with the consumer's state and iss (R7).
func TestCallbackForwardsErrors(t *testing.T) {
	f := newFixture(t)
	h := f.start("acme", "prod")
	w := f.callback("error", "access_denied", "error_description", "end-user denied authorization & more",
		"error_uri", "https://help.salesforce.com/x?y=1", "state", h, "iss", "https://acme.my.salesforce.com")
	q := wantRedirect(t, w, http.StatusFound, "https://acme.com/oauth/callback")
	want := url.Values{
		"error": {"access_denied"}, "error_description": {"end-user denied authorization & more"},
		"error_uri": {"https://help.salesforce.com/x?y=1"}, "state": {"consumer-state-123"}, "iss": {"https://acme.my.salesforce.com"},
	}
	if q.Encode() != want.Encode() {
		t.Fatalf("forwarded %v, want %v", q, want)
	}
}

// TestCallbackFormPost: a form_post response is answered with 303 (R8).
func TestCallbackFormPost(t *testing.T) {
	f := newFixture(t)
	h := f.start("acme", "prod")
	body := url.Values{"code": {"c"}, "state": {h}}.Encode()
	// The query of a POST is not read: only the body counts.
	w := f.do("POST", "/relay/callback?state=x", body, "Content-Type", "application/x-www-form-urlencoded")
	q := wantRedirect(t, w, http.StatusSeeOther, "https://acme.com/oauth/callback")
	if q.Get("code") != "c" || q.Get("state") != "consumer-state-123" {
		t.Fatalf("forwarded %v", q)
	}
	h = f.start("acme", "prod")
	wantPage(t, f.do("POST", "/relay/callback", url.Values{"code": {"c"}, "state": {h}}.Encode(), "Content-Type", "text/plain"),
		http.StatusBadRequest, "bad_request")
	wantPage(t, f.do("PUT", "/relay/callback?code=c&state="+h, ""), http.StatusMethodNotAllowed, "method_not_allowed")
}

// TestCallbackAttacks: unknown, tampered, swapped, replayed, expired and
// mismatched flows get an error page and never a redirect (R3–R6, R11).
func TestCallbackAttacks(t *testing.T) {
	const acmeIss = "https://acme.my.salesforce.com"
	t.Run("tampered handle", func(t *testing.T) {
		f := newFixture(t)
		h := f.start("acme", "prod")
		b := []byte(h)
		b[10] ^= 1 // still base64url
		for _, state := range []string{string(b), h[:42], h + "A", strings.ToUpper(h), "consumer-state-123", "", "!" + h[1:]} {
			wantPage(t, f.callback("code", "c", "state", state, "iss", acmeIss), http.StatusBadRequest, "unknown_flow")
		}
		wantPage(t, f.callback("code", "c"), http.StatusBadRequest, "unknown_flow")
		// The real handle still works: tampering burned nothing.
		wantRedirect(t, f.callback("code", "c", "state", h, "iss", acmeIss), http.StatusFound, "https://acme.com/oauth/callback")
	})
	t.Run("swapped handle (tenant A's flow, tenant B's issuer)", func(t *testing.T) {
		f := newFixture(t)
		h := f.start("acme", "prod")
		wantPage(t, f.callback("code", "c", "state", h, "iss", "https://test.salesforce.com"), http.StatusBadRequest, "issuer_mismatch")
		// The mismatch aborted the flow: the genuine response cannot follow.
		wantPage(t, f.callback("code", "c", "state", h, "iss", acmeIss), http.StatusBadRequest, "replayed_flow")
	})
	t.Run("issuer mismatch (mix-up)", func(t *testing.T) {
		for _, iss := range []string{"https://evil.example", acmeIss + "/", "HTTPS://acme.my.salesforce.com", acmeIss + " ", "", "https://login.salesforce.com"} {
			f := newFixture(t)
			h := f.start("acme", "prod")
			wantPage(t, f.callback("code", "c", "state", h, "iss", iss), http.StatusBadRequest, "issuer_mismatch")
		}
	})
	t.Run("replayed", func(t *testing.T) {
		f := newFixture(t)
		h := f.start("acme", "prod")
		wantRedirect(t, f.callback("code", "c", "state", h), http.StatusFound, "https://acme.com/oauth/callback")
		wantPage(t, f.callback("code", "c", "state", h), http.StatusBadRequest, "replayed_flow")
		wantPage(t, f.callback("error", "access_denied", "state", h), http.StatusBadRequest, "replayed_flow")
	})
	t.Run("expired", func(t *testing.T) {
		f := newFixture(t)
		h1 := f.start("acme", "prod")
		f.clock.Advance(relay.DefaultFlowTTL - time.Second)
		h2 := f.start("acme", "prod")
		wantRedirect(t, f.callback("code", "c", "state", h1), http.StatusFound, "https://acme.com/oauth/callback")
		f.clock.Advance(relay.DefaultFlowTTL)
		wantPage(t, f.callback("code", "c", "state", h2), http.StatusBadRequest, "expired_flow")
	})
	t.Run("malformed response", func(t *testing.T) {
		f := newFixture(t)
		h := f.start("acme", "prod")
		for _, q := range []string{
			"state=" + h, // neither code nor error
			"state=" + h + "&code=c&error=access_denied", // both
			"state=" + h + "&code=c&error_description=x", // code with error text
			"state=" + h + "&code=c&code=d",              // repeated code
			"state=" + h + "&state=" + h + "&code=c",     // repeated state
			"state=" + h + "&code=c&iss=a&iss=b",         // repeated iss
			"state=" + h + "&code=c%0d%0aLocation:%20x",  // control characters
			"state=" + h + "&code=c&x=%zz",               // malformed query
			"state=" + h + "&code=" + strings.Repeat("c", 2049),
		} {
			wantPage(t, f.do("GET", "/relay/callback?"+q, ""), http.StatusBadRequest, "bad_request")
		}
		// None of them burned the flow.
		wantRedirect(t, f.callback("code", "c", "state", h), http.StatusFound, "https://acme.com/oauth/callback")
	})
	// The flow carries the destination checked at start, so the callback
	// reads no tenant: a destination removed or re-pointed while a flow is
	// under way is still delivered to for that flow (within its TTL), and
	// refused for flows started after the change.
	t.Run("destination removed during the flow", func(t *testing.T) {
		f := newFixture(t)
		h1 := f.start("acme", "prod")
		h2 := f.start("globex", "gx")
		tn, _ := acme.Normalize()
		tn.Destinations = tn.Destinations[1:]
		f.st.PutTenant(context.Background(), tn)
		f.st.DeleteTenant(context.Background(), "globex")
		wantRedirect(t, f.callback("code", "c", "state", h1), http.StatusFound, "https://acme.com/oauth/callback")
		wantRedirect(t, f.callback("code", "c", "state", h2), http.StatusFound, "https://globex.example/cb")
		wantPage(t, f.do("GET", "/relay/start?"+startQuery("acme", "prod"), ""), http.StatusBadRequest, "unregistered_destination")
		wantPage(t, f.do("GET", "/relay/start?"+startQuery("globex", "gx"), ""), http.StatusBadRequest, "unknown_tenant")
	})
	t.Run("destination re-pointed during the flow", func(t *testing.T) {
		f := newFixture(t)
		h := f.start("acme", "prod")
		tn, _ := acme.Normalize()
		tn.Destinations[0].URL = "https://new.acme.com/cb"
		f.st.PutTenant(context.Background(), tn)
		wantRedirect(t, f.callback("code", "c", "state", h), http.StatusFound, "https://acme.com/oauth/callback")
		wantRedirect(t, f.callback("code", "c", "state", f.start("acme", "prod")), http.StatusFound, "https://new.acme.com/cb")
	})
}

// TestCallbackBurst: 50 concurrent callbacks for one flow through a real
// loopback server give exactly one redirect; the others get the error page.
func TestCallbackBurst(t *testing.T) {
	f := newFixture(t)
	srv := httptest.NewServer(f.h)
	defer srv.Close()
	h := f.start("acme", "prod")
	client := srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	target := srv.URL + "/relay/callback?" + url.Values{"code": {"c"}, "state": {h}, "iss": {"https://acme.my.salesforce.com"}}.Encode()

	const n = 50
	var mu sync.Mutex
	statuses := map[int]int{}
	var start, done sync.WaitGroup
	start.Add(1)
	for range n {
		done.Add(1)
		go func() {
			defer done.Done()
			start.Wait()
			resp, err := client.Get(target)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusFound && resp.Header.Get("Location") != "" {
				t.Errorf("status %d with Location", resp.StatusCode)
			}
			mu.Lock()
			statuses[resp.StatusCode]++
			mu.Unlock()
		}()
	}
	start.Done()
	done.Wait()
	if statuses[http.StatusFound] != 1 || statuses[http.StatusBadRequest] != n-1 {
		t.Fatalf("%d concurrent callbacks: %v; want exactly one 302 and %d 400", n, statuses, n-1)
	}
}

// TestRoutes: unknown paths are a 404 page; oversized queries a 400 page.
func TestRoutes(t *testing.T) {
	f := newFixture(t)
	for _, p := range []string{"/relay/", "/relay/startx", "/relay/start/", "/relay//start", "/relay/admin/x", "/"} {
		wantPage(t, f.do("GET", p, ""), http.StatusNotFound, "not_found")
	}
	wantPage(t, f.do("GET", "/relay/callback?x="+strings.Repeat("a", 9000), ""), http.StatusBadRequest, "bad_request")
}

// TestLogs: the log has tenant, outcome and duration, and never a code,
// a handle or the consumer's state (R7).
func TestLogs(t *testing.T) {
	f := newFixture(t)
	const code = "aPrxSECRETCODE"
	h := f.start("acme", "prod")
	f.callback("code", code, "state", h)
	f.callback("code", code, "state", h) // replay
	logs := f.logs.String()
	for _, secret := range []string{code, h, relay.FlowID(h), "consumer-state-123", testChallenge} {
		if strings.Contains(logs, secret) {
			t.Fatalf("log contains %q:\n%s", secret, logs)
		}
	}
	for _, want := range []string{`"msg":"relay start"`, `"outcome":"started"`, `"outcome":"forwarded"`, `"outcome":"replayed_flow"`, `"tenant":"acme"`, `"duration":`} {
		if !strings.Contains(logs, want) {
			t.Fatalf("log lacks %s:\n%s", want, logs)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	good := relay.Config{CallbackURL: testCallback, AdminKey: testAdminKey}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, cfg := range map[string]relay.Config{
		"no callback":            {},
		"callback not canonical": {CallbackURL: "https://Relay.acme-isv.test:443/relay/callback"},
		"callback http":          {CallbackURL: "http://relay.acme-isv.test/relay/callback"},
		"callback query":         {CallbackURL: testCallback + "?x=1"},
		"short admin key":        {CallbackURL: testCallback, AdminKey: "short"},
		"TTL too long":           {CallbackURL: testCallback, FlowTTL: time.Hour},
		"TTL negative":           {CallbackURL: testCallback, FlowTTL: -time.Second},
	} {
		if cfg.Validate() == nil {
			t.Errorf("%s: Validate succeeded", name)
		}
	}
	t.Setenv(relay.EnvCallbackURL, testCallback)
	t.Setenv(relay.EnvFlowTTL, "5m")
	t.Setenv(relay.EnvAdminKey, testAdminKey)
	cfg, err := relay.ConfigFromEnv()
	if err != nil || cfg.FlowTTL != 5*time.Minute || cfg.AdminKey != testAdminKey {
		t.Fatalf("ConfigFromEnv = %+v, %v", cfg, err)
	}
}

// TestUnsoundRegistryRow: a registry row written around the admin API
// (not canonical, or failing hygiene) is never forwarded to.
func TestUnsoundRegistryRow(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	raw, _ := f.st.GetTenant(ctx, "acme")
	raw.Destinations = append(raw.Destinations,
		relay.Destination{ID: "evil", URL: "https://acme.com@evil.com/"},
		relay.Destination{ID: "upper", URL: "HTTPS://ACME.COM/x"})
	if err := f.st.PutTenant(ctx, raw); err != nil {
		t.Fatal(err)
	}
	for _, dest := range []string{"evil", "upper"} {
		wantPage(t, f.do("GET", "/relay/start?"+startQuery("acme", dest), ""), http.StatusBadRequest, "unregistered_destination")
	}
	// A flow pointing at such a row (as an older relay might have stored).
	handle := strings.Repeat("A", 43)
	err := f.st.CreateFlow(ctx, relay.Flow{ID: relay.FlowID(handle), Tenant: "acme", DestinationID: "evil",
		DestinationURL: "https://acme.com@evil.com/", Issuer: raw.Issuer, ClientID: raw.ClientID,
		ConsumerState: "s", CreatedAt: t0, ExpiresAt: t0.Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	wantPage(t, f.callback("code", "c", "state", handle), http.StatusBadRequest, "destination_removed")
}

// TestAttackStartFlood: starting flows writes records, so one address may
// start only so many a minute (429 with Retry-After, and nothing written);
// another address is not affected.
func TestAttackStartFlood(t *testing.T) {
	f := newFixture(t)
	started := 0
	var last *httptest.ResponseRecorder
	for range 100 {
		last = f.do("GET", relay.PathStart+"?"+startQuery("acme", "prod"), "")
		if last.Code != http.StatusFound {
			break
		}
		started++
	}
	if last.Code != http.StatusTooManyRequests || last.Header().Get("Retry-After") == "" || last.Header().Get("Location") != "" {
		t.Fatalf("after %d starts: %d, Retry-After %q, Location %q; want 429 with Retry-After and no redirect",
			started, last.Code, last.Header().Get("Retry-After"), last.Header().Get("Location"))
	}
	if started == 0 || started >= 100 {
		t.Fatalf("%d starts allowed before the limit", started)
	}
	if n := f.st.creates.Load(); int(n) != started {
		t.Fatalf("%d flows stored for %d allowed starts: a refused start wrote a record", n, started)
	}
	path, query, _ := strings.Cut(relay.PathStart+"?"+startQuery("acme", "prod"), "?")
	r := httptest.NewRequest("GET", path, nil)
	r.URL.RawQuery = query
	r.RemoteAddr = "198.51.100.20:4000"
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	if w.Code != http.StatusFound {
		t.Fatalf("another address was refused: %d", w.Code)
	}
}
