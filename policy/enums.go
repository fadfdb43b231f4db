package policy

import (
	"reflect"
	"strings"
)

// Enums lists the values each enumerated field of a scenario takes, read
// from the validate tags' oneof rules, so the playground's form offers
// exactly what Decode accepts. Keys are JSON Pointer patterns with "*" for
// any array index: "/events/*/grant", "/apps/*/policies/permittedUsers".
func Enums() map[string][]string {
	out := map[string][]string{}
	collectEnums(reflect.TypeFor[Scenario](), "", out, 0)
	return out
}

// maxEnumDepth bounds the walk: the scenario's types nest about 6 deep.
const maxEnumDepth = 12

func collectEnums(t reflect.Type, path string, out map[string][]string, depth int) {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		if t.Kind() == reflect.Slice {
			path += "/*"
		}
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || depth > maxEnumDepth {
		return
	}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "" || name == "-" {
			continue
		}
		p := path + "/" + name
		for rule := range strings.SplitSeq(f.Tag.Get("validate"), ",") {
			if values, ok := strings.CutPrefix(rule, "oneof="); ok {
				out[p] = strings.Fields(values)
			}
		}
		collectEnums(f.Type, p, out, depth+1)
	}
}
