package policy

import "testing"

// TestDecodeSyntaxPlainWords: syntax errors say what is missing, in plain
// words, where it belongs (a missing comma at the end of the value before
// it, not at the next line's first token).
func TestDecodeSyntaxPlainWords(t *testing.T) {
	for _, tc := range []struct{ name, doc, want string }{
		{"missing comma between fields", "{\n  \"schemaVersion\": 1,\n  \"title\": \"x\"\n  \"orgs\": []\n}",
			"3:15 : Expected a comma or } after the value"},
		{"missing comma after an object", "{\n  \"orgs\": [\n    {\"name\": \"A\"}\n    {\"name\": \"B\"}\n  ]\n}",
			"3:18 : Expected a comma or ] after the value"},
		{"missing colon", "{\n  \"title\" \"x\"\n}", "2:10 : Expected a colon after the field name"},
		{"trailing comma in an array", "{\"orgs\": [1, 2, ]}", "1:15 : Remove this comma: no comma may follow the last element"},
		{"single quotes", "{\"title\": 'x'}", "1:11 : Expected a value: strings take double quotes, not single quotes"},
		{"unquoted field name", "{title: 1}", "1:2 : Expected a field name in double quotes"},
		{"string not closed on its line", "{\"title\": \"x\n}", "1:13 : This string has no closing \" before the end of the line"},
		{"object not closed", "{\n  \"orgs\": [\n  ]\n", "3:4 : The document ends too early: a closing } is missing"},
		{"array not closed", "{\"orgs\": [  \n", "1:11 : The document ends too early: a closing ] is missing"},
		{"bad literal", "{\"title\": nul}", "1:14 : Expected true, false or null (text takes double quotes)"},
		{"bad escape", `{"title": "a\q"}`, "1:14 : Unknown escape in a string: use \\\\ for a backslash, or one of \\\" \\/ \\b \\f \\n \\r \\t \\uXXXX"},
		{"bad number", `{"schemaVersion": 1.}`, "1:21 : This number is malformed"},
		{"value missing", `{"title": }`, "1:11 : Expected a value before }"},
	} {
		t.Run(tc.name, func(t *testing.T) { checkProblems(t, tc.doc, tc.want) })
	}
}
