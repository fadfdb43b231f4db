package infra

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/caplab/caplab/lambda/lambdatest"
)

// resolver evaluates the template's intrinsic functions for the parts
// the tests run themselves (the functions' environment, CloudFront's
// settings, the custom resource's properties), with the physical ids and
// attributes the stand-in resources have.
type resolver struct {
	tmpl   lambdatest.Template
	params map[string]any    // parameter values (defaults unless overridden)
	refs   map[string]string // Ref of a resource or pseudo parameter
	attrs  map[string]string // "Logical.Attr" for Fn::GetAtt
}

// noValue is AWS::NoValue: the property or list item disappears.
type noValueT struct{}

var noValue = noValueT{}

func newResolver(tmpl lambdatest.Template, stack string, overrides map[string]any) *resolver {
	r := &resolver{tmpl: tmpl, params: map[string]any{}, attrs: map[string]string{}, refs: map[string]string{
		"AWS::StackName": stack, "AWS::Region": "us-east-1", "AWS::AccountId": "123456789012",
		"AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com",
	}}
	ps, _ := tmpl["Parameters"].(map[string]any)
	for name, p := range ps {
		r.params[name] = get(p, "Default")
	}
	for k, v := range overrides {
		r.params[k] = v
	}
	return r
}

func (r *resolver) condition(name string) (bool, error) {
	c := get(r.tmpl["Conditions"], name)
	if c == nil {
		return false, fmt.Errorf("no condition %s", name)
	}
	v, err := r.value(c)
	if err != nil {
		return false, err
	}
	b, ok := v.(bool)
	if !ok {
		return false, fmt.Errorf("condition %s is %v", name, v)
	}
	return b, nil
}

func (r *resolver) ref(name string) (any, error) {
	if name == "AWS::NoValue" {
		return noValue, nil
	}
	if v, ok := r.params[name]; ok {
		return v, nil
	}
	if v, ok := r.refs[name]; ok {
		return v, nil
	}
	return nil, fmt.Errorf("Ref %s: no stand-in value", name)
}

var subVar = regexp.MustCompile(`\$\{([^}!][^}]*)\}`)

// value resolves v (maps, lists and scalars; intrinsic functions as
// single-key maps).
func (r *resolver) value(v any) (any, error) {
	switch x := v.(type) {
	case []any:
		out := []any{}
		for _, e := range x {
			rv, err := r.value(e)
			if err != nil {
				return nil, err
			}
			if rv != noValue {
				out = append(out, rv)
			}
		}
		return out, nil
	case map[string]any:
		if len(x) == 1 {
			for k, arg := range x {
				if rv, ok, err := r.intrinsic(k, arg); ok || err != nil {
					return rv, err
				}
			}
		}
		out := map[string]any{}
		for k, e := range x {
			rv, err := r.value(e)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			if rv != noValue {
				out[k] = rv
			}
		}
		return out, nil
	}
	return v, nil
}

func (r *resolver) intrinsic(fn string, arg any) (any, bool, error) {
	args, _ := arg.([]any)
	switch fn {
	case "Ref":
		v, err := r.ref(arg.(string))
		return v, true, err
	case "Fn::GetAtt":
		key := fmt.Sprint(args[0]) + "." + fmt.Sprint(args[1])
		v, ok := r.attrs[key]
		if !ok {
			return nil, true, fmt.Errorf("Fn::GetAtt %s: no stand-in value", key)
		}
		return v, true, nil
	case "Fn::Sub":
		s, vars := "", map[string]any{}
		if str, ok := arg.(string); ok {
			s = str
		} else {
			s = args[0].(string)
			vars, _ = args[1].(map[string]any)
		}
		var firstErr error
		out := subVar.ReplaceAllStringFunc(s, func(m string) string {
			name := m[2 : len(m)-1]
			var v any
			var err error
			if vv, ok := vars[name]; ok {
				v, err = r.value(vv)
			} else if id, attr, ok := strings.Cut(name, "."); ok && !strings.HasPrefix(name, "AWS::") {
				v, _, err = r.intrinsic("Fn::GetAtt", []any{id, attr})
			} else {
				v, err = r.ref(name)
			}
			if err != nil && firstErr == nil {
				firstErr = err
			}
			return fmt.Sprint(v)
		})
		return out, true, firstErr
	case "Fn::If":
		b, err := r.condition(args[0].(string))
		if err != nil {
			return nil, true, err
		}
		if b {
			v, err := r.value(args[1])
			return v, true, err
		}
		v, err := r.value(args[2])
		return v, true, err
	case "Fn::Join":
		parts, err := r.value(args[1])
		if err != nil {
			return nil, true, err
		}
		var ss []string
		for _, p := range parts.([]any) {
			ss = append(ss, fmt.Sprint(p))
		}
		return strings.Join(ss, args[0].(string)), true, nil
	case "Fn::Equals":
		a, err1 := r.value(args[0])
		b, err2 := r.value(args[1])
		if err1 != nil || err2 != nil {
			return nil, true, fmt.Errorf("Fn::Equals: %v %v", err1, err2)
		}
		return fmt.Sprint(a) == fmt.Sprint(b), true, nil
	case "Fn::Not":
		v, err := r.value(args[0])
		b, _ := v.(bool)
		return !b, true, err
	case "Fn::And", "Fn::Or":
		acc := fn == "Fn::And"
		for _, a := range args {
			v, err := r.value(a)
			if err != nil {
				return nil, true, err
			}
			b, _ := v.(bool)
			if fn == "Fn::And" {
				acc = acc && b
			} else {
				acc = acc || b
			}
		}
		return acc, true, nil
	case "Condition":
		b, err := r.condition(arg.(string))
		return b, true, err
	}
	return nil, false, nil
}

// env is a serverless function's environment as Lambda would set it:
// Globals merged with the function's own variables.
func (r *resolver) env(logical string) (map[string]string, error) {
	vars := map[string]any{}
	for _, src := range []any{get(r.tmpl["Globals"], "Function", "Environment", "Variables"), get(r.tmpl.Props(logical), "Environment", "Variables")} {
		m, _ := src.(map[string]any)
		for k, v := range m {
			vars[k] = v
		}
	}
	rv, err := r.value(vars)
	if err != nil {
		return nil, fmt.Errorf("%s environment: %w", logical, err)
	}
	out := map[string]string{}
	for k, v := range rv.(map[string]any) {
		out[k] = fmt.Sprint(v)
	}
	return out, nil
}
