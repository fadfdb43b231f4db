package relay_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// Seed corpora are under testdata/fuzz/FuzzStart and FuzzCallback (the
// attack strings of attack_test.go and more); they run with every go test.

// registered is every URL the fixture's relay may redirect to, per tenant:
// its authorize endpoint and its destinations (without their query).
var (
	authorizeEndpoints = map[string]string{
		"acme":   "https://acme.my.salesforce.com/services/oauth2/authorize",
		"globex": "https://test.salesforce.com/services/oauth2/authorize",
	}
	destinations = map[string][]string{
		"acme":   {"https://acme.com/oauth/callback", "http://127.0.0.1:9000/cb", "https://acme.com/oauth/cb2?tenant=acme"},
		"globex": {"https://globex.example/cb"},
	}
)

// splitLocation returns a Location's URL without query and fragment, its
// query, and its fragment.
func splitLocation(t *testing.T, loc string) (string, url.Values, string) {
	t.Helper()
	base, frag, _ := strings.Cut(loc, "#")
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("unparsable Location %q: %v", loc, err)
	}
	return u.Scheme + "://" + u.Host + u.Path, u.Query(), frag
}

// wantForward checks that a callback's redirect goes to a registered
// destination of tenant, with its registered query, and returns the query.
func wantForward(t *testing.T, loc, tenant string) url.Values {
	t.Helper()
	base, q, frag := splitLocation(t, loc)
	if frag != "_" {
		t.Fatalf("Location %q does not end in #_", loc)
	}
	for _, d := range destinations[tenant] {
		dbase, dquery, _ := strings.Cut(d, "?")
		if base != dbase {
			continue
		}
		want, _ := url.ParseQuery(dquery)
		for k := range want {
			if q.Get(k) != want.Get(k) {
				t.Fatalf("Location %q lost the registered query %q", loc, dquery)
			}
		}
		if !strings.HasPrefix(loc, d) {
			t.Fatalf("Location %q does not start with the registered %q", loc, d)
		}
		return q
	}
	t.Fatalf("redirect to %q: not a registered destination of %s", loc, tenant)
	return nil
}

// FuzzStart: whatever the start parameters, the relay redirects only to
// the named tenant's authorize endpoint, only after minting a flow, and the
// flow it minted forwards only to a registered destination of that tenant
// (the OpenHands property: the start endpoint is no oracle).
func FuzzStart(f *testing.F) {
	f.Add("acme", "prod", "st", testChallenge, "S256", "api")
	f.Add("acme", "https://acme.com/oauth/callback", "st", testChallenge, "S256", "")
	f.Add("globex", "gx", "s", testChallenge, "S256", "api id")
	f.Add("acme", "https://evil.com/", "st", testChallenge, "S256", "api")
	f.Fuzz(func(t *testing.T, tenant, dest, state, challenge, method, scope string) {
		fx := newFixture(t)
		q := url.Values{"tenant": {tenant}, "dest": {dest}, "state": {state}, "code_challenge": {challenge}, "code_challenge_method": {method}, "scope": {scope}}
		w := fx.do("GET", "/relay/start?"+q.Encode(), "")
		if w.Code >= 500 {
			t.Fatalf("start: %d", w.Code)
		}
		loc := w.Header().Get("Location")
		if w.Code/100 != 3 {
			if loc != "" {
				t.Fatalf("status %d with Location %q", w.Code, loc)
			}
			if n := fx.st.creates.Load(); n != 0 {
				t.Fatalf("refused start (%d) minted %d flow(s)", w.Code, n)
			}
			return
		}
		base, aq, _ := splitLocation(t, loc)
		if want, ok := authorizeEndpoints[tenant]; !ok || base != want {
			t.Fatalf("start for tenant %q redirected to %q", tenant, loc)
		}
		if aq.Get("redirect_uri") != testCallback || aq.Get("code_challenge") != challenge || aq.Get("code_challenge_method") != "S256" {
			t.Fatalf("authorize request %v", aq)
		}
		// The flow it minted goes nowhere but a registered destination.
		cw := fx.callback("code", "c", "state", aq.Get("state"))
		if cw.Code != http.StatusFound {
			t.Fatalf("callback of a minted flow: %d", cw.Code)
		}
		fq := wantForward(t, cw.Header().Get("Location"), tenant)
		if fq.Get("state") != state || fq.Get("code") != "c" {
			t.Fatalf("forwarded %v", fq)
		}
	})
}

// FuzzCallback: whatever the callback request, the relay redirects only to
// a registered destination of the tenant whose flow the request names, and
// at most once per flow. "HANDLEA" and "HANDLEG" in the input stand for
// live handles of an acme and a globex flow.
func FuzzCallback(f *testing.F) {
	f.Add(false, "code=c&state=HANDLEA&iss=https%3A%2F%2Facme.my.salesforce.com")
	f.Add(true, "error=access_denied&state=HANDLEG")
	f.Add(false, "code=c&state=HANDLEA&state=HANDLEG")
	f.Fuzz(func(t *testing.T, post bool, raw string) {
		fx := newFixture(t)
		handles := map[string]string{"acme": fx.start("acme", "prod"), "globex": fx.start("globex", "gx")}
		raw = strings.ReplaceAll(raw, "HANDLEA", handles["acme"])
		raw = strings.ReplaceAll(raw, "HANDLEG", handles["globex"])
		for round := range 2 {
			var w = fx.do("GET", "/relay/callback?"+raw, "")
			if post {
				w = fx.do("POST", "/relay/callback", raw, "Content-Type", "application/x-www-form-urlencoded")
			}
			if w.Code >= 500 {
				t.Fatalf("callback: %d", w.Code)
			}
			loc := w.Header().Get("Location")
			if w.Code/100 != 3 {
				if loc != "" {
					t.Fatalf("status %d with Location %q", w.Code, loc)
				}
				continue
			}
			if round > 0 {
				t.Fatalf("second identical callback redirected to %q", loc)
			}
			q, _ := url.ParseQuery(raw)
			var tenant string
			for tn, h := range handles {
				if slices.Equal(q["state"], []string{h}) {
					tenant = tn
				}
			}
			if tenant == "" {
				t.Fatalf("redirected to %q without naming a live flow", loc)
			}
			fq := wantForward(t, loc, tenant)
			if fq.Get("state") != "consumer-state-123" {
				t.Fatalf("forwarded state %q", fq.Get("state"))
			}
		}
	})
}
