package lambdamain_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/caplab/caplab/lambda/httpapi"
	"github.com/caplab/caplab/lambda/lambdatest"
	"github.com/caplab/caplab/lambda/relay"
	"github.com/caplab/caplab/lambda/store/dynamostore"
)

// DynamoDB round trips per request, the budget of issue 15: each request
// type reads at most once and writes at most once.
var roundTripBudget = map[string]int{
	"client_credentials":      1, // one write: the grant, its quota count, its use, the Login History row
	"refresh_token":           2, // read the token with its grant; write the touch, the use, the row
	"refresh_token rotation":  2, // read; write the claim, the new refresh token, the use, the row
	"introspection":           1, // read the access token's grant and mark
	"authorization_code":      3, // read the code with its grant; write the claim, the refresh token, the use, the row
	"userinfo":                1, // read the access token's grant and mark
	"relay callback":          1, // claim the flow (it carries the destination)
	"introspection (refresh)": 1, // read the refresh token with its grant
}

// ddbCalls counts the DynamoDB requests (every attempt is a round trip)
// by operation.
type ddbCalls struct {
	mu  sync.Mutex
	ops map[string]int
}

func (c *ddbCalls) RoundTrip(req *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.ops[strings.TrimPrefix(req.Header.Get("X-Amz-Target"), "DynamoDB_20120810.")]++
	c.mu.Unlock()
	return http.DefaultTransport.RoundTrip(req)
}

// take returns the calls since the last take, and their total.
func (c *ddbCalls) take() (map[string]int, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out, n := c.ops, 0
	for _, v := range out {
		n += v
	}
	c.ops = map[string]int{}
	return out, n
}

// TestDynamoDBRoundTrips serves the live org and the relay over DynamoDB
// Local, counts the DynamoDB requests each request type makes, and holds
// each to its budget (roundTripBudget).
func TestDynamoDBRoundTrips(t *testing.T) {
	d := lambdatest.SharedDynamoDBLocal(t)
	calls := &ddbCalls{ops: map[string]int{}}
	table := newTable(t, dynamoClient(d.Endpoint, nil))
	client := dynamoClient(d.Endpoint, calls)
	_, secrets := testKeys(t)
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	srv.Config.Handler = httpapi.New(httpapi.Config{BaseURL: base, SigningKey: secrets.SigningKey, CookieKey: secrets.CookieKey,
		Logger: quietLogger(), NoRateLimits: true}, dynamostore.New(client, table))
	srv.Start()
	t.Cleanup(srv.Close)
	hc := lambdatest.LoopbackClient()

	check := func(what string, status int, body []byte) {
		t.Helper()
		ops, n := calls.take()
		if status != http.StatusOK {
			t.Fatalf("%s: %d %s", what, status, body)
		}
		t.Logf("%-24s %d round trip(s) %v", what, n, ops)
		if n > roundTripBudget[what] {
			t.Errorf("%s made %d DynamoDB requests %v; the budget is %d", what, n, ops, roundTripBudget[what])
		}
	}
	share := func(rotation bool) (issuer string) {
		t.Helper()
		var m map[string]any
		doc, err := os.ReadFile("testdata/scenario.json")
		if err != nil {
			t.Fatal(err)
		}
		json.Unmarshal(doc, &m)
		oauth := m["apps"].([]any)[0].(map[string]any)["oauth"].(map[string]any)
		oauth["refreshTokenRotation"] = rotation
		oauth["clientCredentials"] = map[string]any{"enabled": true, "runAs": "ana@acme.test"}
		doc, _ = json.Marshal(m)
		resp, err := hc.Post(base+"/api/scenarios", "application/json", bytes.NewReader(doc))
		if err != nil {
			t.Fatal(err)
		}
		var out struct{ Issuer string }
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated || json.Unmarshal(b, &out) != nil {
			t.Fatalf("share: %d %s", resp.StatusCode, b)
		}
		return out.Issuer
	}
	post := func(u string, form url.Values) (int, []byte, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth("acme_sync_key", "acme-sync-secret")
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var m map[string]any
		json.Unmarshal(b, &m)
		return resp.StatusCode, b, m
	}

	for _, rotation := range []bool{false, true} {
		issuer := share(rotation)
		code := authorizationCode(t, base, issuer)
		calls.take()
		tokenURL := issuer + "/services/oauth2/token"
		status, body, m := post(tokenURL, url.Values{"grant_type": {"authorization_code"}, "code": {code},
			"redirect_uri": {"https://app.acme.test/oauth/callback"}})
		access, refresh := str(m["access_token"]), str(m["refresh_token"])
		if rotation {
			calls.take()
		} else {
			check("authorization_code", status, body)
		}
		what := "refresh_token"
		if rotation {
			what = "refresh_token rotation"
		}
		for range 3 {
			status, body, m = post(tokenURL, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}})
			check(what, status, body)
			if rotation {
				refresh = str(m["refresh_token"])
			}
		}
		if rotation {
			continue
		}
		status, body, m = post(tokenURL, url.Values{"grant_type": {"client_credentials"}})
		check("client_credentials", status, body)
		status, body, m = post(issuer+"/services/oauth2/introspect", url.Values{"token": {access}})
		check("introspection", status, body)
		if m["active"] != true {
			t.Fatalf("introspection: %s; want active", body)
		}
		status, body, _ = post(issuer+"/services/oauth2/introspect", url.Values{"token": {refresh}})
		check("introspection (refresh)", status, body)
		req, _ := http.NewRequest(http.MethodGet, issuer+"/services/oauth2/userinfo", nil)
		req.Header.Set("Authorization", "Bearer "+access)
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		check("userinfo", resp.StatusCode, body)
	}

	// The relay's callback, over the same table.
	rs := dynamostore.NewRelay(client, table)
	tenant := relay.Tenant{ID: "acme", LoginHost: "https://acme.my.salesforce.com", ClientID: "3MVG9acme", Issuer: "https://acme.my.salesforce.com",
		Destinations: []relay.Destination{{ID: "prod", URL: "https://acme.com/oauth/callback"}}}
	tn, err := tenant.Normalize()
	if err != nil {
		t.Fatal(err)
	}
	if err := rs.PutTenant(t.Context(), tn); err != nil {
		t.Fatal(err)
	}
	rh := relay.New(relay.Config{CallbackURL: "https://relay.test/relay/callback", Logger: quietLogger()}, rs)
	start := httptest.NewRecorder()
	rh.ServeHTTP(start, httptest.NewRequest(http.MethodGet, "/relay/start?"+url.Values{"tenant": {"acme"}, "dest": {"prod"}, "state": {"consumer-state"},
		"code_challenge": {strings.Repeat("c", 43)}, "code_challenge_method": {"S256"}}.Encode(), nil))
	loc, err := url.Parse(start.Header().Get("Location"))
	if start.Code != http.StatusFound || err != nil {
		t.Fatalf("relay start: %d %s", start.Code, start.Body)
	}
	calls.take()
	cb := httptest.NewRecorder()
	rh.ServeHTTP(cb, httptest.NewRequest(http.MethodGet, "/relay/callback?"+url.Values{"state": {loc.Query().Get("state")}, "code": {"c0de"}}.Encode(), nil))
	if cb.Code == http.StatusFound && strings.HasPrefix(cb.Header().Get("Location"), "https://acme.com/oauth/callback?") {
		cb.Code = http.StatusOK
	}
	check("relay callback", cb.Code, cb.Body.Bytes())
}

func str(v any) string { s, _ := v.(string); return s }

// authorizationCode logs ana in, approves and returns a fresh code.
func authorizationCode(t *testing.T, base, issuer string) string {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := lambdatest.LoopbackClient()
	c.Jar = jar
	host := strings.TrimPrefix(base, "http://")
	c.CheckRedirect = func(req *http.Request, _ []*http.Request) error {
		if req.URL.Host != host {
			return http.ErrUseLastResponse
		}
		return nil
	}
	authURL := issuer + "/services/oauth2/authorize"
	do := func(req *http.Request) (int, string, string) {
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Location"), string(b)
	}
	q := url.Values{"response_type": {"code"}, "client_id": {"acme_sync_key"}, "redirect_uri": {"https://app.acme.test/oauth/callback"},
		"scope": {"api refresh_token"}, "state": {"st4te-xyz-123"}}
	req, _ := http.NewRequest(http.MethodGet, authURL+"?"+q.Encode(), nil)
	status, loc, page := do(req)
	for i := 0; loc == "" && i < 3; i++ {
		m := csrfRe.FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("authorize: no form (status %d):\n%s", status, page)
		}
		form := url.Values{"csrf": {m[1]}, "decision": {"allow"}}
		if strings.Contains(page, `name="password"`) {
			form = url.Values{"csrf": {m[1]}, "username": {"ana@acme.test"}, "password": {"ana-Pa55word"}}
		}
		req, _ := http.NewRequest(http.MethodPost, authURL, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		status, loc, page = do(req)
	}
	u, err := url.Parse(loc)
	if err != nil || u.Query().Get("code") == "" {
		t.Fatalf("authorize ended without a code: %d %q\n%s", status, loc, page)
	}
	return u.Query().Get("code")
}
