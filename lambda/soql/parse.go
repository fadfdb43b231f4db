package soql

import (
	"strconv"
	"strings"
)

// Bounds on a query's cost, checked before any work.
const (
	// MaxQueryBytes: Salesforce's REST URI limit is 16,384 bytes, so no
	// query sent with GET is longer.
	MaxQueryBytes = 16384
	// maxTokens bounds the parser's work: ample for every object's full
	// field list and dozens of conditions.
	maxTokens = 2000
	// MaxLimit is the largest LIMIT SOQL accepts (a 32-bit int).
	MaxLimit = 1<<31 - 1
	// fieldsLimit is the LIMIT FIELDS(ALL) and FIELDS(CUSTOM) need.
	fieldsLimit = 200
)

// Query is a parsed query, not yet checked against an object.
type Query struct {
	text     string
	count    bool // SELECT COUNT()
	items    []selectItem
	object   name
	where    []condition
	order    []orderKey
	limit    int
	hasLimit bool
}

// name is an identifier and where it was written.
type name struct {
	text string
	pos  int
}

// selectItem is a field, or a FIELDS(ALL|STANDARD|CUSTOM) group.
type selectItem struct {
	name
	group string // "ALL", "STANDARD", "CUSTOM" for FIELDS(…); "" for a field
}

// condition is field op value.
type condition struct {
	field name
	op    string
	value token
}

// orderKey is one ORDER BY key.
type orderKey struct {
	field     name
	desc      bool
	nullsLast bool
}

// Parse parses a query of the subset. Errors are MALFORMED_QUERY.
func Parse(q string) (*Query, *Error) {
	if len(q) > MaxQueryBytes {
		return nil, withQuery(errNoPos(CodeMalformed, "query is longer than "+itoa(MaxQueryBytes)+" bytes"), q)
	}
	toks, err := lex(q)
	if err != nil {
		return nil, withQuery(err, q)
	}
	p := &parser{toks: toks, q: &Query{text: q}}
	if err := p.query(); err != nil {
		return nil, withQuery(err, q)
	}
	return p.q, nil
}

func withQuery(e *Error, q string) *Error {
	e.q = q
	return e
}

type parser struct {
	toks []token
	i    int
	q    *Query
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) take() token {
	t := p.toks[p.i]
	if t.kind != tokEOF {
		p.i++
	}
	return t
}

// keyword consumes the keyword kw or fails on the token found.
func (p *parser) keyword(kw string) *Error {
	if t := p.take(); !t.is(kw) {
		return unexpected(t)
	}
	return nil
}

func (p *parser) query() *Error {
	if err := p.keyword("SELECT"); err != nil {
		return err
	}
	if err := p.selectList(); err != nil {
		return err
	}
	if err := p.keyword("FROM"); err != nil {
		return err
	}
	obj, err := p.ident()
	if err != nil {
		return err
	}
	p.q.object = obj
	if p.peek().is("WHERE") {
		p.take()
		if err := p.conditions(); err != nil {
			return err
		}
	}
	if p.peek().is("ORDER") {
		p.take()
		if err := p.keyword("BY"); err != nil {
			return err
		}
		if err := p.orderBy(); err != nil {
			return err
		}
	}
	if p.peek().is("LIMIT") {
		p.take()
		if err := p.limit(); err != nil {
			return err
		}
	}
	if t := p.take(); t.kind != tokEOF {
		return unexpected(t)
	}
	return p.checkFieldsLimit()
}

func (p *parser) selectList() *Error {
	if t := p.peek(); t.is("COUNT") && p.toks[p.i+1].kind == tokLParen {
		p.i += 2
		if t := p.take(); t.kind != tokRParen {
			return unsupported(t) // COUNT(field) is an aggregate query
		}
		p.q.count = true
		return nil
	}
	for {
		it, err := p.selectItem()
		if err != nil {
			return err
		}
		p.q.items = append(p.q.items, it)
		if p.peek().kind != tokComma {
			return nil
		}
		p.take()
	}
}

func (p *parser) selectItem() (selectItem, *Error) {
	t := p.peek()
	if t.is("FIELDS") && p.toks[p.i+1].kind == tokLParen {
		p.i += 2
		g := p.take()
		group := strings.ToUpper(g.text)
		if g.kind != tokIdent || group != "ALL" && group != "STANDARD" && group != "CUSTOM" {
			return selectItem{}, unexpected(g)
		}
		if c := p.take(); c.kind != tokRParen {
			return selectItem{}, unexpected(c)
		}
		return selectItem{name: name{text: "FIELDS(" + group + ")", pos: t.pos}, group: group}, nil
	}
	if t.kind == tokLParen {
		return selectItem{}, unsupported(t) // a subquery
	}
	n, err := p.ident()
	if err != nil {
		return selectItem{}, err
	}
	if nt := p.peek(); nt.kind == tokLParen || nt.kind == tokDot {
		return selectItem{}, unsupported(nt) // a function or a relationship path
	}
	return selectItem{name: n}, nil
}

// ident reads a field or object name.
func (p *parser) ident() (name, *Error) {
	t := p.take()
	if t.kind != tokIdent || reserved[strings.ToUpper(t.text)] || strings.Contains(t.text, ":") {
		return name{}, unexpected(t)
	}
	return name{text: t.text, pos: t.pos}, nil
}

func (p *parser) conditions() *Error {
	for {
		if t := p.peek(); t.kind == tokLParen || t.is("NOT") {
			return unsupported(t)
		}
		f, err := p.ident()
		if err != nil {
			return err
		}
		if t := p.peek(); t.kind == tokDot || t.kind == tokLParen {
			return unsupported(t)
		}
		op := p.take()
		if op.kind != tokOp {
			return unexpected(op)
		}
		v := p.take()
		switch {
		case v.kind == tokString, v.kind == tokNumber, v.kind == tokDateTime, v.kind == tokDate,
			v.is("TRUE"), v.is("FALSE"), v.is("NULL"):
		default:
			return unexpected(v)
		}
		p.q.where = append(p.q.where, condition{field: f, op: op.text, value: v})
		if !p.peek().is("AND") {
			return nil
		}
		p.take()
	}
}

func (p *parser) orderBy() *Error {
	for {
		f, err := p.ident()
		if err != nil {
			return err
		}
		if t := p.peek(); t.kind == tokDot || t.kind == tokLParen {
			return unsupported(t)
		}
		k := orderKey{field: f}
		switch t := p.peek(); {
		case t.is("ASC"):
			p.take()
		case t.is("DESC"):
			p.take()
			k.desc = true
		}
		k.nullsLast = k.desc // Salesforce: ASC sorts nulls first, DESC last
		if p.peek().is("NULLS") {
			p.take()
			switch t := p.take(); {
			case t.is("FIRST"):
				k.nullsLast = false
			case t.is("LAST"):
				k.nullsLast = true
			default:
				return unexpected(t)
			}
		}
		p.q.order = append(p.q.order, k)
		if p.peek().kind != tokComma {
			return nil
		}
		p.take()
	}
}

func (p *parser) limit() *Error {
	t := p.take()
	if t.kind != tokNumber || strings.ContainsAny(t.text, ".+-") {
		return unexpected(t)
	}
	n, err := strconv.ParseInt(t.text, 10, 64)
	if err != nil || n > MaxLimit {
		return errAt(CodeMalformed, t.pos, strings.Replace(msgNumberRange, "%s", t.text, 1))
	}
	p.q.limit, p.q.hasLimit = int(n), true
	return nil
}

// checkFieldsLimit: FIELDS(ALL) and FIELDS(CUSTOM) select an unbounded set
// of fields, so Salesforce wants LIMIT 200 or less with them.
func (p *parser) checkFieldsLimit() *Error {
	for _, it := range p.q.items {
		if (it.group == "ALL" || it.group == "CUSTOM") && (!p.q.hasLimit || p.q.limit > fieldsLimit) {
			return errAt(CodeMalformed, it.pos, msgFieldsLimit)
		}
	}
	return nil
}

// reserved are SOQL keywords that can't name a field or an object.
var reserved = map[string]bool{
	"SELECT": true, "FROM": true, "WHERE": true, "AND": true, "OR": true, "NOT": true, "ORDER": true, "BY": true,
	"LIMIT": true, "OFFSET": true, "GROUP": true, "HAVING": true, "ASC": true, "DESC": true, "NULLS": true,
	"NULL": true, "TRUE": true, "FALSE": true, "IN": true, "LIKE": true, "INCLUDES": true, "EXCLUDES": true,
	"WITH": true, "FOR": true, "USING": true, "TYPEOF": true,
}

// unsupportedWords are SOQL words Salesforce accepts where caplab's subset
// stops: the error says so instead of pretending the query is invalid.
var unsupportedWords = map[string]bool{
	"OR": true, "NOT": true, "IN": true, "LIKE": true, "INCLUDES": true, "EXCLUDES": true, "GROUP": true,
	"HAVING": true, "OFFSET": true, "WITH": true, "FOR": true, "USING": true, "TYPEOF": true, "NULLS": true,
}

// unexpected is Salesforce's answer to a token that does not fit.
func unexpected(t token) *Error {
	if t.kind == tokIdent && (unsupportedWords[strings.ToUpper(t.text)] || isDateLiteral(t.text)) {
		return unsupported(t)
	}
	if t.kind == tokOther && t.text == ":" {
		return errAt(CodeMalformed, t.pos, "Bind variables only allowed in Apex code")
	}
	return errAt(CodeMalformed, t.pos, strings.Replace(msgUnexpected, "%s", t.shown(), 1))
}

// unsupported refuses valid SOQL outside the subset.
func unsupported(t token) *Error {
	return errAt(CodeMalformed, t.pos, strings.Replace(msgUnexpected, "%s", t.shown(), 1)+msgUnsupported)
}

// isDateLiteral says whether an identifier is one of SOQL's date literals
// (TODAY, LAST_N_DAYS:7, …), which caplab does not evaluate.
func isDateLiteral(s string) bool {
	u := strings.ToUpper(s)
	if i := strings.IndexByte(u, ':'); i >= 0 {
		u = u[:i]
	}
	for _, p := range []string{"YESTERDAY", "TODAY", "TOMORROW", "LAST_", "THIS_", "NEXT_", "N_"} {
		if strings.HasPrefix(u, p) {
			return true
		}
	}
	return false
}
