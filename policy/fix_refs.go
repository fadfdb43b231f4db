package policy

import (
	"reflect"
	"sync"
)

// Fix search checks the references of every patched scenario before it
// re-evaluates it (referencesValid): a change must not leave a name
// pointing at nothing. Most fixes change a setting, a policy or a request
// parameter, which names nothing and which no name points at; for them the
// scenario's references are the valid ones it had, and the check is
// skipped.

// referenceFields are the fields crossCheck (decode_refs.go) reads, by
// type and json name: names, and the fields that hold names.
// TestReferenceFieldsCoverCrossCheck fails if crossCheck reads another.
var referenceFields = map[reflect.Type][]string{
	reflect.TypeFor[Org]():                 {"name"},
	reflect.TypeFor[App]():                 {"name"},
	reflect.TypeFor[Profile]():             {"name", "connectedApps"},
	reflect.TypeFor[PermissionSet]():       {"name", "connectedApps"},
	reflect.TypeFor[PermissionSetGroup]():  {"name", "permissionSets"},
	reflect.TypeFor[MutingPermissionSet](): {"connectedApps"},
	reflect.TypeFor[User]():                {"username", "profile", "permissionSets", "permissionSetGroups", "approvedApps"},
	reflect.TypeFor[InstalledApp]():        {"app"},
	reflect.TypeFor[Event]():               {"id", "use", "do", "action", "org", "app", "user", "sendAsUser", "permissionSet", "permissionSetGroup"},
}

// patchTouchesReferences says whether any operation writes a reference
// field, or a value holding one (an org, a user, a list of them…), by the
// Go types along its path.
func patchTouchesReferences(ops []PatchOp) bool {
	for _, op := range ops {
		if pathTouchesReferences(op.Path) {
			return true
		}
	}
	return false
}

func pathTouchesReferences(path string) bool {
	tokens, ok := splitPointer(path)
	if !ok {
		return true
	}
	t := reflect.TypeFor[Scenario]()
	for _, tok := range tokens {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		switch t.Kind() {
		case reflect.Struct:
			if isReferenceField(t, tok) {
				return true
			}
			f, ok := jsonFieldsOf(t).byName(tok)
			if !ok {
				return true
			}
			t = t.Field(f.index).Type
		case reflect.Slice, reflect.Array:
			t = t.Elem()
		default:
			return true
		}
	}
	return holdsReferences(t)
}

func isReferenceField(t reflect.Type, name string) bool {
	for _, n := range referenceFields[t] {
		if n == name {
			return true
		}
	}
	return false
}

// holdsReferencesCache: reflect.Type → bool.
var holdsReferencesCache sync.Map

// holdsReferences says whether a value of type t has a reference field
// anywhere inside it (an interface may hold anything).
func holdsReferences(t reflect.Type) bool {
	if v, ok := holdsReferencesCache.Load(t); ok {
		return v.(bool)
	}
	holds := false
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Array:
		holds = holdsReferences(t.Elem())
	case reflect.Interface, reflect.Map:
		holds = true
	case reflect.Struct:
		holds = len(referenceFields[t]) > 0
		for i := 0; i < t.NumField() && !holds; i++ {
			holds = holdsReferences(t.Field(i).Type)
		}
	}
	holdsReferencesCache.Store(t, holds)
	return holds
}
