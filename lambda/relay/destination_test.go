package relay_test

import (
	"strings"
	"testing"

	"github.com/caplab/caplab/lambda/relay"
)

func TestNormalizeDestination(t *testing.T) {
	ok := []struct{ in, want string }{
		{"https://acme.com/oauth/callback", "https://acme.com/oauth/callback"},
		{"HTTPS://ACME.COM/oauth/callback", "https://acme.com/oauth/callback"},
		{"https://acme.com:443/oauth/callback", "https://acme.com/oauth/callback"},
		{"https://acme.com:8443/cb", "https://acme.com:8443/cb"},
		{"https://acme.com", "https://acme.com/"},
		{"https://acme.com/cb?tenant=acme&x=%20y", "https://acme.com/cb?tenant=acme&x=%20y"},
		{"http://127.0.0.1:9000/cb", "http://127.0.0.1:9000/cb"},
		{"http://127.0.0.1:80/cb", "http://127.0.0.1/cb"},
		{"http://[::1]:9000/cb", "http://[::1]:9000/cb"},
		{"http://localhost:1717/OauthRedirect", "http://localhost:1717/OauthRedirect"},
		{"https://xn--cme-5cd.com/cb", "https://xn--cme-5cd.com/cb"},
		{"https://10.0.0.1/cb", "https://10.0.0.1/cb"},
		{"https://acme.com/a/b-c_d.e~f/", "https://acme.com/a/b-c_d.e~f/"},
	}
	for _, c := range ok {
		got, err := relay.NormalizeDestination(c.in)
		if err != nil || got != c.want {
			t.Errorf("NormalizeDestination(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	bad := []string{
		"", "acme.com/cb", "//evil.com", "///evil.com", "/\\evil.com", "/cb", "ftp://acme.com/",
		"javascript:alert(1)", "data:text/html,x", "https:evil.com", "https:/acme.com/cb", "https:///evil.com",
		"http://acme.com/cb",                // http off loopback
		"http://10.0.0.1/cb",                // http off loopback
		"https://acme.com@evil.com/",        // userinfo
		"https://user:pass@acme.com/cb",     // userinfo
		"https://acme.com:443@evil.com/",    // userinfo
		"https://acme.com\\@evil.com/",      // backslash
		"https:\\\\evil.com",                // backslash
		"https://acme.com/cb\\..\\..\\evil", // backslash
		"https://acme.com/cb#frag",          // fragment
		"https://acme.com/cb#",              // empty fragment
		"https://acme.com//evil.com/",       // //
		"https://acme.com/a//b",             // //
		"https://acme.com/./cb",             // dot segment
		"https://acme.com/a/../cb",          // dot segment
		"https://acme.com/cb;jsessionid=1",  // path parameter
		" https://acme.com/cb",              // whitespace
		"https://acme.com/cb ",              // whitespace
		"https://acme.com/c b",              // whitespace
		"https://acme.com/cb\t",             // tab
		"https://acme.com\n.evil.com/",      // newline
		"https://acme.com/cb%09",            // encoded tab
		"https://acme.com/%2F%2Fevil.com",   // encoded //
		"https://acme.com/oauth%2Fcallback", // encoded /
		"https://acme.com/cb%5C",            // encoded backslash
		"https://acme.com/%2e%2e/cb",        // encoded dots
		"https://acme.com/cb%252F",          // double encoding
		"https://acme.com%2F@evil.com/",     // encoded host
		"https://acme.com%2eevil.com/",      // encoded host
		"https://acme%00.com/",              // encoded NUL
		"https://аcme.com/cb",               // IDN (Cyrillic а), not punycode
		"https://acme.com./cb",              // trailing dot
		"https://-acme.com/cb",              // bad label
		"https://acme_corp.com/cb",          // underscore
		"https://0x7f.0.0.1/cb",             // hex IPv4
		"http://2130706433/cb",              // integer IPv4
		"http://127.1/cb",                   // short IPv4
		"http://0177.0.0.1/cb",              // octal IPv4
		"https://[fe80::1%25en0]/cb",        // zone
		"https://[::ffff:127.0.0.1]/cb",     // v4-in-v6
		"https://acme.com:0/cb",             // port 0
		"https://acme.com:65536/cb",         // port range
		"https://acme.com:08443/cb",         // leading zero
		"https://acme.com:/cb",              // empty port
		"https://acme.com/cb?",              // empty query marker
		"https://acme.com/cb?code=x",        // forwarded param in query
		"https://acme.com/cb?state=x",       // forwarded param in query
		"https://acme.com/cb?a=%zz",         // malformed query
		"https://acme.com/cb?a=1;b=2",       // semicolon query
		"https://acme.com/<script>",         // unsafe character
		"https://acme.com/" + strings.Repeat("a", 2000),
	}
	for _, in := range bad {
		if got, err := relay.NormalizeDestination(in); err == nil {
			t.Errorf("NormalizeDestination(%q) = %q, want an error", in, got)
		}
	}
}

func TestTenantNormalize(t *testing.T) {
	n, err := globex.Normalize()
	if err != nil {
		t.Fatal(err)
	}
	if n.LoginHost != "https://test.salesforce.com" || n.Issuer != n.LoginHost {
		t.Errorf("login host %q issuer %q", n.LoginHost, n.Issuer)
	}
	if got := n.AuthorizeEndpoint(); got != "https://test.salesforce.com/services/oauth2/authorize" {
		t.Errorf("AuthorizeEndpoint = %q", got)
	}
	live := relay.Tenant{ID: "live", LoginHost: "http://127.0.0.1:8080/o/AbC123/", ClientID: "k",
		Destinations: []relay.Destination{{ID: "d", URL: "http://127.0.0.1:9/cb"}}}
	n, err = live.Normalize()
	if err != nil || n.LoginHost != "http://127.0.0.1:8080/o/AbC123" {
		t.Errorf("live org login host: %q, %v", n.LoginHost, err)
	}

	bad := map[string]func(*relay.Tenant){
		"id with slash":      func(t *relay.Tenant) { t.ID = "a/b" },
		"id looks like url":  func(t *relay.Tenant) { t.ID = "https://x" },
		"login host http":    func(t *relay.Tenant) { t.LoginHost = "http://acme.my.salesforce.com" },
		"login host query":   func(t *relay.Tenant) { t.LoginHost = "https://acme.my.salesforce.com?x=1" },
		"login host user":    func(t *relay.Tenant) { t.LoginHost = "https://a@acme.my.salesforce.com" },
		"login host unknown": func(t *relay.Tenant) { t.LoginHost = "prod" },
		"issuer not canon":   func(t *relay.Tenant) { t.Issuer = "HTTPS://acme.my.salesforce.com" },
		"no client id":       func(t *relay.Tenant) { t.ClientID = "" },
		"client id space":    func(t *relay.Tenant) { t.ClientID = "a b" },
		"no destinations":    func(t *relay.Tenant) { t.Destinations = nil },
		"bad destination":    func(t *relay.Tenant) { t.Destinations = []relay.Destination{{ID: "x", URL: "https://a.com//b"}} },
		"bad destination id": func(t *relay.Tenant) { t.Destinations = []relay.Destination{{ID: "x y", URL: "https://a.com/b"}} },
		"duplicate id": func(t *relay.Tenant) {
			t.Destinations = []relay.Destination{{ID: "x", URL: "https://a.com/b"}, {ID: "x", URL: "https://a.com/c"}}
		},
		"duplicate url": func(t *relay.Tenant) {
			t.Destinations = []relay.Destination{{ID: "x", URL: "https://a.com/b"}, {ID: "y", URL: "HTTPS://A.COM:443/b"}}
		},
	}
	for name, mutate := range bad {
		tn := acme
		tn.Destinations = append([]relay.Destination(nil), acme.Destinations...)
		mutate(&tn)
		if _, err := tn.Normalize(); err == nil {
			t.Errorf("%s: Normalize succeeded", name)
		}
	}
}
