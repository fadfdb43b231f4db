package policy

import (
	"maps"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// scenarioDoc is the scenario format's documentation.
const scenarioDoc = "../docs/scenario.md"

// TestScenarioDocMatchesTypes holds docs/scenario.md to the Go types: each
// struct type reachable from Scenario has a section "(type `Name`)" whose
// table has a row per JSON field, no other rows, the field's JSON type,
// and for an enumerated field exactly the values Decode accepts; each
// "(enum `pattern`)" table lists exactly Enums()[pattern], and each
// "(names `X`)" table exactly the names of policy.X.
func TestScenarioDocMatchesTypes(t *testing.T) {
	data, err := os.ReadFile(scenarioDoc)
	if err != nil {
		t.Fatal(err)
	}
	sections := docSections(t, string(data))
	types := map[string]reflect.Type{}
	collectStructTypes(reflect.TypeFor[Scenario](), types)
	seen := map[string]bool{}
	for _, sec := range sections {
		switch sec.kind {
		case "type":
			typ, ok := types[sec.name]
			if !ok {
				t.Errorf("%s: section for type %s, which is not part of the scenario", scenarioDoc, sec.name)
				continue
			}
			seen[sec.name] = true
			checkTypeTable(t, typ, sec)
		case "enum":
			want, ok := Enums()[sec.name]
			if !ok {
				t.Errorf("%s: section for enum %s, which Enums does not have", scenarioDoc, sec.name)
				continue
			}
			checkList(t, "enum "+sec.name, sec.firstColumn(), want)
		case "names":
			lists := map[string][]string{"PermissionNames": PermissionNames, "ScopeNames": ScopeNames}
			want, ok := lists[sec.name]
			if !ok {
				t.Errorf("%s: section for names %s; want one of %v", scenarioDoc, sec.name, slices.Sorted(maps.Keys(lists)))
				continue
			}
			checkList(t, "names "+sec.name, sec.firstColumn(), want)
		}
	}
	for name := range types {
		if !seen[name] {
			t.Errorf("%s has no section \"(type `%s`)\" for the scenario's type %s", scenarioDoc, name, name)
		}
	}
}

// docSection is a tagged heading and the table under it.
type docSection struct {
	kind, name string // "type", "enum" or "names", and what it names
	header     []string
	rows       [][]string
}

// cell is row's cell in the named column, or "".
func (s docSection) cell(row []string, column string) string {
	if i := slices.Index(s.header, column); i >= 0 && i < len(row) {
		return row[i]
	}
	return ""
}

// firstColumn is the backticked names of the first column.
func (s docSection) firstColumn() []string {
	var out []string
	for _, r := range s.rows {
		out = append(out, backticked(r[0])...)
	}
	return out
}

var (
	tagPattern      = regexp.MustCompile("^#+ .*\\((type|enum|names) `([^`]+)`\\)\\s*$")
	backtickPattern = regexp.MustCompile("`([^`]*)`")
)

func backticked(s string) []string {
	var out []string
	for _, m := range backtickPattern.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	return out
}

// docSections reads the tagged headings of a markdown document and the
// table that follows each; a heading without a tag ends the section.
func docSections(t *testing.T, doc string) []docSection {
	t.Helper()
	var out []docSection
	var cur *docSection
	for line := range strings.Lines(doc) {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "#"):
			cur = nil
			if m := tagPattern.FindStringSubmatch(line); m != nil {
				out = append(out, docSection{kind: m[1], name: m[2]})
				cur = &out[len(out)-1]
			}
		case cur != nil && strings.HasPrefix(line, "|"):
			cells := strings.Split(strings.Trim(line, "|"), "|")
			for i := range cells {
				cells[i] = strings.TrimSpace(cells[i])
			}
			switch {
			case cur.header == nil:
				cur.header = cells
			case strings.Trim(strings.Join(cells, ""), "-: ") == "": // the separator row
			default:
				cur.rows = append(cur.rows, cells)
			}
		}
	}
	for _, s := range out {
		if len(s.rows) == 0 {
			t.Errorf("%s: section (%s `%s`) has no table", scenarioDoc, s.kind, s.name)
		}
	}
	return out
}

// collectStructTypes finds the struct types a scenario is made of.
func collectStructTypes(t reflect.Type, out map[string]reflect.Type) {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || out[t.Name()] != nil {
		return
	}
	out[t.Name()] = t
	for f := range t.Fields() {
		if f.IsExported() {
			collectStructTypes(f.Type, out)
		}
	}
}

// jsonType is how the doc names a Go field's JSON type.
func jsonType(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "integer"
	case reflect.Interface:
		return "any JSON"
	case reflect.Slice:
		if e := jsonType(t.Elem()); e == "string" {
			return "list of strings"
		} else {
			return "list of " + e
		}
	case reflect.Struct:
		return t.Name()
	}
	return t.String()
}

func checkTypeTable(t *testing.T, typ reflect.Type, sec docSection) {
	t.Helper()
	fields := map[string]reflect.StructField{}
	var names []string
	for f := range typ.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" || name == "" {
			continue
		}
		fields[name] = f
		names = append(names, name)
	}
	rows := map[string]bool{}
	for _, row := range sec.rows {
		name := strings.Trim(row[0], "`")
		rows[name] = true
		f, ok := fields[name]
		if !ok {
			t.Errorf("%s, type %s: row %q names no field of %s (its fields: %v)", scenarioDoc, sec.name, name, sec.name, names)
			continue
		}
		if got, want := sec.cell(row, "Type"), jsonType(f.Type); got != want {
			t.Errorf("%s, type %s, field %s: Type %q; want %q", scenarioDoc, sec.name, name, got, want)
		}
		for rule := range strings.SplitSeq(f.Tag.Get("validate"), ",") {
			if values, ok := strings.CutPrefix(rule, "oneof="); ok {
				checkList(t, "type "+sec.name+", field "+name+" (Values)", backticked(sec.cell(row, "Values")), strings.Fields(values))
			}
		}
	}
	for _, name := range names {
		if !rows[name] {
			t.Errorf("%s, type %s: no row for field %s", scenarioDoc, sec.name, name)
		}
	}
}

// checkList wants got and want to hold the same names, in any order.
func checkList(t *testing.T, what string, got, want []string) {
	t.Helper()
	g, w := slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))
	if !slices.Equal(g, w) {
		t.Errorf("%s, %s: lists %q; want %q", scenarioDoc, what, g, w)
	}
}
