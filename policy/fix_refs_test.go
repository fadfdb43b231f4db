package policy

import (
	"encoding/json"
	"reflect"
	"strconv"
	"testing"
)

// richScenario has at least one of every struct the scenario is made of,
// with every list holding an item, and valid references.
func richScenario(t *testing.T) *Scenario {
	t.Helper()
	span := &HoursSpan{Start: "09:00", End: "17:00"}
	s := scen(evs(
		webServer(id("a1")),
		codeGrant(id("t1"), use("a1")),
		Event{Do: "admin", Org: tOrg, Action: "assignPermissionSet", User: tUser, PermissionSet: "Sync Access",
			Policies: &Policies{PermittedUsers: "adminApproved"}, Expect: &Expect{Outcome: Granted}},
		Event{Do: "outboundMessage", Org: tOrg, SendAsUser: tUser, IncludeSessionID: ptr(true)},
		Event{Do: "admin", Org: tOrg, Action: "assignPermissionSetGroup", User: tUser, PermissionSetGroup: "Group"},
	),
		addPermSet("Sync Access", true, []string{tApp}, "apiEnabled"),
		addGroup("Group", true, &MutingPermissionSet{Permissions: []string{"apiEnabled"}, ConnectedApps: []string{tApp}}, "Sync Access"),
		installed(Policies{IPRelaxation: "relax"}),
		approved(), onProfile(), ipRanges(tRange),
		withProfile(func(p *Profile) { p.LoginHours = &LoginHours{Monday: span, Tuesday: span} }),
		withOrg(func(o *Org) {
			o.ExperienceSites = []string{"https://acme.my.site.com/portal"}
			o.Settings.TrustedIPRanges = []IPRange{tRange}
			o.Settings.AllowUsernamePasswordFlows = ptr(true)
		}),
		withUser(func(u *User) { u.Active, u.HasPassword = ptr(true), ptr(true) }),
	)
	return decodeScenario(t, s)
}

// garble puts a value no name matches into v (a leaf: a string, a list of
// strings, a bool, a number, or a pointer to one); false for other kinds.
func garble(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.String:
		v.SetString("zz-no-such-name")
	case reflect.Bool:
		v.SetBool(!v.Bool())
	case reflect.Int:
		v.SetInt(v.Int() + 3)
	case reflect.Slice:
		if v.Type().Elem().Kind() != reflect.String {
			return false
		}
		v.Set(reflect.ValueOf([]string{"zz-no-such-name", "zz-no-such-name"}).Convert(v.Type()))
	case reflect.Pointer:
		if k := v.Type().Elem().Kind(); k != reflect.String && k != reflect.Bool {
			return false
		}
		n := reflect.New(v.Type().Elem())
		garble(n.Elem())
		v.Set(n)
	default:
		return false
	}
	return true
}

// leafPaths lists the JSON pointers of every leaf field in v (the first
// item of each list), the way crossCheck could read it.
func leafPaths(v reflect.Value, at string, out *[]string) {
	for v.Kind() == reflect.Pointer && v.Type().Elem().Kind() == reflect.Struct {
		if v.IsNil() {
			return
		}
		v = v.Elem()
	}
	switch {
	case v.Kind() == reflect.Struct:
		for _, f := range jsonFieldsOf(v.Type()) {
			leafPaths(v.Field(f.index), at+"/"+f.name, out)
		}
	case v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Struct:
		for i := range v.Len() {
			leafPaths(v.Index(i), at+"/"+strconv.Itoa(i), out)
		}
	case v.Kind() == reflect.Interface:
	default:
		*out = append(*out, at)
	}
}

// Every field fix search does not count as a reference (referenceFields)
// can hold any value without crossCheck noticing: set to a name nothing
// has, or to a repeated one, it leaves the references valid. And every
// reference field, changed so, is noticed (the test's values do reach
// crossCheck).
func TestReferenceFieldsCoverCrossCheck(t *testing.T) {
	base := richScenario(t)
	if !referencesValid(base) {
		t.Fatal("the rich scenario's references are not valid")
	}
	var paths []string
	leafPaths(reflect.ValueOf(base).Elem(), "", &paths)
	doc, _ := json.Marshal(base)
	checked := 0
	noticed := map[string]bool{} // type.field of reference fields crossCheck noticed garbled
	for _, path := range paths {
		var s Scenario
		if err := json.Unmarshal(doc, &s); err != nil {
			t.Fatal(err)
		}
		tokens, _ := splitPointer(path)
		var p structPatcher
		parent, ok := p.walk(reflect.ValueOf(&s).Elem(), tokens[:len(tokens)-1])
		f, ok2 := jsonFieldsOf(parent.Type()).byName(tokens[len(tokens)-1])
		if !ok || !ok2 || !garble(parent.Field(f.index)) {
			continue
		}
		checked++
		valid := referencesValid(&s)
		if !pathTouchesReferences(path) && !valid {
			t.Errorf("%s: crossCheck reads it, but it is not in referenceFields", path)
		}
		if !valid {
			noticed[parent.Type().Name()+"."+f.name] = true
		}
	}
	for ty, fields := range referenceFields {
		for _, f := range fields {
			if key := ty.Name() + "." + f; !noticed[key] && f != "do" && f != "action" {
				t.Errorf("%s is in referenceFields, yet no name nothing has there made crossCheck complain", key)
			}
		}
	}
	if checked < 100 {
		t.Errorf("checked %d fields; want at least 100", checked)
	}
}

// A patch touches references when it writes a reference field or a value
// holding one.
func TestPatchTouchesReferences(t *testing.T) {
	for path, want := range map[string]bool{
		"/orgs/0/installedApps/0/policies/refreshTokenPolicy": false,
		"/orgs/0/settings/allowUsernamePasswordFlows":         false,
		"/orgs/0/settings":                 false,
		"/apps/0/oauth/callbackUrls/-":     false,
		"/events/3/clientSecret":           false,
		"/orgs/0/users/0/active":           false,
		"/orgs/0/users/0/permissionSets/-": true,
		"/orgs/0/users/0/approvedApps":     true,
		"/orgs/0/installedApps/-":          true,
		"/orgs/0/installedApps":            true,
		"/orgs/0/users/0":                  true,
		"/orgs/0/name":                     true,
		"/events/3/user":                   true,
		"/events/3":                        true,
		"/events/3/patch/0/value":          true,
		"/apps/0/name":                     true,
		"/orgs/0/nosuchfield":              true,
	} {
		if got := pathTouchesReferences(path); got != want {
			t.Errorf("%s: touches references %v; want %v", path, got, want)
		}
	}
}
