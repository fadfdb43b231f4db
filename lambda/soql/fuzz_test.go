package soql

import (
	"strings"
	"testing"
)

// FuzzQuery: any text parses, compiles and runs without a panic; an error
// has one of the four codes and, when it points at the query, the caret
// block; a result never has more rows than matches, nor more matches than
// records.
func FuzzQuery(f *testing.F) {
	for _, q := range []string{
		"SELECT Id, Username FROM User WHERE IsActive = true AND Id != null ORDER BY CreatedDate DESC NULLS LAST LIMIT 2",
		"SELECT COUNT() FROM LoginHistory WHERE LoginTime > 2026-03-01T09:00:00Z",
		"SELECT FIELDS(ALL) FROM OauthToken LIMIT 200",
		"select id from user where username = 'a\\'b\\\\c'",
		"SELECT Id FROM User WHERE Id = '005000000000001'",
	} {
		f.Add(q)
	}
	codes := map[string]bool{CodeMalformed: true, CodeInvalidType: true, CodeInvalidField: true, CodeFilterOperator: true}
	f.Fuzz(func(t *testing.T, q string) {
		pq, err := Parse(q)
		var p *Plan
		if err == nil {
			p, err = Compile(pq, lookup)
		}
		if err != nil {
			if !codes[err.Code] {
				t.Fatalf("%q: error code %q", q, err.Code)
			}
			if msg := err.Error(); err.Pos >= 0 && !strings.Contains(msg, "\nERROR at Row:") {
				t.Fatalf("%q: positioned error without its block: %q", q, msg)
			}
			return
		}
		res := p.Run(users, 2)
		if res.TotalSize > len(users) || len(res.Rows) > min(res.TotalSize, 2) {
			t.Fatalf("%q: totalSize %d, %d rows over %d records", q, res.TotalSize, len(res.Rows), len(users))
		}
	})
}
