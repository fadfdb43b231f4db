package httpapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/caplab/caplab/policy"
)

func post(t *testing.T, u, body string) (int, http.Header, map[string]any) {
	t.Helper()
	resp, err := http.Post(u, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return resp.StatusCode, resp.Header, m
}

func TestShareAPI(t *testing.T) {
	e := newEnv(t, envOpt{scenario: []byte(nil)})
	doc, _ := policy.Preset("web-server-self-authorize")
	st, _, m := post(t, e.base+"/api/scenarios", string(doc))
	if st != 201 {
		t.Fatalf("share: %d %v", st, m)
	}
	id := m["id"].(string)
	iss, _ := m["issuer"].(string)
	if len(id) != 22 || m["url"] != e.base+"/s/"+id || m["mode"] != "salesforce" || !strings.HasPrefix(iss, e.base+"/o/") {
		t.Fatalf("share answer %v", m)
	}
	orgID := strings.TrimPrefix(iss, e.base+"/o/")
	if len(orgID) != 26 || strings.Contains(orgID, id) || strings.Contains(iss, id) {
		t.Fatalf("issuer %q: want a 26-character live org id unrelated to the share id %q", iss, id)
	}
	// Every share is its own live org with random ids, even for the same
	// document: two people sharing one document never share grants.
	_, _, m2 := post(t, e.base+"/api/scenarios", string(doc))
	if m2["id"] == id || m2["issuer"] == iss {
		t.Fatalf("the same document shared twice: %v and %v; want different shares and live orgs", m2, m)
	}
	if _, _, m3 := post(t, e.base+"/api/scenarios?mode=rfc", string(doc)); m3["mode"] != "rfc" {
		t.Fatalf("rfc mode share: %v", m3)
	}
	if st, _, m := post(t, e.base+"/api/scenarios?mode=strict", string(doc)); st != 400 {
		t.Fatalf("bad mode: %d %v", st, m)
	}
	resp, err := http.Get(e.base + "/api/scenarios/" + id)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	// The document comes back as it was shared (the sender's key order kept).
	if resp.StatusCode != 200 || !bytes.Equal(got, doc) || resp.Header.Get("Caplab-Mode") != "salesforce" ||
		resp.Header.Get("Caplab-Issuer") != iss || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("get: %d %v %s", resp.StatusCode, resp.Header, got)
	}
	if _, err := policy.Decode(got); err != nil {
		t.Fatalf("stored document does not decode: %v", err)
	}
	// The live org id reads nothing: not the scenario, not its secrets.
	if r, _ := http.Get(e.base + "/api/scenarios/" + orgID); r.StatusCode != 404 {
		t.Fatalf("GET /api/scenarios/{live org id}: %d; want 404", r.StatusCode)
	}
	for _, bad := range []string{"nope", "AAAAAAAAAAAA", "../../etc/pa", "AAAAAAAAAAAAAAAAAAAAAA"} {
		if r, _ := http.Get(e.base + "/api/scenarios/" + bad); r.StatusCode != 404 {
			t.Fatalf("get %s: %d", bad, r.StatusCode)
		}
	}
	// Validation errors carry field paths.
	st, _, m = post(t, e.base+"/api/scenarios", `{"schemaVersion":1,"orgs":[{"name":"A","type":"galaxy"}],"events":[],"extra":1}`)
	if st != 400 || m["error"] != "invalid_scenario" {
		t.Fatalf("invalid: %d %v", st, m)
	}
	paths := []string{}
	for _, fe := range m["errors"].([]any) {
		paths = append(paths, fe.(map[string]any)["path"].(string))
	}
	if !strings.Contains(strings.Join(paths, " "), "/orgs/0/type") || !strings.Contains(strings.Join(paths, " "), "/extra") {
		t.Fatalf("paths %v", paths)
	}
	if st, _, _ := post(t, e.base+"/api/scenarios", `{`); st != 400 {
		t.Fatalf("syntax error: %d", st)
	}
	// Over 64 KiB: 413 with a JSON error.
	big := `{"schemaVersion":1,"title":"` + strings.Repeat("x", 70<<10) + `","orgs":[{"name":"A"}],"events":[]}`
	if st, h, m := post(t, e.base+"/api/scenarios", big); st != 413 || m["error"] != "too_large" || !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
		t.Fatalf("too large: %d %v", st, m)
	}
	// Real-looking secrets are refused, naming the JSON path.
	for path, mut := range map[string]func(m map[string]any){
		"/apps/0/oauth/consumerKey": func(m map[string]any) {
			appOAuth(m, 0)["consumerKey"] = "3MVG9A2kN3Bn17huXZp1OQhPe8y4_ozAQZZCKxsWbef9GjSnHGOunHSwhnY1BWz_5vHkTL9BeLMriIX8ElfXl"
		},
		"/lesson": func(m map[string]any) {
			m["lesson"] = "paste 00D5g000004XyZa!AQ4AQFNTYXfVm3jx5K2rO6.8pKqUJz0tWwNM_2NSiJfR7m8G5vVfx here"
		},
		"/apps/0/oauth/certificate": func(m map[string]any) {
			appOAuth(m, 0)["certificate"] = "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----"
		},
		"/orgs/0/users/0/password": func(m map[string]any) {
			m["orgs"].([]any)[0].(map[string]any)["users"].([]any)[0].(map[string]any)["password"] = "-----BEGIN PRIVATE KEY-----"
		},
	} {
		st, _, m := post(t, e.base+"/api/scenarios", string(scenarioJSON(t, mut)))
		if st != 422 || m["path"] != path {
			t.Errorf("%s: %d %v", path, st, m)
		}
	}
}

func compactSorted(t *testing.T, doc []byte) []byte {
	var v any
	d := json.NewDecoder(bytes.NewReader(doc))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

func TestEvaluateAPI(t *testing.T) {
	e := newEnv(t, envOpt{scenario: []byte(nil)})
	doc, _ := policy.Preset("web-server-self-authorize")
	st, _, m := post(t, e.base+"/api/evaluate", string(doc))
	if st != 200 || m["schemaVersion"] != float64(1) || len(m["results"].([]any)) == 0 {
		t.Fatalf("evaluate: %d %v", st, m)
	}
	if st, _, m := post(t, e.base+"/api/evaluate", `{"schemaVersion":2}`); st != 400 || m["errors"] == nil {
		t.Fatalf("invalid: %d %v", st, m)
	}
}

// The discovery document is what openid-client and oauth4webapi need.
func TestDiscovery(t *testing.T) {
	e := newEnv(t, envOpt{mode: "rfc"})
	for _, u := range []string{e.issuer + "/.well-known/openid-configuration", e.base + "/.well-known/oauth-authorization-server/o/" + e.orgID} {
		st, body := getBearer(t, u, "")
		var m map[string]any
		if st != 200 || json.Unmarshal([]byte(body), &m) != nil {
			t.Fatalf("%s: %d %s", u, st, body)
		}
		if m["issuer"] != e.issuer || m["authorization_response_iss_parameter_supported"] != true ||
			m["token_endpoint"] != e.issuer+"/services/oauth2/token" || m["jwks_uri"] != e.issuer+"/id/keys" ||
			m["revocation_endpoint"] == nil || m["introspection_endpoint"] == nil || m["userinfo_endpoint"] == nil {
			t.Fatalf("discovery %v", m)
		}
		if cm := m["code_challenge_methods_supported"].([]any); len(cm) != 1 || cm[0] != "S256" {
			t.Fatalf("code_challenge_methods_supported %v", cm)
		}
	}
	if st, _ := getBearer(t, e.base+"/o/aaaaaaaaaaaaaaaaaaaaaaaaaa/.well-known/openid-configuration", ""); st != 404 {
		t.Fatalf("unknown org: %d", st)
	}
}
