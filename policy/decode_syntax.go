package policy

import (
	"encoding/json"
	"strings"
)

// syntaxProblem says a JSON syntax error in plain words and where to show
// it. encoding/json names the byte it stopped at, in its parser's terms
// ("invalid character '\"' after object key:value pair"); a person wants
// the missing thing and its place: a missing comma belongs at the end of
// the value before it, which is often on the line above the byte that
// gave it away.
func syntaxProblem(data []byte, se *json.SyntaxError) (off int, msg string) {
	off = int(se.Offset)
	text := se.Error()
	if strings.Contains(text, "end of JSON input") || off > len(data) || off <= 0 {
		return endOfInput(data)
	}
	off-- // Offset counts the offending byte
	c := data[off]
	prev := lastNonSpace(data, off) // where the text before the byte ends
	switch {
	case strings.HasSuffix(text, "after object key:value pair"):
		return prev, "Expected a comma or } after the value"
	case strings.HasSuffix(text, "after array element"):
		return prev, "Expected a comma or ] after the value"
	case strings.HasSuffix(text, "after object key"):
		return prev, "Expected a colon after the field name"
	case strings.HasSuffix(text, "looking for beginning of object key string"):
		if c == '}' && prev > 0 && data[prev-1] == ',' {
			return prev - 1, "Remove this comma: no comma may follow the last field"
		}
		return off, "Expected a field name in double quotes"
	case strings.HasSuffix(text, "looking for beginning of value"):
		switch {
		case c == ']' && prev > 0 && data[prev-1] == ',':
			return prev - 1, "Remove this comma: no comma may follow the last element"
		case c == '\'':
			return off, "Expected a value: strings take double quotes, not single quotes"
		case c == '}' || c == ']' || c == ',':
			return off, "Expected a value before " + string(c)
		}
		return off, "Expected a value: a string in double quotes, a number, an object, an array, true, false or null"
	case strings.HasSuffix(text, "after top-level value"):
		return off, "Unexpected text after the end of the document"
	case strings.HasSuffix(text, "in string literal"):
		if c == '\n' || c == '\r' {
			return off, "This string has no closing \" before the end of the line"
		}
		return off, "A string cannot hold a control character such as a tab: write it as \\t or \\u0009"
	case strings.HasSuffix(text, "in string escape code"):
		return off, "Unknown escape in a string: use \\\\ for a backslash, or one of \\\" \\/ \\b \\f \\n \\r \\t \\uXXXX"
	case strings.HasSuffix(text, "hexadecimal character escape"):
		return off, "Expected four hexadecimal digits after \\u"
	case strings.Contains(text, "numeric literal"):
		return off, "This number is malformed"
	case strings.Contains(text, "in literal"):
		return off, "Expected true, false or null (text takes double quotes)"
	}
	return off, "Invalid JSON: " + text
}

// endOfInput explains a document that ends too early: what is still open,
// at the end of its last token.
func endOfInput(data []byte) (int, string) {
	end := lastNonSpace(data, len(data))
	if end == 0 {
		return 0, "The document is empty: a scenario is a JSON object, { … }"
	}
	var open []byte
	inString, escaped := false, false
	for _, b := range data {
		switch {
		case inString && escaped:
			escaped = false
		case inString && b == '\\':
			escaped = true
		case inString && b == '"':
			inString = false
		case inString:
		case b == '"':
			inString = true
		case b == '{':
			open = append(open, '}')
		case b == '[':
			open = append(open, ']')
		case (b == '}' || b == ']') && len(open) > 0:
			open = open[:len(open)-1]
		}
	}
	switch {
	case inString:
		return end, "The document ends inside a string: a closing \" is missing"
	case len(open) > 0:
		return end, "The document ends too early: a closing " + string(open[len(open)-1]) + " is missing"
	}
	return end, "The document ends too early"
}

// lastNonSpace is the offset just past the last byte before off that is
// not JSON whitespace.
func lastNonSpace(data []byte, off int) int {
	for off > 0 && strings.IndexByte(" \t\r\n", data[off-1]) >= 0 {
		off--
	}
	return off
}
