package soql

import (
	"strings"
	"time"
)

// Plan is a query checked against its object, ready to run.
type Plan struct {
	Object  *Object
	Count   bool     // SELECT COUNT(): no records, only the total
	Columns []*Field // the selected fields, in order
	filters []filter
	order   []sortKey
	limit   int // -1: none
}

type filter struct {
	field *Field
	op    string
	value any // nil, string, bool, float64, time.Time
}

type sortKey struct {
	field     *Field
	desc      bool
	nullsLast bool
}

// Compile checks a parsed query against the object it names (objects
// resolves a name, case-insensitive, or returns nil): INVALID_TYPE for an
// unknown object, INVALID_FIELD for an unknown field or one that can't be
// filtered or sorted, and Salesforce's literal type errors.
func Compile(q *Query, objects func(name string) *Object) (*Plan, *Error) {
	p, err := compile(q, objects)
	if err != nil {
		return nil, withQuery(err, q.text)
	}
	return p, nil
}

func compile(q *Query, objects func(string) *Object) (*Plan, *Error) {
	obj := objects(q.object.text)
	if obj == nil {
		return nil, errAt(CodeInvalidType, q.object.pos, strings.Replace(msgNoSuchType, "%s", q.object.text, 1))
	}
	p := &Plan{Object: obj, Count: q.count, limit: -1}
	if q.hasLimit {
		p.limit = q.limit
	}
	if err := p.selectFields(q); err != nil {
		return nil, err
	}
	for _, c := range q.where {
		f, err := p.field(c.field)
		if err != nil {
			return nil, err
		}
		if f.NotFilterable {
			return nil, errAt(CodeInvalidField, c.field.pos, strings.Replace(msgNotFilterable, "%s", f.Name, 1))
		}
		v, err := literal(f, c)
		if err != nil {
			return nil, err
		}
		p.filters = append(p.filters, filter{field: f, op: c.op, value: v})
	}
	for _, k := range q.order {
		f, err := p.field(k.field)
		if err != nil {
			return nil, err
		}
		if f.NotSortable {
			return nil, errAt(CodeInvalidField, k.field.pos, strings.Replace(msgNotSortable, "%s", f.Name, 1))
		}
		p.order = append(p.order, sortKey{field: f, desc: k.desc, nullsLast: k.nullsLast})
	}
	return p, nil
}

// field resolves a field name of the plan's object.
func (p *Plan) field(n name) (*Field, *Error) {
	if f := p.Object.Field(n.text); f != nil {
		return f, nil
	}
	return nil, errAt(CodeInvalidField, n.pos, strings.Replace(strings.Replace(msgNoSuchColumn, "%s", n.text, 1), "%s", p.Object.Name, 1))
}

// selectFields resolves the field list, expanding FIELDS(…) groups; a
// field selected twice is an error, as on Salesforce.
func (p *Plan) selectFields(q *Query) *Error {
	seen := map[*Field]bool{}
	add := func(f *Field) *Error {
		if seen[f] {
			return errNoPos(CodeInvalidField, strings.Replace(msgDuplicateField, "%s", f.Name, 1))
		}
		seen[f] = true
		p.Columns = append(p.Columns, f)
		return nil
	}
	for _, it := range q.items {
		if it.group == "" {
			f, err := p.field(it.name)
			if err != nil {
				return err
			}
			if err := add(f); err != nil {
				return err
			}
			continue
		}
		for i := range p.Object.Fields {
			f := &p.Object.Fields[i]
			if it.group == "ALL" || (it.group == "CUSTOM") == f.Custom {
				if err := add(f); err != nil {
					return err
				}
			}
		}
	}
	if !q.count && len(p.Columns) == 0 {
		return errNoPos(CodeMalformed, msgFieldsEmpty)
	}
	return nil
}

// literal checks a condition's value against its field's type and returns
// it as the evaluator compares it.
func literal(f *Field, c condition) (any, *Error) {
	v := c.value
	if v.is("NULL") {
		return nil, nil
	}
	typeErr := func(quoted bool) *Error {
		msg := msgFilterType
		if quoted {
			msg = msgFilterTypeQuoted
		}
		return errAt(CodeInvalidField, c.field.pos, strings.Replace(strings.Replace(msg, "%s", f.Name, 1), "%s", f.Type.soapName(), 1))
	}
	switch {
	case f.Type == ID || f.Type == Reference:
		if v.kind != tokString {
			return nil, typeErr(true)
		}
		if !validID(v.text) {
			return nil, errAt(CodeFilterOperator, c.field.pos, strings.Replace(msgInvalidID, "%s", v.text, 1))
		}
		return v.text, nil
	case f.Type.textual():
		if v.kind != tokString {
			return nil, typeErr(true)
		}
		return v.text, nil
	case f.Type == Boolean:
		if !v.is("TRUE") && !v.is("FALSE") {
			return nil, typeErr(false)
		}
		return v.is("TRUE"), nil
	case f.Type == Int || f.Type == Double:
		n, ok := number(v)
		if !ok {
			return nil, typeErr(false)
		}
		return n, nil
	case f.Type == DateTime:
		if v.kind != tokDateTime {
			return nil, typeErr(false)
		}
		t, ok := parseDateTime(v.text)
		if !ok {
			return nil, typeErr(false)
		}
		return t, nil
	case f.Type == Date:
		if v.kind != tokDate {
			return nil, typeErr(false)
		}
		t, err := time.Parse(time.DateOnly, v.text)
		if err != nil {
			return nil, typeErr(false)
		}
		return t, nil
	}
	return nil, typeErr(false)
}

// validID says whether s has the shape of a record id: 15 or 18 letters
// and digits.
func validID(s string) bool {
	if len(s) != 15 && len(s) != 18 {
		return false
	}
	for i := range len(s) {
		if !isIdentPart(s[i]) || s[i] == '_' {
			return false
		}
	}
	return true
}

// dateTimeLayouts are the forms SOQL accepts for a dateTime literal.
var dateTimeLayouts = []string{"2006-01-02T15:04:05Z", "2006-01-02T15:04:05.000Z", "2006-01-02T15:04:05-07:00", "2006-01-02T15:04:05.000-07:00"}

func parseDateTime(s string) (time.Time, bool) {
	for _, l := range dateTimeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}
