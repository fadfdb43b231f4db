//go:build !js

package policy

import (
	"errors"
	"reflect"
	"strings"
	"sync"

	"github.com/go-playground/validator/v10"

	"github.com/caplab/caplab/policy/internal/tagcheck"
)

// The native build checks Scenario's validate tags with
// go-playground/validator; the browser build interprets the same tags with
// internal/tagcheck to stay small. TestTagInterpreterMatchesValidator holds
// the two to the same problems.

// structValidator checks Scenario's validate tags. It is built once: a
// validator caches struct metadata and is safe for concurrent use.
var structValidator = sync.OnceValue(func() *validator.Validate {
	v := validator.New()
	// Namespaces use json names, so they map onto JSON pointers.
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			return ""
		}
		return name
	})
	for tag, rule := range customRules {
		if err := v.RegisterValidation(tag, validatorFunc(rule)); err != nil {
			panic(err) // a bad tag name is a programming error
		}
	}
	return v
})

// validatorFunc adapts a string rule to validator; the rules apply to
// strings only.
func validatorFunc(rule tagcheck.StringRule) validator.Func {
	return func(fl validator.FieldLevel) bool {
		f := fl.Field()
		return f.Kind() == reflect.String && rule(f.String(), fl.Param())
	}
}

// validate reports the values that break Scenario's validate tags.
func (d *decoding) validate(s *Scenario) {
	err := structValidator().Struct(s)
	var ves validator.ValidationErrors
	if !errors.As(err, &ves) {
		if err != nil {
			d.check("", "%v", err)
		}
		return
	}
	for _, fe := range ves {
		d.ruleBroken(namespacePointer(fe.Namespace()), fe.Tag(), fe.Param(), fe.Value(), fe.Kind())
	}
}
