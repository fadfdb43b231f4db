package httpapi_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/caplab/caplab/lambda/soql"
	"github.com/caplab/caplab/policy"
)

// restScenario is the test scenario with the username-password flow on,
// names for ana, a permission set assigned to her, and an admin (Manage
// Users) who sees every user's audit rows.
func restScenario(t *testing.T, mutate func(m map[string]any)) []byte {
	return scenarioJSON(t, func(m map[string]any) {
		withPasswordFlows(m)
		org := m["orgs"].([]any)[0].(map[string]any)
		org["profiles"] = append(org["profiles"].([]any), map[string]any{"name": "Admin", "permissions": []any{"apiEnabled", "manageUsers"}})
		org["permissionSets"] = []any{map[string]any{"name": "API Access", "permissions": []any{"apiEnabled"}}}
		users := org["users"].([]any)
		ana := users[0].(map[string]any)
		ana["firstName"], ana["lastName"], ana["permissionSets"] = "Ana", "Silva", []any{"API Access"}
		org["users"] = append(users, map[string]any{"username": "root@acme.test", "profile": "Admin", "password": "root-Pa55"})
		if mutate != nil {
			mutate(m)
		}
	})
}

// passwordToken is an access token of user by the username-password flow.
func passwordToken(t *testing.T, e *env, user, pw string) string {
	t.Helper()
	st, _, m := postForm(t, e.endpoint("token"), url.Values{"grant_type": {"password"}, "username": {user}, "password": {pw}}, clientID, clientSecret)
	if st != 200 {
		t.Fatalf("password flow as %s: %d %v", user, st, m)
	}
	return m["access_token"].(string)
}

// getJSON GETs u with a bearer token and decodes the JSON answer into v.
func getJSON(t *testing.T, u, token string, v any) int {
	t.Helper()
	st, body := getBearer(t, u, token)
	if err := json.Unmarshal([]byte(body), v); err != nil {
		t.Fatalf("GET %s: %d %s: %v", u, st, body, err)
	}
	return st
}

// data is the URL of a REST resource of the live org.
func (e *env) data(path string) string { return e.issuer + "/services/data" + path }

func query(e *env, version, soqlText string) string {
	return e.data("/v" + version + "/query?q=" + url.QueryEscape(soqlText))
}

// restErr is one element of a REST error body.
type restErr struct {
	Message   string `json:"message"`
	ErrorCode string `json:"errorCode"`
}

// TestRESTVersions: the versions list needs no token and lists every
// version served at the org's simulated date; retired versions answer 410
// GONE, unreleased ones 404 NOT_FOUND.
func TestRESTVersions(t *testing.T) {
	type version struct{ Label, URL, Version string }
	for _, tc := range []struct {
		now                 string
		first, last         version
		retired, unreleased string
	}{
		{"2026-03-01T09:00:00Z", version{"Winter '11", "/services/data/v20.0", "20.0"}, version{"Spring '26", "/services/data/v66.0", "66.0"}, "30.0", "67.0"},
		{"2021-01-01T09:00:00Z", version{"Winter '11", "/services/data/v20.0", "20.0"}, version{"Winter '21", "/services/data/v50.0", "50.0"}, "", "51.0"},
		{"2026-12-02T09:00:00Z", version{"Winter '11", "/services/data/v20.0", "20.0"}, version{"Winter '27", "/services/data/v68.0", "68.0"}, "20.0", "69.0"},
	} {
		t.Run(tc.now, func(t *testing.T) {
			e := newEnv(t, envOpt{scenario: restScenario(t, func(m map[string]any) { m["now"] = tc.now })})
			for _, u := range []string{e.data(""), e.data("/")} {
				var got []version
				if st := getJSON(t, u, "", &got); st != 200 || len(got) == 0 {
					t.Fatalf("GET %s: %d %v", u, st, got)
				}
				tc.first.URL, tc.last.URL = e.orgPath+strings.TrimPrefix(tc.first.URL, e.orgPath), e.orgPath+strings.TrimPrefix(tc.last.URL, e.orgPath)
				if got[0] != tc.first || got[len(got)-1] != tc.last {
					t.Errorf("versions %v … %v; want %v … %v", got[0], got[len(got)-1], tc.first, tc.last)
				}
			}
			tok := passwordToken(t, e, username, password)
			var errs []restErr
			// Every version from v20.0 answers (caplab's contract); one
			// Salesforce has retired says so in a Warning header.
			if tc.retired != "" {
				req, _ := http.NewRequest("GET", e.data("/v"+tc.retired+"/limits"), nil)
				req.Header.Set("Authorization", "Bearer "+tok)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Warning"), "retired on Salesforce") {
					t.Errorf("v%s (retired on Salesforce): %d Warning %q; want 200 with a Warning", tc.retired, resp.StatusCode, resp.Header.Get("Warning"))
				}
			}
			if st := getJSON(t, e.data("/v19.0/"), tok, &errs); st != http.StatusGone || errs[0].ErrorCode != "GONE" {
				t.Errorf("v19.0: %d %v; want 410 GONE (before caplab's v20.0, retired on Salesforce since Summer '22)", st, errs)
			}
			for _, v := range []string{tc.unreleased, "62.1", "x"} {
				if st := getJSON(t, e.data("/v"+v+"/limits"), tok, &errs); st != 404 || errs[0] != (restErr{"The requested resource does not exist", "NOT_FOUND"}) {
					t.Errorf("v%s: %d %v; want 404 NOT_FOUND", v, st, errs)
				}
			}
			var root map[string]string
			if st := getJSON(t, e.data("/latest"), tok, &root); st != 200 || root["query"] != e.orgPath+"/services/data/v"+tc.last.Version+"/query" ||
				!strings.HasPrefix(root["identity"], e.issuer+"/id/") {
				t.Errorf("latest: %d %v; want v%s's resources and the identity URL", st, root, tc.last.Version)
			}
		})
	}
	e := newEnv(t, envOpt{scenario: restScenario(t, nil)})
	req, _ := http.NewRequest("POST", e.data("/v62.0/query"), strings.NewReader("{}"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var errs []restErr
	json.NewDecoder(resp.Body).Decode(&errs)
	resp.Body.Close()
	if resp.StatusCode != 405 || len(errs) != 1 || errs[0] != (restErr{"HTTP Method 'POST' not allowed. Allowed are GET,HEAD", "METHOD_NOT_ALLOWED"}) {
		t.Errorf("POST: %d %v; want 405 METHOD_NOT_ALLOWED", resp.StatusCode, errs)
	}
	if st, body := getBearer(t, e.data("/v62.0/query?q=SELECT+Id+FROM+User"), ""); st != 401 || !strings.Contains(body, "INVALID_SESSION_ID") {
		t.Errorf("no token: %d %s; want 401 INVALID_SESSION_ID", st, body)
	}
}

// TestRESTQuery: SOQL at jsforce's default version and at the current one,
// records in Salesforce's shape (attributes first, fields in the order
// asked), COUNT(), and the column metadata `sf data query` reads.
func TestRESTQuery(t *testing.T) {
	e := newEnv(t, envOpt{scenario: restScenario(t, nil)})
	tok := passwordToken(t, e, username, password)
	org := orgIDs(t, e, tok)
	for _, v := range []string{"50.0", "66.0"} {
		st, body := getBearer(t, query(e, v, "SELECT Id, Name FROM Organization"), tok)
		want := `{"totalSize":1,"done":true,"records":[{"attributes":{"type":"Organization","url":"` + e.orgPath + `/services/data/v` + v +
			`/sobjects/Organization/` + org.org + `"},"Id":"` + org.org + `","Name":"Acme"}]}`
		if st != 200 || strings.TrimSpace(body) != want {
			t.Errorf("v%s: %d\n%s\nwant\n%s", v, st, body, want)
		}
	}
	var res struct {
		TotalSize int              `json:"totalSize"`
		Done      bool             `json:"done"`
		Records   []map[string]any `json:"records"`
	}
	getJSON(t, query(e, "62.0", "SELECT Username, Name, FirstName, ProfileId, IsActive FROM User WHERE IsActive = true ORDER BY Username DESC"), tok, &res)
	if res.TotalSize != 3 || !res.Done || res.Records[0]["Username"] != "root@acme.test" || res.Records[2]["Name"] != "Ana Silva" ||
		res.Records[2]["FirstName"] != "Ana" || res.Records[1]["FirstName"] != nil || res.Records[1]["Name"] != "bo" {
		t.Errorf("users: %+v", res)
	}
	getJSON(t, query(e, "62.0", "SELECT COUNT() FROM User WHERE Username != 'bo@acme.test'"), tok, &res)
	if res.TotalSize != 2 || len(res.Records) != 0 {
		t.Errorf("COUNT(): %+v; want totalSize 2, no records", res)
	}
	var pset struct{ Records []map[string]any }
	getJSON(t, query(e, "62.0", "SELECT AssigneeId, PermissionSetId FROM PermissionSetAssignment"), tok, &pset)
	if len(pset.Records) != 1 || pset.Records[0]["AssigneeId"] != org.user {
		t.Errorf("PermissionSetAssignment: %+v; want ana's", pset.Records)
	}
	var cols struct {
		ColumnMetadata []struct {
			ColumnName, ApexType string
			TextType, Aggregate  bool
			JoinColumns          []any
		}
		EntityName string
		IdSelected bool
		KeyPrefix  string
	}
	getJSON(t, query(e, "62.0", "SELECT Id, Username FROM User")+"&columns=true", tok, &cols)
	if len(cols.ColumnMetadata) != 2 || cols.ColumnMetadata[0].ApexType != "Id" || cols.ColumnMetadata[1].ColumnName != "Username" ||
		!cols.ColumnMetadata[1].TextType || cols.EntityName != "User" || !cols.IdSelected || cols.KeyPrefix != "005" || cols.ColumnMetadata[0].JoinColumns == nil {
		t.Errorf("columns=true: %+v", cols)
	}
}

type ids struct{ org, user string }

// orgIDs reads the org's and the token's user's ids from the identity URL.
func orgIDs(t *testing.T, e *env, tok string) ids {
	t.Helper()
	var m map[string]any
	getJSON(t, e.endpoint("userinfo"), tok, &m)
	return ids{m["organization_id"].(string), m["user_id"].(string)}
}

// TestRESTQueryErrors: each SOQL error over HTTP, in Salesforce's shape:
// 400 and [{"message", "errorCode"}].
func TestRESTQueryErrors(t *testing.T) {
	e := newEnv(t, envOpt{scenario: restScenario(t, nil)})
	tok := passwordToken(t, e, username, password)
	for _, tc := range []struct{ q, code, msg string }{
		{"SELECT Nope FROM User", soql.CodeInvalidField, "\nSELECT Nope FROM User\n       ^\nERROR at Row:1:Column:8\nNo such column 'Nope' on entity 'User'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names."},
		{"SELECT Id FROM Account", soql.CodeInvalidType, "\nSELECT Id FROM Account\n               ^\nERROR at Row:1:Column:16\nsObject type 'Account' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names."},
		{"SELECT Id FRM User", soql.CodeMalformed, "\nSELECT Id FRM User\n          ^\nERROR at Row:1:Column:11\nunexpected token: 'FRM'"},
		{"SELECT Id FROM User WHERE Id = '53'", soql.CodeFilterOperator, "\nSELECT Id FROM User WHERE Id = '53'\n                          ^\nERROR at Row:1:Column:27\ninvalid ID field: 53"},
		{"SELECT Id FROM LoginHistory WHERE Status = 'Success'", soql.CodeInvalidField, "\nSELECT Id FROM LoginHistory WHERE Status = 'Success'\n                                  ^\nERROR at Row:1:Column:35\nfield 'Status' can not be filtered in a query call"},
		{"SELECT Id, Id FROM User", soql.CodeInvalidField, "duplicate field selected: Id"},
	} {
		var errs []restErr
		if st := getJSON(t, query(e, "62.0", tc.q), tok, &errs); st != 400 || len(errs) != 1 || errs[0] != (restErr{tc.msg, tc.code}) {
			t.Errorf("%q: %d %q; want 400 %s %q", tc.q, st, errs, tc.code, tc.msg)
		}
	}
	var errs []restErr
	if st := getJSON(t, e.data("/v62.0/query"), tok, &errs); st != 400 || errs[0].ErrorCode != "MALFORMED_QUERY" {
		t.Errorf("no q: %d %v; want 400 MALFORMED_QUERY", st, errs)
	}
}

// TestRESTLimitsAndDescribe: limits, describeGlobal, and each object's
// basic information and describe.
func TestRESTLimitsAndDescribe(t *testing.T) {
	e := newEnv(t, envOpt{scenario: restScenario(t, nil)})
	tok := passwordToken(t, e, username, password)
	var limits map[string]struct{ Max, Remaining int }
	if st := getJSON(t, e.data("/v50.0/limits"), tok, &limits); st != 200 || limits["DailyApiRequests"].Max != 100_000 ||
		limits["DailyApiRequests"].Remaining > limits["DailyApiRequests"].Max {
		t.Errorf("limits: %d %v", st, limits["DailyApiRequests"])
	}
	var global struct {
		Encoding     string
		MaxBatchSize int
		Sobjects     []struct {
			Name, KeyPrefix string
			Queryable       bool
			URLs            map[string]string `json:"urls"`
		}
	}
	getJSON(t, e.data("/v50.0/sobjects/"), tok, &global)
	var names []string
	for _, o := range global.Sobjects {
		names = append(names, o.Name)
		if !o.Queryable || o.URLs["describe"] != e.orgPath+"/services/data/v50.0/sobjects/"+o.Name+"/describe" {
			t.Errorf("describeGlobal %s: %+v", o.Name, o)
		}
	}
	want := []string{"ConnectedApplication", "LoginHistory", "OauthToken", "Organization", "PermissionSet", "PermissionSetAssignment", "Profile", "User"}
	if global.Encoding != "UTF-8" || global.MaxBatchSize != 200 || !slices.Equal(names, want) {
		t.Errorf("describeGlobal: %s %d %v; want UTF-8 200 %v", global.Encoding, global.MaxBatchSize, names, want)
	}
	for _, name := range want {
		var d struct {
			Name, KeyPrefix string
			Fields          []struct {
				Name, Type, Label, SoapType string
				Nillable, Filterable        bool
			}
		}
		if st := getJSON(t, e.data("/v62.0/sobjects/"+name+"/describe"), tok, &d); st != 200 || d.Name != name || len(d.Fields) < 3 {
			t.Errorf("describe %s: %d %+v", name, st, d)
			continue
		}
		for _, f := range d.Fields {
			if f.Name == "" || f.Type == "" || f.Label == "" || f.SoapType == "" {
				t.Errorf("describe %s: field %+v lacks a property", name, f)
			}
		}
		var info struct{ ObjectDescribe struct{ Name string } }
		if st := getJSON(t, e.data("/v62.0/sobjects/"+name), tok, &info); st != 200 || info.ObjectDescribe.Name != name {
			t.Errorf("sobjects/%s: %d %+v", name, st, info)
		}
	}
	var errs []restErr
	if st := getJSON(t, e.data("/v62.0/sobjects/Account/describe"), tok, &errs); st != 404 || errs[0].ErrorCode != "NOT_FOUND" {
		t.Errorf("describe Account: %d %v; want 404 NOT_FOUND", st, errs)
	}
}

// TestRESTRecord: a record by its 18- or 15-character id; a wrong id is
// 404 NOT_FOUND.
func TestRESTRecord(t *testing.T) {
	e := newEnv(t, envOpt{scenario: restScenario(t, nil)})
	tok := passwordToken(t, e, username, password)
	me := orgIDs(t, e, tok)
	for _, id := range []string{me.user, me.user[:15]} {
		var u map[string]any
		if st := getJSON(t, e.data("/v62.0/sobjects/User/"+id), tok, &u); st != 200 || u["Id"] != me.user || u["Username"] != username ||
			u["LastName"] != "Silva" || u["Email"] != username || u["TimeZoneSidKey"] != policy.UserTimeZone {
			t.Errorf("User/%s: %d %v", id, st, u)
		}
	}
	st, body := getBearer(t, e.data("/v62.0/sobjects/User/"+me.user+"?fields=Username,IsActive"), tok)
	if want := `{"attributes":{"type":"User","url":"` + e.orgPath + `/services/data/v62.0/sobjects/User/` + me.user + `"},"Username":"ana@acme.test","IsActive":true}`; st != 200 || strings.TrimSpace(body) != want {
		t.Errorf("?fields=: %d %s; want %s", st, body, want)
	}
	var org map[string]any
	if st := getJSON(t, e.data("/v62.0/sobjects/Organization/"+me.org), tok, &org); st != 200 || org["Name"] != "Acme" || org["IsSandbox"] != false {
		t.Errorf("Organization: %d %v", st, org)
	}
	wrong := policy.GenerateID("005", "nobody")
	for _, u := range []string{"/v62.0/sobjects/User/" + wrong, "/v62.0/sobjects/Profile/" + me.user, "/v62.0/sobjects/OauthToken/" + wrong} {
		var errs []restErr
		if st := getJSON(t, e.data(u), tok, &errs); st != 404 || errs[0] != (restErr{"The requested resource does not exist", "NOT_FOUND"}) {
			t.Errorf("%s: %d %v; want 404 NOT_FOUND", u, st, errs)
		}
	}
	var errs []restErr
	if st := getJSON(t, e.data("/v62.0/sobjects/User/abc"), tok, &errs); st != 404 || errs[0].ErrorCode != "NOT_FOUND" {
		t.Errorf("malformed id: %d %v", st, errs)
	}
}

// TestOauthTokenUseCount: an approval shows as an OauthToken row of its
// user, and each refresh counts a use.
func TestOauthTokenUseCount(t *testing.T) {
	e := newEnv(t, envOpt{scenario: restScenario(t, nil)})
	conf := oauthConfig(e, oauth2.AuthStyleInParams)
	verifier := "v3rifier-v3rifier-v3rifier-v3rifier-v3rifier-01"
	q := codeFlow(t, e, e.browser(), conf, verifier, "st")
	tok, err := conf.Exchange(t.Context(), q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	me := orgIDs(t, e, tok.AccessToken)
	var rows struct {
		TotalSize int
		Records   []map[string]any
	}
	soqlText := "SELECT AppName, UserId, UseCount, CreatedDate, LastUsedDate FROM OauthToken"
	getJSON(t, query(e, "62.0", soqlText), tok.AccessToken, &rows)
	if rows.TotalSize != 1 || rows.Records[0]["AppName"] != "Acme Sync" || rows.Records[0]["UserId"] != me.user || rows.Records[0]["UseCount"] != float64(1) {
		t.Fatalf("after the approval: %+v; want one row, Acme Sync, ana, UseCount 1", rows)
	}
	first := rows.Records[0]["LastUsedDate"]
	if a, ok := rows.Records[0]["attributes"].(map[string]any); !ok || a["url"] != nil {
		t.Errorf("attributes %v; want a type and no url (OauthToken ids are null)", rows.Records[0]["attributes"])
	}
	access := tok.AccessToken
	for i := range 2 {
		e.clock.Advance(2 * time.Second)
		st, _, m := postForm(t, e.endpoint("token"), url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}}, clientID, clientSecret)
		if st != 200 {
			t.Fatalf("refresh %d: %d %v", i, st, m)
		}
		access = m["access_token"].(string)
	}
	getJSON(t, query(e, "62.0", soqlText+" WHERE UseCount > 2"), access, &rows)
	if rows.TotalSize != 1 || rows.Records[0]["UseCount"] != float64(3) || rows.Records[0]["LastUsedDate"] == first {
		t.Errorf("after two refreshes: %+v; want UseCount 3 and a later LastUsedDate than %v", rows, first)
	}
	// bo sees only his own approvals: none.
	getJSON(t, query(e, "62.0", soqlText), passwordToken(t, e, "bo@acme.test", "password"), &rows)
	if rows.TotalSize != 0 {
		t.Errorf("bo sees %d of ana's OAuth tokens; want 0", rows.TotalSize)
	}
}

// TestLoginHistoryRows: failed and successful logins at the login page and
// the token endpoint, with Salesforce's statuses and login types; users
// see their own rows, an admin with Manage Users sees everyone's.
func TestLoginHistoryRows(t *testing.T) {
	e := newEnv(t, envOpt{scenario: restScenario(t, nil)})
	b := e.browser()
	authURL := e.endpoint("authorize") + "?" + url.Values{"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {callback}}.Encode()
	p := b.get(authURL)
	b.postNoFollow(e.endpoint("authorize"), url.Values{"csrf": {csrf(t, p)}, "username": {username}, "password": {"wrong"}})
	p = b.get(authURL)
	p = b.postNoFollow(e.endpoint("authorize"), url.Values{"csrf": {csrf(t, p)}, "username": {username}, "password": {password}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("login: %d", p.status)
	}
	other := e.browser()
	p = other.get(authURL)
	other.postNoFollow(e.endpoint("authorize"), url.Values{"csrf": {csrf(t, p)}, "username": {"nobody@acme.test"}, "password": {"x"}}) // no row: no such user
	if st, _, _ := postForm(t, e.endpoint("token"), url.Values{"grant_type": {"password"}, "username": {username}, "password": {"nope"}}, clientID, clientSecret); st != 400 {
		t.Fatalf("wrong password at the token endpoint: %d", st)
	}
	tok := passwordToken(t, e, username, password)
	var rows struct {
		TotalSize int
		Records   []struct{ LoginType, Status, Application, Browser, Platform, SourceIp, UserId string }
	}
	soqlText := "SELECT LoginType, Status, Application, Browser, Platform, SourceIp, UserId FROM LoginHistory ORDER BY LoginTime"
	getJSON(t, query(e, "62.0", soqlText), tok, &rows)
	me := orgIDs(t, e, tok)
	want := [][2]string{{"Application", "Invalid Password"}, {"Application", "Success"}, {"Remote Access 2.0", "Invalid Password"}, {"Remote Access 2.0", "Success"}}
	var got [][2]string
	for _, r := range rows.Records {
		got = append(got, [2]string{r.LoginType, r.Status})
		if r.UserId != me.user || r.SourceIp != "127.0.0.1" || r.Platform == "" {
			t.Errorf("row %+v; want ana's, from 127.0.0.1", r)
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("login history %v; want %v", got, want)
	}
	if rows.Records[0].Application != "Browser" || rows.Records[3].Application != "Acme Sync" {
		t.Errorf("applications %q, %q; want Browser, Acme Sync", rows.Records[0].Application, rows.Records[3].Application)
	}
	// The admin sees everyone's (his own login included); bo only his.
	getJSON(t, query(e, "62.0", "SELECT UserId FROM LoginHistory WHERE UserId = '"+me.user+"'"), passwordToken(t, e, "root@acme.test", "root-Pa55"), &rows)
	if rows.TotalSize != 4 {
		t.Errorf("the admin sees %d of ana's rows; want 4", rows.TotalSize)
	}
	getJSON(t, query(e, "62.0", "SELECT UserId FROM LoginHistory"), passwordToken(t, e, "bo@acme.test", "password"), &rows)
	if rows.TotalSize != 1 {
		t.Errorf("bo sees %d rows; want his own login only", rows.TotalSize)
	}
}

// TestLoginHistoryNotApproved: an admin-approved app refusing a user who
// isn't assigned is "Failed: Not approved for access".
func TestLoginHistoryNotApproved(t *testing.T) {
	e := newEnv(t, envOpt{scenario: restScenario(t, func(m map[string]any) {
		m["apps"].([]any)[1].(map[string]any)["policies"] = map[string]any{"permittedUsers": "adminApproved"}
	})})
	st, _, m := postForm(t, e.endpoint("token"), url.Values{"grant_type": {"password"}, "username": {username}, "password": {password}}, otherID, otherSecret)
	if st != 400 {
		t.Fatalf("admin-approved app, user not assigned: %d %v", st, m)
	}
	tok := passwordToken(t, e, username, password)
	var rows struct {
		Records []struct{ Status, Application string }
	}
	getJSON(t, query(e, "62.0", "SELECT Status, Application FROM LoginHistory ORDER BY LoginTime"), tok, &rows)
	if len(rows.Records) != 2 || rows.Records[0] != (struct{ Status, Application string }{"Failed: Not approved for access", "Other"}) {
		t.Errorf("rows %+v; want Failed: Not approved for access for Other, then Success", rows.Records)
	}
}

// TestIdentity: the identity URL takes ?oauth_token= (GET and POST) and
// answers Salesforce's fields; userinfo too.
func TestIdentity(t *testing.T) {
	e := newEnv(t, envOpt{scenario: restScenario(t, nil)})
	tok := passwordToken(t, e, username, password)
	var info map[string]any
	getJSON(t, e.endpoint("userinfo"), tok, &info)
	idURL := info["sub"].(string)
	for _, k := range []string{"given_name", "family_name", "zoneinfo", "locale", "language", "utcOffset", "urls", "email_verified", "nickname", "photos", "updated_at"} {
		if info[k] == nil {
			t.Errorf("userinfo lacks %s: %v", k, info)
		}
	}
	if info["given_name"] != "Ana" || info["family_name"] != "Silva" || info["name"] != "Ana Silva" || info["utcOffset"] != float64(-8*3600*1000) {
		t.Errorf("userinfo names/offset: %v", info)
	}
	check := func(how string, st int, m map[string]any) {
		t.Helper()
		if st != 200 {
			t.Fatalf("%s: %d %v", how, st, m)
		}
		for k, want := range map[string]any{"first_name": "Ana", "last_name": "Silva", "display_name": "Ana Silva", "nick_name": "ana",
			"locale": "en_US", "language": "en_US", "timezone": "America/Los_Angeles", "email_verified": true, "username": username, "id": idURL} {
			if m[k] != want {
				t.Errorf("%s: %s = %v; want %v", how, k, m[k], want)
			}
		}
		urls, _ := m["urls"].(map[string]any)
		for _, k := range []string{"enterprise", "metadata", "partner", "rest", "sobjects", "search", "query", "recent", "tooling_soap",
			"tooling_rest", "profile", "feeds", "groups", "users", "feed_items", "feed_elements", "custom_domain"} {
			if u, _ := urls[k].(string); !strings.HasPrefix(u, e.issuer) {
				t.Errorf("%s: urls.%s = %q; want a URL of %s", how, k, u, e.issuer)
			}
		}
	}
	var m map[string]any
	check("oauth_token in the query", getJSON(t, idURL+"?oauth_token="+url.QueryEscape(tok), "", &m), m)
	if m["urls"].(map[string]any)["rest"] != e.issuer+"/services/data/v{version}/" {
		t.Errorf("urls.rest = %v; want the {version} placeholder", m["urls"].(map[string]any)["rest"])
	}
	resp, err := http.PostForm(idURL, url.Values{"oauth_token": {tok}})
	if err != nil {
		t.Fatal(err)
	}
	m = nil
	json.NewDecoder(resp.Body).Decode(&m)
	resp.Body.Close()
	check("oauth_token in a POST body", resp.StatusCode, m)
	m = nil
	check("Authorization header, version=latest", getJSON(t, idURL+"?version=latest", tok, &m), m)
	if m["urls"].(map[string]any)["query"] != e.issuer+"/services/data/v66.0/query/" {
		t.Errorf("version=latest: urls.query = %v; want v66.0", m["urls"].(map[string]any)["query"])
	}
	if st, _ := getBearer(t, idURL+"?oauth_token=nope", ""); st != 401 {
		t.Errorf("a bad oauth_token: %d; want 401", st)
	}
	if !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000\+0000$`).MatchString(m["last_modified_date"].(string)) {
		t.Errorf("last_modified_date %v; want Salesforce's time format", m["last_modified_date"])
	}
}
