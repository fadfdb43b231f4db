//go:build !js

package policy

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The browser build checks validate tags with internal/tagcheck instead of
// go-playground/validator. These tests hold the two to the same problems
// on scenarios: natively, (*decoding).validate is the validator (the js
// build has no validator to compare with, hence the build tag).

// tagProblems runs one implementation over a decoded scenario. With
// isolated, structural problems of the document are left out and cover
// nothing, so every broken rule shows; without, it is as in Decode.
func tagProblems(data []byte, s *Scenario, validate func(*decoding, *Scenario), isolated bool) []FieldError {
	d := &decoding{data: data}
	if isolated {
		d.positions()
		d.bad, d.probs = nil, nil
	}
	validate(d, s)
	out := make([]FieldError, len(d.probs))
	for i, p := range d.probs {
		line, col := d.lineColumn(p.off)
		out[i] = FieldError{Path: p.path, Message: p.msg, Line: line, Column: col}
	}
	return out
}

// compareTagCheckers reports where the validator and the interpreter differ
// on a document, decoded as Decode does, and on s when it is not nil (a
// scenario that data is the encoding of).
func compareTagCheckers(t *testing.T, name string, data []byte, s *Scenario) {
	t.Helper()
	var decoded Scenario
	var se *json.SyntaxError
	if err := json.Unmarshal(data, &decoded); errors.As(err, &se) {
		return // Decode stops before validating
	}
	for _, sc := range []*Scenario{&decoded, s} {
		if sc == nil {
			continue
		}
		for _, isolated := range []bool{true, false} {
			want := tagProblems(data, sc, (*decoding).validate, isolated)
			got := tagProblems(data, sc, (*decoding).validateTags, isolated)
			if !slices.Equal(got, want) {
				t.Errorf("%s (isolated %v):\ninterpreter: %s\nvalidator:   %s", name, isolated, fieldErrorsText(got), fieldErrorsText(want))
			}
		}
	}
}

func fieldErrorsText(fes []FieldError) string {
	var b strings.Builder
	for _, fe := range fes {
		fmt.Fprintf(&b, "\n  %d:%d %s", fe.Line, fe.Column, fe)
	}
	return b.String()
}

// fuzzCorpus reads the seed corpus of a fuzz test of []byte.
func fuzzCorpus(t testing.TB, fuzzTest string) map[string][]byte {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "fuzz", fuzzTest, "*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus for %s: %v", fuzzTest, err)
	}
	out := map[string][]byte{}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		header, body, _ := strings.Cut(string(b), "\n")
		body = strings.TrimSpace(body)
		lit, ok := strings.CutPrefix(body, "[]byte(")
		lit, ok2 := strings.CutSuffix(lit, ")")
		s, err := strconv.Unquote(lit)
		if header != "go test fuzz v1" || !ok || !ok2 || err != nil {
			t.Fatalf("%s: not a go test fuzz v1 file of one []byte: %v", file, err)
		}
		out[filepath.Base(file)] = []byte(s)
	}
	return out
}

func TestTagInterpreterMatchesValidatorOnPresets(t *testing.T) {
	for _, p := range Presets() {
		data, _ := Preset(p.Name)
		compareTagCheckers(t, "preset "+p.Name, data, nil)
	}
	for name, data := range fuzzCorpus(t, "FuzzDecode") {
		compareTagCheckers(t, "corpus "+name, data, nil)
	}
	compareTagCheckers(t, "minimal", []byte(minimal), nil)
	compareTagCheckers(t, "spec example", []byte(specExample), nil)
}

// TestTagInterpreterMatchesValidator breaks presets at random, many rules at
// a time, and compares the problems the two report.
func TestTagInterpreterMatchesValidator(t *testing.T) {
	rng := rand.New(rand.NewPCG(2026, 3))
	presets := Presets()
	const samples = 1000
	withProblems := 0
	broken := map[string]int{}
	for i := range samples {
		p := presets[rng.IntN(len(presets))]
		s, _ := presetScenario(t, p.Name)
		var did []string
		for range 1 + rng.IntN(4) {
			did = append(did, mutateScenario(rng, s))
		}
		data, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		name := fmt.Sprintf("sample %d (%s: %s)", i, p.Name, strings.Join(did, "; "))
		compareTagCheckers(t, name, data, s)
		errs := tags.Check(s)
		if len(errs) > 0 {
			withProblems++
		}
		for _, e := range errs {
			broken[e.Tag]++
		}
	}
	if withProblems < samples*3/5 {
		t.Errorf("%d of %d samples break a rule; want most of them to", withProblems, samples)
	}
	// Every rule of Scenario's tags is broken somewhere: a rule the random
	// samples missed is broken on purpose in the first preset that has it.
	for _, tag := range []string{"required", "eq", "min", "max", "oneof", "startswith=/|eq=", "ip",
		"sfid", "mydomain", "date", "timestamp", "duration", "callback", "scope", "permission", "rtpolicy", "host", "clock", "utcoffset"} {
		for i := 0; broken[tag] == 0 && i < 10*len(presets); i++ {
			p := presets[i%len(presets)]
			s, _ := presetScenario(t, p.Name)
			if site, ok := mutateTag(rng, s, tag); ok {
				data, _ := json.Marshal(s)
				compareTagCheckers(t, fmt.Sprintf("preset %s: %s", p.Name, site), data, s)
				for _, e := range tags.Check(s) {
					broken[e.Tag]++
				}
			}
		}
		if broken[tag] == 0 {
			t.Errorf("no sample breaks the rule %q; got %v", tag, broken)
		}
	}
}

func FuzzTagInterpreterMatchesValidator(f *testing.F) {
	for _, data := range fuzzCorpus(f, "FuzzDecode") {
		f.Add(data)
	}
	for _, p := range Presets()[:3] {
		data, _ := Preset(p.Name)
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > maxScenarioSize {
			return
		}
		compareTagCheckers(t, "input", data, nil)
	})
}

// mutateScenario breaks (or sometimes fixes) one value of s, chosen at
// random among those with a validate tag, and says what it did.
func mutateScenario(rng *rand.Rand, s *Scenario) string {
	var sites []tagSite
	collectTagSites(reflect.ValueOf(s).Elem(), "", &sites)
	// Pick a tag, then a value with it, so that each rule gets its turn
	// however many values are under it.
	byTag := map[string][]tagSite{}
	var tags []string
	for _, s := range sites {
		if byTag[s.tag] == nil {
			tags = append(tags, s.tag)
		}
		byTag[s.tag] = append(byTag[s.tag], s)
	}
	return breakSite(rng, byTag[tags[rng.IntN(len(tags))]])
}

// mutateTag breaks a value of s whose validate tag contains rule, if s
// has one.
func mutateTag(rng *rand.Rand, s *Scenario, rule string) (string, bool) {
	var sites []tagSite
	collectTagSites(reflect.ValueOf(s).Elem(), "", &sites)
	var group []tagSite
	for _, site := range sites {
		if slices.Contains(strings.Split(site.tag, ","), rule) {
			group = append(group, site)
		}
	}
	if len(group) == 0 {
		return "", false
	}
	return breakSite(rng, group), true
}

// breakSite changes one of the values of group (values sharing a validate
// tag) so it is likely to break the tag's rules.
func breakSite(rng *rand.Rand, group []tagSite) string {
	site := group[rng.IntN(len(group))]
	v := site.v
	switch v.Kind() {
	case reflect.String:
		v.SetString(badString(rng, site.tag))
	case reflect.Pointer:
		switch {
		case v.Type().Elem().Kind() == reflect.String:
			x := badString(rng, site.tag)
			v.Set(reflect.ValueOf(&x))
		case v.IsNil():
			v.Set(reflect.New(v.Type().Elem()))
		default:
			v.Set(reflect.Zero(v.Type()))
		}
	case reflect.Int:
		v.SetInt(int64(rng.IntN(4) - 1))
	case reflect.Slice:
		switch n := tagLimit(site.tag, "max"); rng.IntN(5) {
		case 0:
			v.Set(reflect.Zero(v.Type())) // nil
		case 1:
			v.Set(reflect.MakeSlice(v.Type(), 0, 0))
		case 2, 3: // one more than allowed, or the most allowed
			grow := n + 1 - v.Len() - rng.IntN(2)
			for range max(grow, 1) {
				v.Set(reflect.Append(v, newElem(rng, v)))
			}
		default:
			v.Set(reflect.Append(v, newElem(rng, v)))
		}
	default:
		panic("unexpected site " + site.path + " of kind " + v.Kind().String())
	}
	return site.path
}

// newElem is a new element for a list: a copy of one of its elements or a
// zero value.
func newElem(rng *rand.Rand, list reflect.Value) reflect.Value {
	if list.Len() > 0 && rng.IntN(2) == 0 {
		return list.Index(rng.IntN(list.Len()))
	}
	if list.Type().Elem().Kind() == reflect.String {
		return reflect.ValueOf("x" + strconv.Itoa(rng.IntN(100)))
	}
	return reflect.Zero(list.Type().Elem())
}

// tagSite is a value a mutation may change, and the validate rules for it.
type tagSite struct {
	v         reflect.Value
	tag, path string
}

func collectTagSites(v reflect.Value, path string, out *[]tagSite) {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		tag := f.Tag.Get("validate")
		fv := v.Field(i)
		p := path + "/" + name
		switch fv.Kind() {
		case reflect.String, reflect.Int, reflect.Slice:
			*out = append(*out, tagSite{fv, tag, p})
		case reflect.Pointer:
			if e := fv.Type().Elem(); e.Kind() == reflect.String || e.Kind() == reflect.Struct {
				*out = append(*out, tagSite{fv, tag, p})
			}
			if !fv.IsNil() && fv.Elem().Kind() == reflect.Struct {
				collectTagSites(fv.Elem(), p, out)
			}
		case reflect.Struct:
			collectTagSites(fv, p, out)
		}
		if fv.Kind() != reflect.Slice {
			continue
		}
		_, elemTag, _ := strings.Cut(tag, "dive")
		elemTag = strings.TrimPrefix(elemTag, ",")
		for j := range fv.Len() {
			e, ep := fv.Index(j), p+"/"+strconv.Itoa(j)
			switch e.Kind() {
			case reflect.String:
				*out = append(*out, tagSite{e, elemTag, ep})
			case reflect.Struct:
				collectTagSites(e, ep, out)
			}
		}
	}
}

// tagLimit is the parameter of a size rule in a tag, or 0.
func tagLimit(tag, rule string) int {
	for item := range strings.SplitSeq(tag, ",") {
		if p, ok := strings.CutPrefix(item, rule+"="); ok {
			n, _ := strconv.Atoi(p)
			return n
		}
	}
	return 0
}

// badString is a string for a value with the tag: mostly one that breaks
// a rule of it, sometimes one that passes or is empty.
func badString(rng *rand.Rand, tag string) string {
	pick := func(xs ...string) string { return xs[rng.IntN(len(xs))] }
	switch rng.IntN(8) {
	case 0:
		return ""
	case 1:
		if n := tagLimit(tag, "max"); n > 0 {
			return strings.Repeat(pick("x", "é", "🙂"), n+rng.IntN(2)) // the limit counts characters
		}
	}
	_, rule, _ := strings.Cut(tag, "omitempty,")
	rule, param, _ := strings.Cut(rule, "=")
	switch {
	case strings.HasPrefix(tag, "startswith="):
		return pick("orgs/0", "/orgs/0/name", "~1", " /x", "")
	case rule == "oneof":
		names := strings.Fields(param)
		n := names[rng.IntN(len(names))]
		return pick(n, strings.ToUpper(n[:1])+n[1:], n+"s", "bogus", n[:len(n)-1])
	case rule == "sfid":
		id := GenerateID(param, strconv.Itoa(rng.IntN(1000)))
		return pick(id, id[:15], id[:15]+"AAA", id[:17], "001"+id[3:], id[:15]+strings.ToLower(id[15:]),
			id[:10]+"-"+id[11:], strings.Repeat("x", 18))
	case rule == "mydomain":
		return pick("acme", "Acme", "acme.my", "-acme", "acme--uat", "acme-", strings.Repeat("a", 63), strings.Repeat("a", 64), "https://acme")
	case rule == "date":
		return pick("2024-02-30", "2024-2-1", "yesterday", "2024-02-01", "2024-02-01T00:00:00Z")
	case rule == "timestamp":
		return pick("2026-03-01 09:00:00", "2026-03-01T09:00:00", "2026-03-01T09:00:00+01:00", "2026-13-01T00:00:00Z", "2026-03-01T09:00:00Z", "now")
	case rule == "duration":
		return pick("-5m", "5x", "NaNd", "90m", "2h", "31d", "1e400h", "m")
	case rule == "rtpolicy":
		return pick("expireAfter:", "expireAfter:5q", "expireIfNotUsedFor:2h", "validUntilRevoked", "Forever", "expireAfter:-1d")
	case rule == "host":
		return pick("ftp://x", "https://", "login", "Login", "http://localhost:8080", "https://acme.my.salesforce.com", "acme.my.salesforce.com")
	case strings.Contains(tag, "ip"):
		return pick("1.2.3", "fe80::1%eth0", "::ffff:1.2.3.4", "10.0.0.1", "1.2.3.4/24", " 1.2.3.4", "2001:db8::1", "256.1.1.1")
	case strings.Contains(tag, "callback"):
		return pick("http://", "app.example.com/cb", "https://app.example.com/cb#x", "myapp://callback",
			"https://x.test/"+strings.Repeat("p", 2000), "mailto:", "urn:x", "http://:80/cb", "https://app.example.com/cb")
	case strings.Contains(tag, "scope"):
		return pick(append([]string{"API", "refresh", "full access"}, ScopeNames...)...)
	case strings.Contains(tag, "permission"):
		return pick(append([]string{"apienabled", "ApiEnabled", "modifyAll"}, PermissionNames...)...)
	}
	return pick("x", "Acme", "ana@acme.test", "😀")
}
