package soql

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// testObjects is a small catalog in the shape of the live org's.
var testObjects = []*Object{
	{Name: "User", Fields: []Field{
		{Name: "Id", Type: ID}, {Name: "Username", Type: String}, {Name: "LastName", Type: String},
		{Name: "IsActive", Type: Boolean}, {Name: "ProfileId", Type: Reference}, {Name: "CreatedDate", Type: DateTime},
	}},
	{Name: "LoginHistory", Fields: []Field{
		{Name: "Id", Type: ID}, {Name: "UserId", Type: Reference}, {Name: "LoginTime", Type: DateTime},
		{Name: "Status", Type: String, NotFilterable: true}, {Name: "Browser", Type: String, NotSortable: true},
	}},
	{Name: "OauthToken", Fields: []Field{
		{Name: "AppName", Type: String}, {Name: "UseCount", Type: Int}, {Name: "LastUsedDate", Type: DateTime},
	}},
}

func lookup(name string) *Object {
	for _, o := range testObjects {
		if strings.EqualFold(o.Name, name) {
			return o
		}
	}
	return nil
}

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

var users = []Record{
	{"Id": "005000000000001AAA", "Username": "ana@acme.test", "LastName": "Silva", "IsActive": true, "ProfileId": "00e000000000001AAA", "CreatedDate": t0},
	{"Id": "005000000000002AAA", "Username": "bo@acme.test", "LastName": "", "IsActive": false, "ProfileId": "00e000000000001AAA", "CreatedDate": t0.Add(time.Hour)},
	{"Id": "005000000000003AAA", "Username": "cy@acme.test", "LastName": "Adams", "IsActive": true, "ProfileId": "00e000000000002AAA", "CreatedDate": t0.Add(-time.Hour)},
}

// run parses, compiles and runs a query over users.
func run(t *testing.T, q string, records []Record) (Result, *Plan) {
	t.Helper()
	pq, err := Parse(q)
	if err != nil {
		t.Fatalf("Parse(%q): %v", q, err)
	}
	p, err := Compile(pq, lookup)
	if err != nil {
		t.Fatalf("Compile(%q): %v", q, err)
	}
	return p.Run(records, 2000), p
}

func usernames(res Result, col int) []string {
	var out []string
	for _, r := range res.Rows {
		out = append(out, r[col].(string))
	}
	return out
}

func TestQueries(t *testing.T) {
	tests := []struct {
		q     string
		total int
		want  []string // first column of each row
	}{
		{"SELECT Username FROM User", 3, []string{"ana@acme.test", "bo@acme.test", "cy@acme.test"}},
		{"select username from user", 3, []string{"ana@acme.test", "bo@acme.test", "cy@acme.test"}},
		{"SELECT Username FROM User WHERE IsActive = true", 2, []string{"ana@acme.test", "cy@acme.test"}},
		{"SELECT Username FROM User WHERE IsActive = false", 1, []string{"bo@acme.test"}},
		{"SELECT Username FROM User WHERE Username = 'ANA@acme.test'", 1, []string{"ana@acme.test"}}, // = on text ignores case
		{"SELECT Username FROM User WHERE LastName = null", 1, []string{"bo@acme.test"}},             // '' is null
		{"SELECT Username FROM User WHERE LastName != null", 2, []string{"ana@acme.test", "cy@acme.test"}},
		{"SELECT Username FROM User WHERE LastName != 'Silva'", 2, []string{"bo@acme.test", "cy@acme.test"}}, // != keeps nulls
		{"SELECT Username FROM User WHERE LastName <> 'Silva' AND IsActive = true", 1, []string{"cy@acme.test"}},
		{"SELECT Username FROM User WHERE Id = '005000000000002'", 1, []string{"bo@acme.test"}}, // 15-character id
		{"SELECT Username FROM User WHERE Id = '005000000000002aaa'", 1, []string{"bo@acme.test"}},
		{"SELECT Username FROM User WHERE ProfileId = '00e000000000001AAA' AND IsActive = true", 1, []string{"ana@acme.test"}},
		{"SELECT Username FROM User WHERE CreatedDate > 2026-03-01T09:00:00Z", 1, []string{"bo@acme.test"}},
		{"SELECT Username FROM User WHERE CreatedDate >= 2026-03-01T09:00:00.000Z", 2, []string{"ana@acme.test", "bo@acme.test"}},
		{"SELECT Username FROM User WHERE CreatedDate < 2026-03-01T10:00:00+01:00", 1, []string{"cy@acme.test"}},
		{"SELECT Username FROM User ORDER BY CreatedDate", 3, []string{"cy@acme.test", "ana@acme.test", "bo@acme.test"}},
		{"SELECT Username FROM User ORDER BY CreatedDate DESC LIMIT 2", 2, []string{"bo@acme.test", "ana@acme.test"}},
		{"SELECT Username FROM User ORDER BY LastName", 3, []string{"bo@acme.test", "cy@acme.test", "ana@acme.test"}},            // nulls first
		{"SELECT Username FROM User ORDER BY LastName DESC", 3, []string{"ana@acme.test", "cy@acme.test", "bo@acme.test"}},       // nulls last
		{"SELECT Username FROM User ORDER BY LastName NULLS LAST", 3, []string{"cy@acme.test", "ana@acme.test", "bo@acme.test"}}, // explicit
		{"SELECT Username FROM User ORDER BY ProfileId DESC, Username ASC", 3, []string{"cy@acme.test", "ana@acme.test", "bo@acme.test"}},
		{"SELECT Username FROM User LIMIT 0", 0, nil},
		{"SELECT Username\nFROM User\nWHERE IsActive = TRUE\nLIMIT 1", 1, []string{"ana@acme.test"}},
	}
	for _, tc := range tests {
		t.Run(tc.q, func(t *testing.T) {
			res, _ := run(t, tc.q, users)
			if res.TotalSize != tc.total {
				t.Errorf("totalSize = %d; want %d", res.TotalSize, tc.total)
			}
			if got := usernames(res, 0); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("rows = %q; want %q", got, tc.want)
			}
		})
	}
}

func TestCountAndColumns(t *testing.T) {
	res, p := run(t, "SELECT COUNT() FROM User WHERE IsActive = true", users)
	if res.TotalSize != 2 || res.Rows != nil || !p.Count {
		t.Errorf("COUNT(): total %d rows %v count %v; want 2, none, true", res.TotalSize, res.Rows, p.Count)
	}
	if res, _ := run(t, "SELECT COUNT() FROM User LIMIT 1", users); res.TotalSize != 1 {
		t.Errorf("COUNT() LIMIT 1 = %d; want 1", res.TotalSize)
	}
	res, p = run(t, "SELECT lastname, ID FROM user", users)
	if p.Object.Name != "User" || p.Columns[0].Name != "LastName" || p.Columns[1].Name != "Id" {
		t.Errorf("canonical names: object %q columns %q, %q; want User, LastName, Id", p.Object.Name, p.Columns[0].Name, p.Columns[1].Name)
	}
	if res.Rows[1][0] != nil {
		t.Errorf("empty LastName = %#v; want nil (Salesforce's null)", res.Rows[1][0])
	}
	_, p = run(t, "SELECT FIELDS(STANDARD) FROM User", users)
	if len(p.Columns) != 6 {
		t.Errorf("FIELDS(STANDARD) selects %d fields; want 6", len(p.Columns))
	}
	if res, _ := run(t, "SELECT FIELDS(ALL) FROM User LIMIT 200", users); len(res.Rows[0]) != 6 {
		t.Errorf("FIELDS(ALL) row has %d values; want 6", len(res.Rows[0]))
	}
	res, _ = run(t, "SELECT Username FROM User", users)
	if res2 := mustPlan(t, "SELECT Username FROM User").Run(users, 1); res2.TotalSize != 3 || len(res2.Rows) != 1 {
		t.Errorf("maxRows 1: total %d rows %d; want 3, 1", res2.TotalSize, len(res2.Rows))
	}
	oauth := []Record{{"AppName": "A", "UseCount": 3, "LastUsedDate": t0}, {"AppName": "B", "UseCount": int64(1), "LastUsedDate": time.Time{}}}
	if res, _ := run(t, "SELECT AppName FROM OauthToken WHERE UseCount > 2", oauth); res.TotalSize != 1 || res.Rows[0][0] != "A" {
		t.Errorf("UseCount > 2 = %v; want [A]", res.Rows)
	}
	if res, _ := run(t, "SELECT AppName FROM OauthToken WHERE LastUsedDate = null", oauth); res.TotalSize != 1 || res.Rows[0][0] != "B" {
		t.Errorf("zero time is null: %v; want [B]", res.Rows)
	}
}

func mustPlan(t *testing.T, q string) *Plan {
	t.Helper()
	pq, err := Parse(q)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Compile(pq, lookup)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestErrors checks each error code and Salesforce's message shape,
// caret block included.
func TestErrors(t *testing.T) {
	tests := []struct {
		name, q, code, msg string
	}{
		{"unknown field (INVALID_FIELD)", "SELECT Nope FROM User", CodeInvalidField,
			"\nSELECT Nope FROM User\n       ^\nERROR at Row:1:Column:8\nNo such column 'Nope' on entity 'User'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names."},
		{"second unknown field", "SELECT Id,Invalid__x FROM User LIMIT 1", CodeInvalidField,
			"\nSELECT Id,Invalid__x FROM User LIMIT 1\n          ^\nERROR at Row:1:Column:11\nNo such column 'Invalid__x' on entity 'User'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names."},
		{"unknown object (INVALID_TYPE)", "SELECT Id FROM Nope", CodeInvalidType,
			"\nSELECT Id FROM Nope\n               ^\nERROR at Row:1:Column:16\nsObject type 'Nope' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names."},
		{"unknown field in WHERE on row 3", "SELECT Id\nFROM User\nWHERE Nope__c = 1", CodeInvalidField,
			"\nWHERE Nope__c = 1\n      ^\nERROR at Row:3:Column:7\nNo such column 'Nope__c' on entity 'User'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names."},
		{"unexpected token (MALFORMED_QUERY)", "SELECT Id, FROM User", CodeMalformed,
			"\nSELECT Id, FROM User\n           ^\nERROR at Row:1:Column:12\nunexpected token: 'FROM'"},
		{"misspelled FROM", "SELECT Id FRM User", CodeMalformed, "\nSELECT Id FRM User\n          ^\nERROR at Row:1:Column:11\nunexpected token: 'FRM'"},
		{"end of query", "SELECT Id FROM User WHERE", CodeMalformed,
			"\nSELECT Id FROM User WHERE\n                         ^\nERROR at Row:1:Column:26\nunexpected token: '<EOF>'"},
		{"not SELECT", "DELETE FROM User", CodeMalformed, "\nDELETE FROM User\n^\nERROR at Row:1:Column:1\nunexpected token: 'DELETE'"},
		{"empty query", "", CodeMalformed, "\n\n^\nERROR at Row:1:Column:1\nunexpected token: '<EOF>'"},
		{"invalid id (INVALID_QUERY_FILTER_OPERATOR)", "SELECT Id FROM User WHERE Id = '53'", CodeFilterOperator,
			"\nSELECT Id FROM User WHERE Id = '53'\n                          ^\nERROR at Row:1:Column:27\ninvalid ID field: 53"},
		{"not filterable", "SELECT Id FROM LoginHistory WHERE Status = 'Success'", CodeInvalidField,
			"\nSELECT Id FROM LoginHistory WHERE Status = 'Success'\n                                  ^\nERROR at Row:1:Column:35\nfield 'Status' can not be filtered in a query call"},
		{"not sortable", "SELECT Id FROM LoginHistory ORDER BY Browser", CodeInvalidField,
			"\nSELECT Id FROM LoginHistory ORDER BY Browser\n                                     ^\nERROR at Row:1:Column:38\nfield 'Browser' can not be sorted in a query call"},
		{"boolean in quotes", "SELECT Id FROM User WHERE IsActive = 'true'", CodeInvalidField,
			"\nSELECT Id FROM User WHERE IsActive = 'true'\n                          ^\nERROR at Row:1:Column:27\nvalue of filter criterion for field 'IsActive' must be of type boolean and should not be enclosed in quotes"},
		{"text without quotes", "SELECT Id FROM User WHERE Username = 5", CodeInvalidField,
			"\nSELECT Id FROM User WHERE Username = 5\n                          ^\nERROR at Row:1:Column:27\nvalue of filter criterion for field 'Username' must be of type string and should be enclosed in quotes"},
		{"datetime in quotes", "SELECT Id FROM User WHERE CreatedDate > '2026-01-01'", CodeInvalidField,
			"\nSELECT Id FROM User WHERE CreatedDate > '2026-01-01'\n                          ^\nERROR at Row:1:Column:27\nvalue of filter criterion for field 'CreatedDate' must be of type dateTime and should not be enclosed in quotes"},
		{"duplicate field", "SELECT Id, id FROM User", CodeInvalidField, "duplicate field selected: Id"},
		{"duplicate through FIELDS", "SELECT Id, FIELDS(ALL) FROM User LIMIT 200", CodeInvalidField, "duplicate field selected: Id"},
		{"FIELDS(CUSTOM) selects nothing", "SELECT FIELDS(CUSTOM) FROM User LIMIT 10", CodeMalformed,
			"'FIELDS(...)' expansion function must result in at least one field being selected."},
		{"FIELDS(ALL) without LIMIT", "SELECT FIELDS(ALL) FROM User", CodeMalformed,
			"\nSELECT FIELDS(ALL) FROM User\n       ^\nERROR at Row:1:Column:8\nThe SOQL FIELDS function must have a LIMIT of at most 200"},
		{"LIMIT out of range", "SELECT Id FROM User LIMIT 2147483648", CodeMalformed,
			"\nSELECT Id FROM User LIMIT 2147483648\n                          ^\nERROR at Row:1:Column:27\nnumeric value out of range: 2147483648"},
		{"negative LIMIT", "SELECT Id FROM User LIMIT -1", CodeMalformed, "\nSELECT Id FROM User LIMIT -1\n                          ^\nERROR at Row:1:Column:27\nunexpected token: '-1'"},
		{"bind variable", "SELECT Id FROM User WHERE Id = :uid", CodeMalformed,
			"\nSELECT Id FROM User WHERE Id = :uid\n                               ^\nERROR at Row:1:Column:32\nBind variables only allowed in Apex code"},
		{"unterminated string", "SELECT Id FROM User WHERE Username = 'ana", CodeMalformed,
			"\nSELECT Id FROM User WHERE Username = 'ana\n                                     ^\nERROR at Row:1:Column:38\nunterminated string literal: 'ana"},
		{"long row shows a window", "SELECT Id, Username, LastName, IsActive, ProfileId FROM User WHERE Id = 'x'", CodeFilterOperator,
			"\nProfileId FROM User WHERE Id = 'x'\n                          ^\nERROR at Row:1:Column:68\ninvalid ID field: x"}, // four words back, as Salesforce's "BillingPostalCode FROM Account WHERE Id",
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := queryError(tc.q)
			if err == nil {
				t.Fatalf("%q: no error; want %s", tc.q, tc.code)
			}
			if err.Code != tc.code {
				t.Errorf("code = %q; want %q", err.Code, tc.code)
			}
			if got := err.Error(); got != tc.msg {
				t.Errorf("message =\n%q\nwant\n%q", got, tc.msg)
			}
		})
	}
}

// TestUnsupported: valid SOQL beyond the subset is refused, and says so.
func TestUnsupported(t *testing.T) {
	for _, q := range []string{
		"SELECT Id FROM User WHERE IsActive = true OR IsActive = false",
		"SELECT Id FROM User WHERE Id IN ('005000000000001')",
		"SELECT Id FROM User WHERE Username LIKE 'a%'",
		"SELECT Id FROM User WHERE NOT IsActive = true",
		"SELECT Id FROM User WHERE (IsActive = true)",
		"SELECT Profile.Name FROM User",
		"SELECT COUNT(Id) FROM User",
		"SELECT MAX(CreatedDate) FROM User",
		"SELECT Id, (SELECT Id FROM Logins) FROM User",
		"SELECT Id FROM User GROUP BY Id",
		"SELECT Id FROM User LIMIT 1 OFFSET 1",
		"SELECT Id FROM User WHERE CreatedDate = TODAY",
		"SELECT Id FROM User WHERE CreatedDate > LAST_N_DAYS:7",
		"SELECT Id FROM User ORDER BY Profile.Name",
		"SELECT Id FROM User WITH SECURITY_ENFORCED",
	} {
		err := queryError(q)
		if err == nil || err.Code != CodeMalformed || !strings.Contains(err.Error(), "caplab's live org runs only") {
			t.Errorf("%q: error %v; want MALFORMED_QUERY saying caplab does not run it", q, err)
		}
	}
}

// TestBounds: a query too long is refused before it is lexed.
func TestBounds(t *testing.T) {
	long := "SELECT Id FROM User WHERE Username = '" + strings.Repeat("a", MaxQueryBytes) + "'"
	if err := queryError(long); err == nil || err.Code != CodeMalformed || err.Error() != "query is longer than 16384 bytes" {
		t.Errorf("long query: %v; want MALFORMED_QUERY query is longer than 16384 bytes", err)
	}
	many := "SELECT " + strings.Repeat("Id,", maxTokens) + "Id FROM User"
	if err := queryError(many); err == nil || !strings.Contains(err.Error(), "more than 2000 tokens") {
		t.Errorf("many tokens: %v; want a token bound error", err)
	}
}

// queryError is the error of parsing and compiling q, or nil.
func queryError(q string) *Error {
	pq, err := Parse(q)
	if err != nil {
		return err
	}
	_, err = Compile(pq, lookup)
	return err
}
