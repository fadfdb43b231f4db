package tagcheck

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/go-playground/validator/v10"
)

// go-playground/validator is the reference: every test here compares
// Check with it on the same value.

// upper is a custom string rule with a parameter: all upper case, and
// starting with param.
func upper(s, param string) bool { return s == strings.ToUpper(s) && strings.HasPrefix(s, param) }

var custom = map[string]StringRule{"upper": upper}

type inner struct {
	Name  string   `json:"name" validate:"required,max=3"`
	Codes []string `json:"codes" validate:"omitempty,max=2,dive,upper=A"`
}

type sample struct {
	Version int               `json:"version" validate:"eq=1"`
	Kind    string            `json:"kind,omitempty" validate:"omitempty,oneof=a b"`
	Level   int               `json:"level" validate:"oneof=0 2"`
	Label   string            `json:"label" validate:"required,min=2,max=4"`
	Note    *string           `json:"note" validate:"omitempty,min=1,max=3"`
	Must    *string           `json:"must" validate:"required"`
	Flag    *bool             `json:"flag" validate:"required"`
	Count   int               `json:"count" validate:"min=0,max=9"`
	Path    string            `json:"path" validate:"startswith=/|eq="`
	Addr    string            `json:"addr" validate:"omitempty,ip"`
	Tags    []string          `json:"tags" validate:"max=3,dive,required,upper"`
	Items   []inner           `json:"items" validate:"dive"`
	Sub     inner             `json:"sub" validate:"required"`
	Opt     *inner            `json:"opt,omitempty"`
	Need    *inner            `json:"need" validate:"required"`
	Labels  map[string]string `json:"labels" validate:"max=1"`
	NoJSON  string            `validate:"eq=x|eq=y"`
	Skipped string            `json:"skipped" validate:"-"`
	hidden  string            // unexported: not checked
}

// reference checks v with the validator, set up as policy sets it up.
func reference(t *testing.T, v any) []Error {
	t.Helper()
	val := validator.New()
	val.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			return ""
		}
		return name
	})
	for tag, rule := range custom {
		if err := val.RegisterValidation(tag, func(fl validator.FieldLevel) bool {
			f := fl.Field()
			return f.Kind() == reflect.String && rule(f.String(), fl.Param())
		}); err != nil {
			t.Fatal(err)
		}
	}
	var ves validator.ValidationErrors
	if err := val.Struct(v); !errors.As(err, &ves) {
		if err != nil {
			t.Fatalf("validator: %v", err)
		}
		return nil
	}
	out := make([]Error, len(ves))
	for i, fe := range ves {
		out[i] = Error{Path: pointer(fe.Namespace()), Tag: fe.Tag(), Param: fe.Param(), Value: fe.Value(), Kind: fe.Kind()}
	}
	return out
}

// pointer turns a validator namespace such as "sample.items[0].name" into
// a JSON pointer.
func pointer(ns string) string {
	_, rest, _ := strings.Cut(ns, ".")
	r := strings.NewReplacer(".", "/", "[", "/", "]", "")
	return "/" + r.Replace(rest)
}

func errorsText(es []Error) string {
	var b strings.Builder
	for _, e := range es {
		fmt.Fprintf(&b, "\n  %s %s (%s) %v %#v", e.Path, e.Tag, e.Param, e.Kind, e.Value)
	}
	return b.String()
}

func compare(t *testing.T, name string, c *Checker, v any) []Error {
	t.Helper()
	got, want := c.Check(v), reference(t, v)
	if errorsText(got) != errorsText(want) {
		t.Errorf("%s:\ngot (tagcheck):%s\nwant (validator):%s", name, errorsText(got), errorsText(want))
	}
	return got
}

func ptr[T any](v T) *T { return &v }

// valid is a sample that breaks no rule.
func valid() sample {
	return sample{Version: 1, Level: 2, Label: "ok", Must: ptr(""), Flag: ptr(false), Path: "/a", Addr: "10.0.0.1",
		Tags: []string{"X"}, Items: []inner{{Name: "a", Codes: []string{"AB"}}}, Sub: inner{Name: "s"}, Need: &inner{Name: "n"},
		NoJSON: "x", Skipped: "anything", hidden: "anything"}
}

func TestCheckMatchesValidator(t *testing.T) {
	c := New(custom)
	tests := []struct {
		name   string
		change func(*sample)
		want   []string // the paths and rules Check reports
	}{
		{"valid", func(*sample) {}, nil},
		{"zero value", func(s *sample) { *s = sample{} }, []string{
			"/version eq", "/label required", "/must required", "/flag required",
			"/sub/name required", "/need required", "/NoJSON eq=x|eq=y"}},
		{"eq, oneof on numbers", func(s *sample) { s.Version, s.Level = 2, 1 }, []string{"/version eq", "/level oneof"}},
		{"oneof on a string, omitempty", func(s *sample) { s.Kind = "c" }, []string{"/kind oneof"}},
		{"characters, not bytes", func(s *sample) { s.Label = "éééé" }, nil},
		{"too long", func(s *sample) { s.Label = "ééééé" }, []string{"/label max"}},
		{"too short", func(s *sample) { s.Label = "é" }, []string{"/label min"}},
		{"pointer to an empty string", func(s *sample) { s.Note = ptr("") }, []string{"/note min"}},
		{"number bounds", func(s *sample) { s.Count = -1 }, []string{"/count min"}},
		{"number bounds above", func(s *sample) { s.Count = 10 }, []string{"/count max"}},
		{"alternatives", func(s *sample) { s.Path = "a" }, []string{"/path startswith=/|eq="}},
		{"empty alternative", func(s *sample) { s.Path = "" }, nil},
		{"ip with a zone", func(s *sample) { s.Addr = "fe80::1%eth0" }, []string{"/addr ip"}},
		{"ip v6", func(s *sample) { s.Addr = "2001:db8::1" }, nil},
		{"ip cidr", func(s *sample) { s.Addr = "10.0.0.0/8" }, []string{"/addr ip"}},
		{"dive with required and a custom rule", func(s *sample) { s.Tags = []string{"A", "", "b"} }, []string{"/tags/1 required", "/tags/2 upper"}},
		{"list too long stops before dive", func(s *sample) { s.Tags = []string{"a", "b", "c", "d"} }, []string{"/tags max"}},
		{"dive into structs", func(s *sample) { s.Items = []inner{{}, {Name: "toolong", Codes: []string{"BB", "A"}}} },
			[]string{"/items/0/name required", "/items/1/name max", "/items/1/codes/0 upper"}},
		{"nested optional struct", func(s *sample) { s.Opt = &inner{Codes: []string{"A", "A", "A"}} }, []string{"/opt/name required", "/opt/codes max"}},
		{"map size", func(s *sample) { s.Labels = map[string]string{"a": "1", "b": "2"} }, []string{"/labels max"}},
		{"empty list is not nil", func(s *sample) { s.Tags = []string{} }, nil},
	}
	for _, tt := range tests {
		s := valid()
		tt.change(&s)
		got := compare(t, tt.name, c, &s)
		var paths []string
		for _, e := range got {
			paths = append(paths, e.Path+" "+e.Tag)
		}
		if !slices.Equal(paths, tt.want) {
			t.Errorf("%s: got %q; want %q", tt.name, paths, tt.want)
		}
	}
}

// TestCheckMatchesValidatorRandom compares the two on random samples built
// from values near each rule's edges.
func TestCheckMatchesValidatorRandom(t *testing.T) {
	c := New(custom)
	rng := rand.New(rand.NewPCG(18, 1))
	strs := []string{"", "a", "A", "AB", "ab", "é", "ééé", "ééééé", "/x", "10.0.0.1", "::1", "1.2.3", "x", "y"}
	str := func() string { return strs[rng.IntN(len(strs))] }
	list := func() []string {
		if rng.IntN(4) == 0 {
			return nil
		}
		l := make([]string, rng.IntN(5))
		for i := range l {
			l[i] = str()
		}
		return l
	}
	optStr := func() *string {
		if rng.IntN(2) == 0 {
			return nil
		}
		return ptr(str())
	}
	in := func() inner { return inner{Name: str(), Codes: list()} }
	broken := 0
	for i := range 500 {
		s := sample{Version: rng.IntN(3), Kind: str(), Level: rng.IntN(3), Label: str(), Note: optStr(), Must: optStr(),
			Count: rng.IntN(12) - 1, Path: str(), Addr: str(), Tags: list(), Sub: in(), NoJSON: str()}
		if rng.IntN(2) == 0 {
			s.Flag = ptr(true)
		}
		for range rng.IntN(3) {
			s.Items = append(s.Items, in())
		}
		if rng.IntN(2) == 0 {
			s.Opt = ptr(in())
		}
		if rng.IntN(2) == 0 {
			s.Need = ptr(in())
		}
		if len(compare(t, fmt.Sprintf("sample %d", i), c, &s)) > 0 {
			broken++
		}
	}
	if broken < 400 {
		t.Errorf("%d of 500 samples break a rule; want most of them to", broken)
	}
}

func TestUnknownRulePanics(t *testing.T) {
	type bad struct {
		X string `validate:"nosuchrule"`
	}
	defer func() {
		r := recover()
		if msg, _ := r.(string); !strings.Contains(msg, `undefined validate rule "nosuchrule" on field bad.X`) {
			t.Errorf("got panic %v; want one naming the rule and the field", r)
		}
	}()
	New(custom).Check(bad{})
}
