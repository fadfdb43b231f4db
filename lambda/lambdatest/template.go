package lambdatest

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/awslabs/goformation/v7/intrinsics"
)

// Template is a CloudFormation template as JSON-shaped values, its
// intrinsic functions left as they are ({"Ref": …}, {"Fn::Sub": …}).
type Template map[string]any

// LoadTemplate reads a YAML or JSON template (short-form tags such as
// !Ref become their long form).
func LoadTemplate(path string) (Template, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	js, err := intrinsics.ProcessYAML(b, &intrinsics.ProcessorOptions{NoProcess: true})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var t Template
	if err := json.Unmarshal(js, &t); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	normalizeGetAtt(map[string]any(t))
	return t, nil
}

// normalizeGetAtt rewrites the short form's {"Fn::GetAtt": "A.B.C"} as
// the long form's ["A", "B.C"] (the logical id ends at the first dot).
func normalizeGetAtt(v any) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if s, ok := e.(string); ok && k == "Fn::GetAtt" {
				if id, attr, ok := strings.Cut(s, "."); ok {
					x[k] = []any{id, attr}
				}
				continue
			}
			normalizeGetAtt(e)
		}
	case []any:
		for _, e := range x {
			normalizeGetAtt(e)
		}
	}
}

// Resource is one resource's definition (Type, Properties, Condition, …).
func (t Template) Resource(logical string) map[string]any {
	rs, _ := t["Resources"].(map[string]any)
	r, _ := rs[logical].(map[string]any)
	return r
}

// ResourcesOfType lists the logical ids of the resources of one type, sorted.
func (t Template) ResourcesOfType(typ string) []string {
	rs, _ := t["Resources"].(map[string]any)
	var out []string
	for id, r := range rs {
		if m, _ := r.(map[string]any); m["Type"] == typ {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

// Props is a resource's Properties.
func (t Template) Props(logical string) map[string]any {
	p, _ := t.Resource(logical)["Properties"].(map[string]any)
	return p
}

// TemplateRoute is one HttpApi event of a serverless function: the route
// API Gateway creates for it.
type TemplateRoute struct {
	Function     string // logical id
	Method, Path string // Method upper case, ANY for any
}

// Key is the API Gateway route key, e.g. "POST /o/{id}/services/oauth2/token".
func (r TemplateRoute) Key() string { return r.Method + " " + r.Path }

// HTTPAPIRoutes lists the HttpApi events of every AWS::Serverless::Function.
func (t Template) HTTPAPIRoutes() ([]TemplateRoute, error) {
	var out []TemplateRoute
	for _, fn := range t.ResourcesOfType("AWS::Serverless::Function") {
		evs, _ := t.Props(fn)["Events"].(map[string]any)
		for name, ev := range evs {
			m, _ := ev.(map[string]any)
			if m["Type"] != "HttpApi" {
				continue
			}
			p, _ := m["Properties"].(map[string]any)
			method, _ := p["Method"].(string)
			path, _ := p["Path"].(string)
			if method == "" || !strings.HasPrefix(path, "/") {
				return nil, fmt.Errorf("%s event %s: want a literal Method and Path, got %v", fn, name, p)
			}
			out = append(out, TemplateRoute{Function: fn, Method: strings.ToUpper(method), Path: path})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key() < out[j].Key() })
	return out, nil
}
