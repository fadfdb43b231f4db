package soql

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Result is a query's answer: how many records match (after LIMIT) and,
// unless it is a COUNT() query, their selected values in column order,
// with the records they come from (for their ids).
type Result struct {
	TotalSize int
	Rows      [][]any
	Records   []Record
}

// Run filters, sorts and limits records and returns at most maxRows rows
// (TotalSize still counts every match). Records are not modified.
func (p *Plan) Run(records []Record, maxRows int) Result {
	var match []Record
	for _, r := range records {
		if p.matches(r) {
			match = append(match, r)
		}
	}
	if len(p.order) > 0 {
		slices.SortStableFunc(match, p.compare)
	}
	if p.limit >= 0 && len(match) > p.limit {
		match = match[:p.limit]
	}
	res := Result{TotalSize: len(match)}
	if p.Count {
		return res
	}
	for _, r := range match[:min(len(match), max(maxRows, 0))] {
		row := make([]any, len(p.Columns))
		for i, f := range p.Columns {
			row[i] = normal(r[f.Name])
		}
		res.Rows = append(res.Rows, row)
		res.Records = append(res.Records, r)
	}
	return res
}

func (p *Plan) matches(r Record) bool {
	for _, f := range p.filters {
		if !f.holds(normal(r[f.field.Name])) {
			return false
		}
	}
	return true
}

// holds says whether a record's value satisfies the filter. As in SOQL,
// != matches null values, and ordering comparisons never match null.
func (f filter) holds(v any) bool {
	if f.value == nil || v == nil {
		eq := f.value == nil && v == nil
		switch f.op {
		case "=":
			return eq
		case "!=", "<>":
			return !eq
		}
		return false
	}
	c, ok := compareValues(f.field, v, f.value)
	if !ok {
		return f.op == "!=" || f.op == "<>"
	}
	switch f.op {
	case "=":
		return c == 0
	case "!=", "<>":
		return c != 0
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	}
	return c >= 0 // ">="
}

func (p *Plan) compare(a, b Record) int {
	for _, k := range p.order {
		va, vb := normal(a[k.field.Name]), normal(b[k.field.Name])
		var c int
		switch {
		case va == nil && vb == nil:
			continue
		case va == nil || vb == nil:
			c = -1 // nulls first
			if vb == nil {
				c = 1
			}
			if k.nullsLast {
				c = -c
			}
			return c
		}
		c, _ = compareValues(k.field, va, vb)
		if k.desc {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

// compareValues orders two non-null values of a field. Text compares
// ignoring case; ids compare on their case-sensitive 15-character form.
// ok is false for values of different kinds.
func compareValues(f *Field, a, b any) (int, bool) {
	switch x := a.(type) {
	case string:
		y, ok := b.(string)
		if !ok {
			return 0, false
		}
		if f.Type == ID || f.Type == Reference {
			return cmp.Compare(id15(x), id15(y)), true
		}
		return cmp.Compare(strings.ToLower(x), strings.ToLower(y)), true
	case bool:
		y, ok := b.(bool)
		if !ok {
			return 0, false
		}
		return cmp.Compare(boolInt(x), boolInt(y)), true
	case float64:
		y, ok := b.(float64)
		if !ok {
			return 0, false
		}
		return cmp.Compare(x, y), true
	case time.Time:
		y, ok := b.(time.Time)
		if !ok {
			return 0, false
		}
		return x.Compare(y), true
	}
	return 0, false
}

// normal turns a record value into the kind the evaluator compares: ints
// become float64, an empty string is null (as in Salesforce).
func normal(v any) any {
	switch x := v.(type) {
	case int:
		return float64(x)
	case int64:
		return float64(x)
	case string:
		if x == "" {
			return nil
		}
	case time.Time:
		if x.IsZero() {
			return nil
		}
		return x.UTC()
	}
	return v
}

// id15 is the case-sensitive 15-character form of an id (an 18-character
// id's suffix only encodes the case of the first 15).
func id15(s string) string {
	if len(s) == 18 {
		return s[:15]
	}
	return s
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// number reads a numeric literal.
func number(t token) (float64, bool) {
	if t.kind != tokNumber {
		return 0, false
	}
	n, err := strconv.ParseFloat(t.text, 64)
	return n, err == nil
}
