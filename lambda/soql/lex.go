package soql

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// tokKind is the kind of a token.
type tokKind int

const (
	tokEOF tokKind = iota
	tokIdent
	tokString   // 'quoted', value unescaped
	tokNumber   // 12, -3.5
	tokDateTime // 2026-03-01T09:00:00Z
	tokDate     // 2026-03-01
	tokOp       // = != <> < <= > >=
	tokComma
	tokLParen
	tokRParen
	tokDot
	tokOther // any other character: always unexpected
)

// token is one lexeme and its byte offset in the query.
type token struct {
	kind tokKind
	text string // as written (for strings: the unescaped value)
	raw  string // as written, quotes included
	pos  int
}

// is says whether the token is the keyword kw (case-insensitive).
func (t token) is(kw string) bool { return t.kind == tokIdent && strings.EqualFold(t.text, kw) }

// shown is how an error message quotes the token.
func (t token) shown() string {
	if t.kind == tokEOF {
		return "<EOF>"
	}
	return t.raw
}

// lex splits a query into tokens, at most maxTokens of them.
func lex(q string) ([]token, *Error) {
	var out []token
	i := 0
	for {
		for i < len(q) {
			r, n := utf8.DecodeRuneInString(q[i:])
			if !unicode.IsSpace(r) {
				break
			}
			i += n
		}
		if len(out) >= maxTokens {
			return nil, errAt(CodeMalformed, i, "query has more than "+itoa(maxTokens)+" tokens")
		}
		if i >= len(q) {
			return append(out, token{kind: tokEOF, pos: len(q)}), nil
		}
		t, err := next(q, i)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
		i = t.pos + len(t.raw)
	}
}

// next reads the token at i (not a space).
func next(q string, i int) (token, *Error) {
	c := q[i]
	switch {
	case c == '\'':
		return lexString(q, i)
	case c == ',':
		return token{kind: tokComma, text: ",", raw: ",", pos: i}, nil
	case c == '(':
		return token{kind: tokLParen, text: "(", raw: "(", pos: i}, nil
	case c == ')':
		return token{kind: tokRParen, text: ")", raw: ")", pos: i}, nil
	case c == '.':
		return token{kind: tokDot, text: ".", raw: ".", pos: i}, nil
	case c == '=' || c == '<' || c == '>' || c == '!':
		for _, op := range []string{"!=", "<>", "<=", ">=", "=", "<", ">"} {
			if strings.HasPrefix(q[i:], op) {
				return token{kind: tokOp, text: op, raw: op, pos: i}, nil
			}
		}
	case isDigit(c) || (c == '-' || c == '+') && i+1 < len(q) && isDigit(q[i+1]):
		return lexNumberOrDate(q, i), nil
	case isIdentStart(c):
		j := i + 1
		for j < len(q) && isIdentPart(q[j]) {
			j++
		}
		if j < len(q) && q[j] == ':' { // date literals such as LAST_N_DAYS:7
			k := j + 1
			for k < len(q) && isIdentPart(q[k]) {
				k++
			}
			j = k
		}
		return token{kind: tokIdent, text: q[i:j], raw: q[i:j], pos: i}, nil
	}
	_, n := utf8.DecodeRuneInString(q[i:])
	return token{kind: tokOther, text: q[i : i+n], raw: q[i : i+n], pos: i}, nil
}

// lexString reads a single-quoted string with SOQL's backslash escapes.
func lexString(q string, i int) (token, *Error) {
	var b strings.Builder
	j := i + 1
	for j < len(q) {
		switch c := q[j]; c {
		case '\'':
			return token{kind: tokString, text: b.String(), raw: q[i : j+1], pos: i}, nil
		case '\\':
			if j+1 >= len(q) {
				return token{}, errAt(CodeMalformed, j, "unterminated escape sequence at end of query")
			}
			e, ok := escapes[q[j+1]]
			if !ok {
				return token{}, errAt(CodeMalformed, j, "Invalid string literal '"+q[i:min(len(q), j+2)]+"'. Illegal character sequence '\\"+string(q[j+1])+"' in string literal.")
			}
			b.WriteByte(e)
			j += 2
		default:
			b.WriteByte(c)
			j++
		}
	}
	return token{}, errAt(CodeMalformed, i, "unterminated string literal: "+q[i:])
}

// escapes are SOQL's backslash escape sequences in string literals.
var escapes = map[byte]byte{'n': '\n', 'r': '\r', 't': '\t', 'b': '\b', 'f': '\f', '"': '"', '\'': '\'', '\\': '\\', '%': '%', '_': '_'}

// lexNumberOrDate reads a number, a date (2026-03-01) or a datetime
// (2026-03-01T09:00:00Z, with optional fraction and ±hh:mm offset).
func lexNumberOrDate(q string, i int) token {
	j := i
	if q[j] == '-' || q[j] == '+' {
		j++
	}
	for j < len(q) && (isDigit(q[j]) || q[j] == '.') {
		j++
	}
	if j-i == 4 && j < len(q) && q[j] == '-' { // a date or datetime
		k := j
		for k < len(q) && (isDigit(q[k]) || strings.IndexByte("-:.TZ+", q[k]) >= 0) {
			k++
		}
		s := q[i:k]
		if strings.Contains(s, "T") {
			return token{kind: tokDateTime, text: s, raw: s, pos: i}
		}
		return token{kind: tokDate, text: s, raw: s, pos: i}
	}
	// A trailing letter makes it something else (1abc): keep it in the token
	// so the error quotes it whole.
	for j < len(q) && isIdentPart(q[j]) {
		j++
	}
	return token{kind: tokNumber, text: q[i:j], raw: q[i:j], pos: i}
}

func isDigit(c byte) bool      { return c >= '0' && c <= '9' }
func isIdentStart(c byte) bool { return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isIdentPart(c byte) bool  { return isIdentStart(c) || isDigit(c) }
