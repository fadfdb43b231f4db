package policy

import (
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestEnumsMatchDecode: every value Enums lists for a field decodes, and a
// value it does not list is refused at that field: the playground's form
// offers exactly what the engine accepts.
func TestEnumsMatchDecode(t *testing.T) {
	enums := Enums()
	tests := []struct {
		pattern, ptr string // ptr: where the base document holds that field
		want         string // one value the list must hold
	}{
		{"/events/*/do", "/events/0/do", "soapLogin"},
		{"/events/*/grant", "/events/1/grant", "saml_bearer"},
		{"/events/*/action", "/events/2/action", "freezeUser"},
		{"/apps/*/policies/permittedUsers", "/apps/0/policies/permittedUsers", "adminApproved"},
		{"/orgs/*/installedApps/*/policies/ipRelaxation", "/orgs/0/installedApps/0/policies/ipRelaxation", "relax"},
		{"/orgs/*/type", "/orgs/0/type", "sandbox"},
		{"/apps/*/kind", "/apps/0/kind", "externalClientApp"},
		{"/events/*/expect/outcome", "/events/0/expect/outcome", "denied"},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			values := enums[tt.pattern]
			if !slices.Contains(values, tt.want) {
				t.Fatalf("Enums()[%q] = %v; want it to list %q", tt.pattern, values, tt.want)
			}
			for _, v := range append(slices.Clone(values), "bogus") {
				doc := enumDoc(t, tt.ptr, v)
				_, err := Decode(doc)
				var de *DecodeError
				refused := errors.As(err, &de) && slices.ContainsFunc(de.Errors, func(e FieldError) bool { return e.Path == tt.ptr })
				if refused != (v == "bogus") {
					t.Errorf("%s = %q: Decode error %v; want refused only for a value outside %v", tt.ptr, v, err, values)
				}
			}
		})
	}
}

// enumDoc is a small valid scenario with value set at ptr.
func enumDoc(t *testing.T, ptr, value string) []byte {
	t.Helper()
	var doc map[string]any
	base := `{"schemaVersion":1,"orgs":[{"name":"Acme","installedApps":[{"app":"Sync"}]}],"apps":[{"name":"Sync","ownerOrg":"Acme"}],
	  "events":[{"do":"authorize","user":"x"},{"do":"token","grant":"authorization_code"},{"do":"admin","action":"installApp"}]}`
	if err := json.Unmarshal([]byte(base), &doc); err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(ptr, "/")[1:]
	var cur any = doc
	for i, p := range parts {
		last := i == len(parts)-1
		switch c := cur.(type) {
		case map[string]any:
			if last {
				c[p] = value
			} else if c[p] == nil {
				c[p] = map[string]any{}
			}
			cur = c[p]
		case []any:
			n, _ := strconv.Atoi(p)
			cur = c[n]
		}
	}
	out, _ := json.Marshal(doc)
	return out
}

// TestLiveClient: the live org's credentials, with and without secrets.
func TestLiveClient(t *testing.T) {
	s := &Scenario{
		Orgs: []Org{{Name: "Acme", Users: []User{{Username: "ana@acme.test"}, {Username: "bob@acme.test", Password: "pw-bob"}}}},
		Apps: []App{{Name: "Sync", OAuth: OAuthConfig{CallbackURLs: []string{"https://app.test/cb"}}}, {Name: "Keyed", OAuth: OAuthConfig{ConsumerKey: "key1", ConsumerSecret: "sec1"}}},
	}
	got := s.LiveClient(true)
	wantApps := []LiveClientApp{
		{Name: "Sync", ClientID: s.Apps[0].ConsumerKey(), ClientSecret: LiveDefaultSecret, CallbackURLs: []string{"https://app.test/cb"}, Scopes: []string{}},
		{Name: "Keyed", ClientID: "key1", ClientSecret: "sec1", CallbackURLs: []string{}, Scopes: []string{}},
	}
	wantUsers := []LiveClientUser{{Org: "Acme", Username: "ana@acme.test", Password: LiveDefaultPassword}, {Org: "Acme", Username: "bob@acme.test", Password: "pw-bob"}}
	if !slices.EqualFunc(got.Apps, wantApps, func(a, b LiveClientApp) bool {
		return a.Name == b.Name && a.ClientID == b.ClientID && a.ClientSecret == b.ClientSecret && slices.Equal(a.CallbackURLs, b.CallbackURLs)
	}) || !slices.Equal(got.Users, wantUsers) {
		t.Errorf("LiveClient(true) = %+v; want apps %+v, users %+v", got, wantApps, wantUsers)
	}
	public := s.LiveClient(false)
	for _, a := range public.Apps {
		if a.ClientSecret != "" {
			t.Errorf("LiveClient(false) shows app %s's secret %q", a.Name, a.ClientSecret)
		}
	}
	for _, u := range public.Users {
		if u.Password != "" {
			t.Errorf("LiveClient(false) shows %s's password %q", u.Username, u.Password)
		}
	}
}

// TestScopeLabelList: Setup's labels in order, aliases once, unknown scopes as is.
func TestScopeLabelList(t *testing.T) {
	got := ScopeLabelList([]string{"api", "refresh_token", "offline_access", "cdp_api"})
	want := []string{"Manage user data via APIs (api)", "Perform requests at any time (refresh_token, offline_access)", "cdp_api"}
	if !slices.Equal(got, want) {
		t.Errorf("ScopeLabelList = %q; want %q", got, want)
	}
}
