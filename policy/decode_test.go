package policy

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// specExample is the scenario of product.md, with its placeholders filled.
const specExample = `{
  "schemaVersion": 1,
  "title": "JWT bearer without pre-authorization",
  "now": "2026-03-01T09:00:00Z",
  "orgs": [{
    "name": "Acme",
    "id": "00D5g000004XyZaEAK",
    "type": "production",
    "myDomain": "acme",
    "createdAt": "2024-02-01",
    "settings": { "allowUsernamePasswordFlows": false, "allowUserAgentFlows": true,
                  "requirePkce": false, "apiAccessControl": false,
                  "soapApiLogin": true, "sessionTimeout": "2h" },
    "profiles": [{ "name": "Integration", "permissions": ["apiEnabled"],
                   "loginIpRanges": [{"start": "198.51.100.0", "end": "198.51.100.255"}],
                   "connectedApps": ["Acme Sync"] }],
    "permissionSets": [{ "name": "Sync Access", "permissions": [], "connectedApps": ["Acme Sync"] }],
    "users": [{ "username": "ana@acme.test", "profile": "Integration",
                "permissionSets": ["Sync Access"], "active": true, "hasPassword": true,
                "password": "pw", "securityToken": "tok", "approvedApps": ["Acme Sync"] }],
    "installedApps": [{ "app": "Acme Sync", "policies": { "permittedUsers": "adminApproved" },
                        "blocked": false }]
  }],
  "apps": [{
    "name": "Acme Sync",
    "kind": "connectedApp",
    "ownerOrg": "Acme ISV",
    "appId": "0Ci5g000000L0bECAS",
    "distribution": "none",
    "oauth": { "consumerKey": "key", "consumerSecret": "secret",
               "callbackUrls": ["https://app.acme.test/oauth/callback"],
               "scopes": ["api", "refresh_token"], "certificate": "-----BEGIN CERTIFICATE-----",
               "requireSecretForWebServerFlow": true, "requireSecretForRefreshTokenFlow": true,
               "requirePkce": false, "clientCredentials": {"enabled": false, "runAs": ""},
               "deviceFlow": false, "refreshTokenRotation": false },
    "policies": { "permittedUsers": "allSelfAuthorize",
                  "ipRelaxation": "enforce",
                  "refreshTokenPolicy": "validUntilRevoked",
                  "sessionTimeout": "", "highAssurance": "none" }
  }],
  "events": [
    { "id": "a1", "do": "authorize", "flow": "webServer", "org": "Acme", "app": "Acme Sync",
      "user": "ana@acme.test", "host": "login", "redirectUri": "https://app.acme.test/oauth/callback",
      "scope": "api refresh_token", "state": "xyz", "pkce": true, "fromIp": "203.0.113.9",
      "loginAs": false, "consent": "allow" },
    { "id": "t1", "do": "token", "grant": "authorization_code", "use": "a1",
      "clientSecret": "correct", "codeVerifier": "correct" },
    { "do": "wait", "for": "31d" },
    { "do": "token", "grant": "refresh_token", "use": "t1" },
    { "do": "admin", "org": "Acme", "action": "revokeApp", "app": "Acme Sync", "user": "ana@acme.test" },
    { "do": "api", "use": "t1" }
  ]
}`

// minimal is the smallest valid scenario; tests splice fields into it.
const minimal = `{"schemaVersion": 1, "orgs": [{"name": "Acme"}], "events": []}`

// twoOfEach has two orgs and two apps, so events must say which.
const twoOfEach = `{"schemaVersion": 1,
 "orgs": [{"name": "A", "users": [{"username": "u@a"}]}, {"name": "B", "users": [{"username": "u@b"}]}],
 "apps": [{"name": "X"}, {"name": "Y"}],
 "events": [%s]}`

// problems formats a DecodeError's problems as "L:C path: message".
func problems(err error) []string {
	var de *DecodeError
	if !errors.As(err, &de) {
		return []string{fmt.Sprintf("not a *DecodeError: %v", err)}
	}
	out := make([]string, len(de.Errors))
	for i, fe := range de.Errors {
		out[i] = fmt.Sprintf("%d:%d %s: %s", fe.Line, fe.Column, fe.Path, fe.Message)
	}
	return out
}

// checkProblems decodes doc and compares every problem with want.
func checkProblems(t *testing.T, doc string, want ...string) {
	t.Helper()
	s, err := Decode([]byte(doc))
	if len(want) == 0 {
		if err != nil {
			t.Fatalf("Decode: %v", err)
		}
		if s == nil {
			t.Fatal("Decode returned nil scenario and nil error")
		}
		return
	}
	if err == nil {
		t.Fatalf("Decode succeeded; want %q", want)
	}
	got := problems(err)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got %q; want %q", got, want)
	}
}

func TestDecodeValid(t *testing.T) {
	for _, tc := range []struct{ name, doc string }{
		{"minimal", minimal},
		{"spec example", specExample},
		{"nulls are absent", `{"schemaVersion": 1, "orgs": [{"name": "Acme", "users": null, "id": null}], "events": null}`},
		{"patch value takes anything", `{"schemaVersion": 1, "orgs": [{"name": "Acme"}], "events": [
			{"do": "admin", "action": "patch", "patch": [{"op": "add", "path": "/orgs/0/x", "value": {"any": [1, "two", null, {"deep": true}]}}]}]}`},
		{"use inherits org and app", fmt.Sprintf(twoOfEach,
			`{"id": "a", "do": "authorize", "org": "B", "app": "Y", "user": "u@b"}, {"do": "token", "use": "a", "user": "u@b"}`)},
		{"names after a patch are not checked", fmt.Sprintf(twoOfEach,
			`{"do": "admin", "org": "A", "action": "patch", "patch": [{"op": "add", "path": "/apps/-", "value": {"name": "Z"}}]}, {"do": "authorize", "org": "A", "app": "Z"}`)},
		{"wait needs no org", fmt.Sprintf(twoOfEach, `{"do": "wait", "for": "90m"}`)},
	} {
		t.Run(tc.name, func(t *testing.T) { checkProblems(t, tc.doc) })
	}
}

func TestDecodeSpecExample(t *testing.T) {
	s, err := Decode([]byte(specExample))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.Orgs[0].Users[0].PermissionSets[0], "Sync Access"; got != want {
		t.Errorf("got %q; want %q", got, want)
	}
	if got, want := *s.Events[0].RedirectURI, "https://app.acme.test/oauth/callback"; got != want {
		t.Errorf("got %q; want %q", got, want)
	}
	if got, want := len(s.Events), 6; got != want {
		t.Errorf("got %d events; want %d", got, want)
	}
}

func TestDecodeSyntax(t *testing.T) {
	for _, tc := range []struct{ name, doc, want string }{
		{"trailing comma", "{\n  \"orgs\": [\n    {\"name\": \"Acme\",}\n  ]\n}",
			"3:20 : Remove this comma: no comma may follow the last field"},
		{"empty", "", "1:1 : The document is empty: a scenario is a JSON object, { … }"},
		{"cut short", "{\"a\":\n \"b", "2:4 : The document ends inside a string: a closing \" is missing"},
		{"after the value", "{} x", "1:4 : Unexpected text after the end of the document"},
		{"columns count characters", `{"title": "héllo" x}`,
			"1:18 : Expected a comma or } after the value"},
		{"too deep", strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
			"1:65 : the document nests arrays and objects more than 64 levels deep here; the limit maxScenarioDepth is 64"},
		{"too deep inside a value", `{"title": [` + strings.Repeat(`{"a": "[{", "b": [`, 64) + strings.Repeat("]}", 64) + "]}",
			"1:570 : the document nests arrays and objects more than 64 levels deep here; the limit maxScenarioDepth is 64"},
		{"not an object", "[]", "1:1 : want an object, got an array"},
		{"null", " null", "1:2 : want an object, got null"},
	} {
		t.Run(tc.name, func(t *testing.T) { checkProblems(t, tc.doc, tc.want) })
	}
}

func TestDecodeErrorString(t *testing.T) {
	_, err := Decode([]byte("{\n \"orgs\": 1,\n \"x\": 2}"))
	want := "/schemaVersion: is required (must be 1)\n/orgs: want an array, got a number\n/x: unknown field \"x\""
	if err == nil || err.Error() != want {
		t.Errorf("got %q; want %q", err, want)
	}
	_, err = Decode([]byte("{,}"))
	want = "line 1, column 2: Expected a field name in double quotes"
	if err == nil || err.Error() != want {
		t.Errorf("got %q; want %q", err, want)
	}
}

func TestDecodeStructure(t *testing.T) {
	for _, tc := range []struct {
		name, doc string
		want      []string
	}{
		{"unknown field at depth with hint",
			"{\"schemaVersion\": 1, \"events\": [],\n \"orgs\": [{\"name\": \"Acme\",\n   \"setings\": {\"requirePkce\": true}}]}",
			[]string{`3:4 /orgs/0/setings: unknown field "setings"; did you mean "settings"?`}},
		{"unknown field, wrong case",
			`{"schemaVersion": 1, "events": [], "orgs": [{"Name": "Acme"}]}`,
			// encoding/json would match "Name" to name; Decode does not.
			[]string{`1:46 /orgs/0/Name: unknown field "Name"; did you mean "name"?`}},
		{"unknown field, no hint",
			`{"schemaVersion": 1, "events": [], "orgs": [{"name": "Acme", "zzz": 1}]}`,
			[]string{`1:62 /orgs/0/zzz: unknown field "zzz"`}},
		{"pointer escapes",
			`{"schemaVersion": 1, "events": [], "orgs": [{"name": "Acme", "a/b~c": 1}]}`,
			[]string{`1:62 /orgs/0/a~1b~0c: unknown field "a/b~c"`}},
		{"wrong type",
			`{"schemaVersion": 1, "events": [], "orgs": [{"name": "Acme", "users": [{"username": "a", "active": "yes"}]}]}`,
			[]string{`1:100 /orgs/0/users/0/active: want a boolean, got a string`}},
		{"wrong type is reported once",
			`{"schemaVersion": 1, "events": [], "orgs": {"name": "Acme"}}`,
			[]string{`1:44 /orgs: want an array, got an object`}},
		{"null element",
			`{"schemaVersion": 1, "events": [], "orgs": [{"name": "Acme"}], "apps": [null]}`,
			[]string{`1:73 /apps/0: want an object, got null`}},
		{"wrong element type",
			`{"schemaVersion": 1, "events": [], "orgs": [{"name": "Acme", "profiles": [{"name": "P", "permissions": [true]}]}]}`,
			[]string{`1:105 /orgs/0/profiles/0/permissions/0: want a string, got a boolean`}},
		{"integer",
			`{"schemaVersion": 1.5, "events": [], "orgs": [{"name": "Acme"}]}`,
			[]string{`1:19 /schemaVersion: want an integer, got 1.5`}},
		{"integer out of range",
			`{"schemaVersion": 99999999999999999999, "events": [], "orgs": [{"name": "Acme"}]}`,
			[]string{`1:19 /schemaVersion: number 99999999999999999999 is out of range`}},
		{"number out of range in a patch value",
			`{"schemaVersion": 1, "orgs": [{"name": "Acme"}], "events": [{"do": "admin", "action": "patch", "patch": [{"op": "add", "path": "/x", "value": [1e999]}]}]}`,
			[]string{`1:144 /events/0/patch/0/value/0: number 1e999 is out of range`}},
		{"duplicate key",
			"{\"schemaVersion\": 1, \"events\": [],\n \"orgs\": [{\"name\": \"Acme\",\n  \"name\": \"Other\"}]}",
			[]string{`3:3 /orgs/0/name: duplicate key "name" (first at line 2, column 12)`}},
		{"duplicate key in a patch value",
			`{"schemaVersion": 1, "orgs": [{"name": "Acme"}], "events": [{"do": "admin", "action": "patch", "patch": [{"op": "add", "path": "/x", "value": {"a": 1, "a": 2}}]}]}`,
			[]string{`1:152 /events/0/patch/0/value/a: duplicate key "a" (first at line 1, column 144)`}},
		{"all problems at once",
			`{"schemaVersion": 2, "orgs": [{"name": "", "type": "prod", "bogus": 1}]}`,
			[]string{
				`1:19 /schemaVersion: must be 1; got 2`,
				`1:40 /orgs/0/name: must not be empty`,
				`1:52 /orgs/0/type: must be one of production, sandbox, developer, scratch; got "prod"`,
				`1:60 /orgs/0/bogus: unknown field "bogus"`,
			}},
		{"required and missing",
			`{"events": [{"do": "wait"}]}`,
			[]string{`1:1 /schemaVersion: is required (must be 1)`, `1:1 /orgs: is required`}},
		{"at least one org",
			`{"schemaVersion": 1, "orgs": [], "events": []}`,
			[]string{`1:30 /orgs: must have at least 1 item; got 0`}},
		{"too long",
			`{"schemaVersion": 1, "orgs": [{"name": "` + strings.Repeat("é", 81) + `"}], "events": []}`,
			[]string{`1:40 /orgs/0/name: must be at most 80 characters long; got 81`}},
	} {
		t.Run(tc.name, func(t *testing.T) { checkProblems(t, tc.doc, tc.want...) })
	}
}

func TestDecodeOversize(t *testing.T) {
	doc := `{"schemaVersion": 1, "orgs": [{"name": "Acme"}], "events": [], "title": "` +
		strings.Repeat(" ", maxScenarioSize) + `"}`
	want := fmt.Sprintf("0:0 : scenario is %d bytes; the limit is 262144 bytes (256 KiB)", len(doc))
	checkProblems(t, doc, want)
}

func TestDecodeCapsProblems(t *testing.T) {
	doc := `{"schemaVersion": 1, "orgs": [{"name": "Acme"}], "events": [` +
		strings.TrimSuffix(strings.Repeat(`{"do": "x"},`, 60), ",") + `]}`
	got := Lint([]byte(doc))
	if len(got) != maxErrors {
		t.Fatalf("got %d problems; want %d", len(got), maxErrors)
	}
	if got, want := got[maxErrors-1].Message, "11 more problems not shown (showing the first 49)"; got != want {
		t.Errorf("got %q; want %q", got, want)
	}
}

// validatorDoc puts a value into a valid scenario at one of a few fields.
func validatorDoc(field, value string) string {
	switch field {
	case "org":
		return `{"schemaVersion": 1, "events": [], "orgs": [{"name": "Acme", ` + value + `}]}`
	case "app":
		return `{"schemaVersion": 1, "events": [], "orgs": [{"name": "Acme"}], "apps": [{"name": "X", ` + value + `}]}`
	case "event":
		return `{"schemaVersion": 1, "orgs": [{"name": "Acme"}], "events": [{"do": "authorize", ` + value + `}]}`
	}
	return `{"schemaVersion": 1, "events": [], "orgs": [{"name": "Acme"}], ` + value + `}`
}

func TestDecodeValidators(t *testing.T) {
	for _, tc := range []struct {
		name, field, value string
		want               string // "" for valid
	}{
		{"sfid 15", "org", `"id": "00D5g000004XyZa"`, ""},
		{"sfid 18", "org", `"id": "00D5g000004XyZaEAK"`, ""},
		{"sfid checksum", "org", `"id": "00D5g000004XyZaEAA"`,
			`/orgs/0/id: has a wrong case-checksum suffix: want "00D5g000004XyZaEAK"; got "00D5g000004XyZaEAA"`},
		{"sfid prefix", "org", `"id": "0055g000004XyZa"`,
			`/orgs/0/id: must be a 15- or 18-character Salesforce id starting with 00D; got "0055g000004XyZa"`},
		{"sfid length", "app", `"appId": "0Ci5g"`,
			`/apps/0/appId: must be a 15- or 18-character Salesforce id starting with 0Ci; got "0Ci5g"`},
		{"sfid characters", "org", `"id": "00D5g000004Xy-a"`,
			`/orgs/0/id: must be a 15- or 18-character Salesforce id starting with 00D; got "00D5g000004Xy-a"`},
		{"mydomain", "org", `"myDomain": "acme--uat"`, ""},
		{"mydomain dots", "org", `"myDomain": "acme.my.salesforce.com"`,
			`/orgs/0/myDomain: must be a My Domain name such as acme or acme--uat (lowercase letters, digits and hyphens; no scheme or dots); got "acme.my.salesforce.com"`},
		{"mydomain upper case", "org", `"myDomain": "Acme"`,
			`/orgs/0/myDomain: must be a My Domain name such as acme or acme--uat (lowercase letters, digits and hyphens; no scheme or dots); got "Acme"`},
		{"date", "org", `"createdAt": "2024-02-29"`, ""},
		{"date invalid", "org", `"createdAt": "2023-02-29"`,
			`/orgs/0/createdAt: must be a date such as 2024-02-01; got "2023-02-29"`},
		{"timestamp", "", `"now": "2026-03-01T09:00:00+01:00"`, ""},
		{"timestamp invalid", "", `"now": "2026-03-01 09:00"`,
			`/now: must be an RFC 3339 timestamp such as 2026-03-01T09:00:00Z; got "2026-03-01 09:00"`},
		{"duration", "org", `"settings": {"sessionTimeout": "31d"}`, ""},
		{"duration invalid", "org", `"settings": {"sessionTimeout": "2 hours"}`,
			`/orgs/0/settings/sessionTimeout: must be a duration such as 90m, 2h or 31d; got "2 hours"`},
		{"duration not a number", "event", `"for": "NaNd"`,
			`/events/0/for: must be a duration such as 90m, 2h or 31d; got "NaNd"`},
		{"callback https", "app", `"oauth": {"callbackUrls": ["https://app.test/cb?x=1"]}`, ""},
		{"callback http localhost", "app", `"oauth": {"callbackUrls": ["http://localhost:8080/cb"]}`, ""},
		{"callback custom scheme", "app", `"oauth": {"callbackUrls": ["myapp://cb", "com.example.app:/oauth2redirect"]}`, ""},
		{"callback fragment", "app", `"oauth": {"callbackUrls": ["https://app.test/cb#top"]}`,
			`/apps/0/oauth/callbackUrls/0: must be an absolute URL with a scheme and no fragment, at most 2000 characters (such as https://app.example.com/oauth/callback or myapp://callback); got "https://app.test/cb#top"`},
		{"callback relative", "app", `"oauth": {"callbackUrls": ["/cb"]}`,
			`/apps/0/oauth/callbackUrls/0: must be an absolute URL with a scheme and no fragment, at most 2000 characters (such as https://app.example.com/oauth/callback or myapp://callback); got "/cb"`},
		{"callback no host", "app", `"oauth": {"callbackUrls": ["https:///cb"]}`,
			`/apps/0/oauth/callbackUrls/0: must be an absolute URL with a scheme and no fragment, at most 2000 characters (such as https://app.example.com/oauth/callback or myapp://callback); got "https:///cb"`},
		{"scope", "app", `"oauth": {"scopes": ["api", "refresh_token", "openid", "mcp_api"]}`, ""},
		{"scope unknown", "app", `"oauth": {"scopes": ["api", "refresh-token"]}`,
			`/apps/0/oauth/scopes/1: must be a Salesforce OAuth scope such as api, refresh_token, full or openid; got "refresh-token"; did you mean "refresh_token"?`},
		{"permission", "org", `"profiles": [{"name": "P", "permissions": ["apiEnabled", "manageUsers"]}]`, ""},
		{"permission unknown", "org", `"permissionSets": [{"name": "P", "permissions": ["ApiEnabled"]}]`,
			`/orgs/0/permissionSets/0/permissions/0: must be one of apiEnabled, apiOnlyUser, approveUninstalledConnectedApps, useAnyApiClient, useAnyApiAuth, manageConnectedApps, customizeApplication, modifyAllData, manageUsers; got "ApiEnabled"; did you mean "apiEnabled"?`},
		{"rtpolicy", "app", `"policies": {"refreshTokenPolicy": "expireIfNotUsedFor:30d"}`, ""},
		{"rtpolicy fixed", "app", `"policies": {"refreshTokenPolicy": "immediatelyExpire"}`, ""},
		{"rtpolicy invalid", "app", `"policies": {"refreshTokenPolicy": "expireAfter:soon"}`,
			`/apps/0/policies/refreshTokenPolicy: must be validUntilRevoked, immediatelyExpire, expireIfNotUsedFor:<duration> or expireAfter:<duration> (such as expireAfter:90d); got "expireAfter:soon"`},
		{"host login", "event", `"host": "test"`, ""},
		{"host url", "event", `"host": "https://acme.my.site.com/partners"`, ""},
		{"host invalid", "event", `"host": "acme.my.salesforce.com"`,
			`/events/0/host: must be login, test, myDomain or an absolute https URL; got "acme.my.salesforce.com"`},
		{"ip", "event", `"fromIp": "2001:db8::1"`, ""},
		{"ip invalid", "event", `"fromIp": "203.0.113"`,
			`/events/0/fromIp: must be an IPv4 or IPv6 address; got "203.0.113"`},
		{"patch path", "event", `"patch": [{"op": "remove", "path": ""}]`, ""},
		{"patch path invalid", "event", `"patch": [{"op": "remove", "path": "orgs/0"}]`,
			`/events/0/patch/0/path: must be a JSON pointer: "" or starting with "/"; got "orgs/0"`},
		{"clock", "org", `"profiles": [{"name": "P", "loginHours": {"monday": {"start": "00:00", "end": "24:00"}, "friday": {"start": "08:30", "end": "17:59"}}}]`, ""},
		{"clock past midnight", "org", `"profiles": [{"name": "P", "loginHours": {"monday": {"start": "08:00", "end": "24:30"}}}]`,
			`/orgs/0/profiles/0/loginHours/monday/end: must be a time of day HH:MM from 00:00 to 24:00, such as 08:00; got "24:30"`},
		{"clock without a leading zero", "org", `"profiles": [{"name": "P", "loginHours": {"tuesday": {"start": "8:00", "end": "18:00"}}}]`,
			`/orgs/0/profiles/0/loginHours/tuesday/start: must be a time of day HH:MM from 00:00 to 24:00, such as 08:00; got "8:00"`},
		{"clock sign", "org", `"profiles": [{"name": "P", "loginHours": {"sunday": {"start": "-1:00", "end": "18:00"}}}]`,
			`/orgs/0/profiles/0/loginHours/sunday/start: must be a time of day HH:MM from 00:00 to 24:00, such as 08:00; got "-1:00"`},
		{"clock required", "org", `"profiles": [{"name": "P", "loginHours": {"sunday": {"start": "08:00"}}}]`,
			`/orgs/0/profiles/0/loginHours/sunday/end: is required`},
		{"utcoffset", "org", `"timeZone": "-08:00"`, ""},
		{"utcoffset half hour", "org", `"timeZone": "+05:30"`, ""},
		{"utcoffset zone name", "org", `"timeZone": "America/Los_Angeles"`,
			`/orgs/0/timeZone: must be a UTC offset such as -08:00 or +01:00 (at most 14 hours); got "America/Los_Angeles"`},
		{"utcoffset too far", "org", `"timeZone": "+15:00"`,
			`/orgs/0/timeZone: must be a UTC offset such as -08:00 or +01:00 (at most 14 hours); got "+15:00"`},
		{"trusted ip range", "org", `"settings": {"trustedIpRanges": [{"start": "10.0.0.0", "end": "10.0.0.9x"}]}`,
			`/orgs/0/settings/trustedIpRanges/0/end: must be an IPv4 or IPv6 address; got "10.0.0.9x"`},
		{"muting permission", "org", `"permissionSetGroups": [{"name": "G", "mutingPermissionSet": {"permissions": ["apiEnabld"]}}]`,
			`/orgs/0/permissionSetGroups/0/mutingPermissionSet/permissions/0: must be one of apiEnabled, apiOnlyUser, approveUninstalledConnectedApps, useAnyApiClient, useAnyApiAuth, manageConnectedApps, customizeApplication, modifyAllData, manageUsers; got "apiEnabld"; did you mean "apiEnabled"?`},
		{"saml grant", "event", `"grant": "saml_bearer"`, ""},
		{"oneof with hint", "event", `"consent": "alow"`,
			`/events/0/consent: must be one of allow, deny; got "alow"; did you mean "allow"?`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode([]byte(validatorDoc(tc.field, tc.value)))
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.want {
				t.Errorf("got %q; want %q", got, tc.want)
			}
		})
	}
}

func TestSfidValid(t *testing.T) {
	for _, tc := range []struct {
		id, prefix string
		want       bool
	}{
		{"00D5g000004XyZaEAK", "00D", true},
		{"0Ci5g000000L0bECAS", "0Ci", true},
		{"0Ci5g000000L0bE", "0Ci", true},
		{"0ci5g000000L0bE", "0Ci", false},
		{"0Ci5g000000L0bECAT", "0Ci", false},
		{"0Ci5g000000L0bECA", "0Ci", false},
		{"0Ci5g000000L0bECAS ", "0Ci", false},
		{"", "", false},
	} {
		if got := sfidValid(tc.id, tc.prefix); got != tc.want {
			t.Errorf("sfidValid(%q, %q): got %v; want %v", tc.id, tc.prefix, got, tc.want)
		}
	}
}

func TestCallbackValidLength(t *testing.T) {
	base := "https://app.test/"
	if long := base + strings.Repeat("a", maxCallbackLen-len(base)); !callbackValid(long) {
		t.Errorf("got false for %d characters; want true", len(long))
	}
	if tooLong := base + strings.Repeat("a", maxCallbackLen-len(base)+1); callbackValid(tooLong) {
		t.Errorf("got true for %d characters; want false", len(tooLong))
	}
}

func TestDecodeCrossReferences(t *testing.T) {
	org := func(body string) string {
		return `{"schemaVersion": 1, "events": [], "apps": [{"name": "Sync"}], "orgs": [{"name": "Acme", ` + body + `}]}`
	}
	for _, tc := range []struct {
		name, doc string
		want      []string
	}{
		{"duplicate org",
			`{"schemaVersion": 1, "events": [], "orgs": [{"name": "A"}, {"name": "A"}]}`,
			[]string{`1:69 /orgs/1/name: duplicate org name "A" (first at /orgs/0)`}},
		{"duplicate app",
			`{"schemaVersion": 1, "events": [], "orgs": [{"name": "A"}], "apps": [{"name": "X"}, {"name": "X"}]}`,
			[]string{`1:94 /apps/1/name: duplicate app name "X" (first at /apps/0)`}},
		{"duplicate username",
			org(`"users": [{"username": "a@x"}, {"username": "a@x"}]`),
			[]string{`1:134 /orgs/0/users/1/username: duplicate username "a@x" (first at /orgs/0/users/0)`}},
		{"missing profile",
			org(`"profiles": [{"name": "Integration"}], "users": [{"username": "a@x", "profile": "Integraton"}]`),
			[]string{`1:170 /orgs/0/users/0/profile: no profile named "Integraton" in org "Acme"; did you mean "Integration"?`}},
		{"missing permission set",
			org(`"users": [{"username": "a@x", "permissionSets": ["Sync Access"]}]`),
			[]string{`1:139 /orgs/0/users/0/permissionSets/0: no permission set named "Sync Access" in org "Acme"`}},
		{"missing apps",
			org(`"profiles": [{"name": "P", "connectedApps": ["Synk"]}], "permissionSets": [{"name": "S", "connectedApps": ["Other"]}], "users": [{"username": "a@x", "approvedApps": ["Sync", "Nope"]}], "installedApps": [{"app": "Gone"}]`),
			[]string{
				`1:135 /orgs/0/profiles/0/connectedApps/0: no app named "Synk"; did you mean "Sync"?`,
				`1:197 /orgs/0/permissionSets/0/connectedApps/0: no app named "Other"`,
				`1:264 /orgs/0/users/0/approvedApps/1: no app named "Nope"`,
				`1:301 /orgs/0/installedApps/0/app: no app named "Gone"`,
			}},
		{"event names",
			fmt.Sprintf(twoOfEach, `{"do": "authorize", "org": "C", "app": "Z"}, {"do": "api", "org": "A", "user": "u@b"}`),
			[]string{
				`4:40 /events/0/org: no org named "C"`,
				`4:52 /events/0/app: no app named "Z"`,
				`4:92 /events/1/user: no user named "u@b" in org "A"; did you mean "u@a"?`,
			}},
		{"event org and app required",
			fmt.Sprintf(twoOfEach, `{"do": "token", "grant": "password"}, {"do": "soapLogin", "user": "u@a"}`),
			[]string{
				`4:13 /events/0/org: is required when the scenario has 2 orgs`,
				`4:13 /events/0/app: is required when the scenario has 2 apps`,
				`4:51 /events/1/org: is required when the scenario has 2 orgs`,
			}},
		{"use",
			`{"schemaVersion": 1, "orgs": [{"name": "A"}], "events": [{"id": "t", "do": "token", "use": "later"}, {"id": "later", "do": "wait", "use": "later"}, {"do": "api", "use": "tt"}]}`,
			[]string{
				`1:92 /events/0/use: event "later" comes later (/events/1); use names an earlier event`,
				`1:139 /events/1/use: an event cannot use itself`,
				`1:170 /events/2/use: no event with id "tt"`,
			}},
		{"duplicate event id",
			`{"schemaVersion": 1, "orgs": [{"name": "A"}], "events": [{"id": "a", "do": "wait"}, {"id": "a", "do": "wait"}]}`,
			[]string{`1:92 /events/1/id: duplicate event id "a" (first at /events/0)`}},
		{"permission set groups",
			org(`"permissionSets": [{"name": "S"}], "permissionSetGroups": [{"name": "G", "permissionSets": ["S", "T"], "mutingPermissionSet": {"connectedApps": ["Synk"]}}, {"name": "G"}], "users": [{"username": "a@x", "permissionSetGroups": ["G", "H"]}]`),
			[]string{
				`1:187 /orgs/0/permissionSetGroups/0/permissionSets/1: no permission set named "T" in org "Acme"`,
				`1:235 /orgs/0/permissionSetGroups/0/mutingPermissionSet/connectedApps/0: no app named "Synk"; did you mean "Sync"?`,
				`1:255 /orgs/0/permissionSetGroups/1/name: duplicate permission set group name "G" (first at /orgs/0/permissionSetGroups/0)`,
				`1:321 /orgs/0/users/0/permissionSetGroups/1: no permission set group named "H" in org "Acme"`,
			}},
		{"event permission set group",
			`{"schemaVersion": 1, "orgs": [{"name": "A", "permissionSetGroups": [{"name": "G"}], "users": [{"username": "u@a"}]}], "events": [{"do": "admin", "action": "assignPermissionSetGroup", "user": "u@a", "permissionSetGroup": "H"}]}`,
			[]string{`1:221 /events/0/permissionSetGroup: no permission set group named "H" in org "A"`}},
		{"single org implied",
			`{"schemaVersion": 1, "orgs": [{"name": "A", "permissionSets": [{"name": "S"}]}], "events": [{"do": "admin", "action": "assignPermissionSet", "user": "nobody", "permissionSet": "T"}]}`,
			[]string{
				`1:150 /events/0/user: no user named "nobody" in org "A"`,
				`1:177 /events/0/permissionSet: no permission set named "T" in org "A"`,
			}},
	} {
		t.Run(tc.name, func(t *testing.T) { checkProblems(t, tc.doc, tc.want...) })
	}
}

func TestLint(t *testing.T) {
	if got := Lint([]byte(minimal)); got != nil {
		t.Errorf("got %v; want nil", got)
	}
	got := Lint([]byte(`{"schemaVersion": 1, "orgs": [{"name": "Acme", "type": "prod"}], "events": []}`))
	want := []FieldError{{Path: "/orgs/0/type", Message: `must be one of production, sandbox, developer, scratch; got "prod"`, Line: 1, Column: 56}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %q; want %q", got, want)
	}
}

func TestFieldErrorJSON(t *testing.T) {
	for _, tc := range []struct {
		fe   FieldError
		want string
	}{
		{FieldError{Message: "too big"}, `{"path":"","message":"too big"}`},
		{FieldError{Path: "/orgs/0/name", Message: "is required", Line: 3, Column: 7},
			`{"path":"/orgs/0/name","message":"is required","line":3,"column":7}`},
	} {
		b, err := json.Marshal(tc.fe)
		if err != nil {
			t.Fatal(err)
		}
		if got := string(b); got != tc.want {
			t.Errorf("got %q; want %q", got, tc.want)
		}
	}
}

func TestNamespacePointer(t *testing.T) {
	for _, tc := range []struct{ ns, want string }{
		{"Scenario", ""},
		{"Scenario.orgs", "/orgs"},
		{"Scenario.orgs[0].users[12].username", "/orgs/0/users/12/username"},
		{"Scenario.apps[1].oauth.scopes[3]", "/apps/1/oauth/scopes/3"},
	} {
		if got := namespacePointer(tc.ns); got != tc.want {
			t.Errorf("namespacePointer(%q): got %q; want %q", tc.ns, got, tc.want)
		}
	}
}

func TestClosest(t *testing.T) {
	names := []string{"name", "settings", "users", "id", "for"}
	for _, tc := range []struct{ in, want string }{
		{"setings", "settings"},
		{"Name", "name"},
		{"usrs", "users"},
		{"ix", "id"},
		{"nmae", "name"},
		{"sertings", "settings"},
		{"fro", "for"},
		{"xyz", ""},
		{"", ""},
		{strings.Repeat("a", 100), ""},
	} {
		if got := closest(tc.in, names); got != tc.want {
			t.Errorf("closest(%q): got %q; want %q", tc.in, got, tc.want)
		}
	}
}
