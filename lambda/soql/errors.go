package soql

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Salesforce's error codes for a query it refuses.
const (
	CodeMalformed      = "MALFORMED_QUERY"
	CodeInvalidType    = "INVALID_TYPE"
	CodeInvalidField   = "INVALID_FIELD"
	CodeFilterOperator = "INVALID_QUERY_FILTER_OPERATOR"
)

// Messages in Salesforce's words (fact sheet and public client code that
// quotes real responses). The type-mismatch wording is UNCONFIRMED: seen
// only in secondary sources.
const (
	wsdlHint            = " Please reference your WSDL or the describe call for the appropriate names."
	msgNoSuchColumn     = "No such column '%s' on entity '%s'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name." + wsdlHint
	msgNoSuchType       = "sObject type '%s' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name." + wsdlHint
	msgUnexpected       = "unexpected token: '%s'"
	msgDuplicateField   = "duplicate field selected: %s"
	msgNotFilterable    = "field '%s' can not be filtered in a query call"
	msgNotSortable      = "field '%s' can not be sorted in a query call"
	msgInvalidID        = "invalid ID field: %s"
	msgFilterType       = "value of filter criterion for field '%s' must be of type %s and should not be enclosed in quotes"
	msgFilterTypeQuoted = "value of filter criterion for field '%s' must be of type %s and should be enclosed in quotes"
	msgFieldsEmpty      = "'FIELDS(...)' expansion function must result in at least one field being selected."
	msgFieldsLimit      = "The SOQL FIELDS function must have a LIMIT of at most 200" // UNCONFIRMED wording
	msgNumberRange      = "numeric value out of range: %s"
	// msgUnsupported ends the message of valid SOQL that caplab's subset
	// does not run, so nobody mistakes it for Salesforce refusing it.
	msgUnsupported = " (caplab's live org runs only SELECT fields|COUNT() FROM Object [WHERE field op value [AND …]] [ORDER BY field [ASC|DESC]] [LIMIT n])"
)

// Error is a refused query: Salesforce's error code and message. Pos is the
// byte offset the error points at (-1: the message has no caret block).
type Error struct {
	Code string
	Text string
	Pos  int
	q    string
}

// Error is the message Salesforce returns: for positioned errors the
// query's row around the error, a caret under it, "ERROR at
// Row:r:Column:c" and the text.
func (e *Error) Error() string {
	if e.Pos < 0 {
		return e.Text
	}
	row, col, line, start := locate(e.q, e.Pos)
	window, caret := excerpt(line, start)
	return "\n" + window + "\n" + strings.Repeat(" ", caret) + "^\nERROR at Row:" + strconv.Itoa(row) + ":Column:" + strconv.Itoa(col) + "\n" + e.Text
}

func errAt(code string, pos int, text string) *Error { return &Error{Code: code, Text: text, Pos: pos} }
func errNoPos(code, text string) *Error              { return &Error{Code: code, Text: text, Pos: -1} }

// locate finds the 1-based row and column (in characters) of a byte
// offset, the text of its row and the offset's character index in it.
func locate(q string, pos int) (row, col int, line string, idx int) {
	pos = min(max(pos, 0), len(q))
	lineStart := strings.LastIndexByte(q[:pos], '\n') + 1
	lineEnd := strings.IndexByte(q[pos:], '\n')
	if lineEnd < 0 {
		lineEnd = len(q)
	} else {
		lineEnd += pos
	}
	idx = utf8.RuneCountInString(q[lineStart:pos])
	return strings.Count(q[:pos], "\n") + 1, idx + 1, strings.TrimRight(q[lineStart:lineEnd], "\r"), idx
}

// excerptFrom is how far into a row an error must be before the excerpt
// starts later in the row; excerptBack is how many words before the error
// it then keeps. Salesforce shows short rows whole and long ones from a
// few tokens before the error (UNCONFIRMED: inferred from real messages).
const (
	excerptFrom = 40
	excerptBack = 4
)

// excerpt is the part of a row shown above the caret, and the caret's
// column in it.
func excerpt(line string, idx int) (string, int) {
	runes := []rune(line)
	if idx < excerptFrom || idx > len(runes) {
		return line, idx
	}
	start, words := idx, 0
	for start > 0 && words < excerptBack {
		start--
		for start > 0 && runes[start] == ' ' {
			start--
		}
		for start > 0 && runes[start-1] != ' ' {
			start--
		}
		words++
	}
	return string(runes[start:]), idx - start
}

func itoa(n int) string { return strconv.Itoa(n) }
