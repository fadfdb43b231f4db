// Package limitstest builds adversarial scenario documents for the tests
// that hold the engine (policy) and the HTTP API (lambda/httpapi) to their
// cost limits. Each document is at most BodyLimit bytes, the largest body
// POST /api/evaluate reads. It builds plain JSON and imports nothing of
// caplab's, so policy's own tests can use it.
package limitstest

import (
	"encoding/json"
	"strings"
)

// BodyLimit is lambda/httpapi's maxBodyBytes: the attacks are what one
// request may carry.
const BodyLimit = 64 << 10

// Case is one adversarial document and what the engine must do with it.
type Case struct {
	Name string
	Doc  []byte
	// Valid: Decode accepts it (else the API answers 400 before evaluating).
	Valid bool
	// Limit names the engine limit that stops evaluating it (a LimitError,
	// 422 from the API); "" when the evaluation finishes.
	Limit string
	// FixLimit names the limit that cuts its fix search short (the result
	// is complete and lists it in "limits"); "" when none does.
	FixLimit string
}

// Cases are every attack, each at most BodyLimit bytes.
func Cases() []Case {
	return []Case{
		{Name: "patch doubling", Doc: PatchDoubling(40), Valid: true, Limit: "maxPatchedScenarioBytes"},
		{Name: "long op lists", Doc: LongOpLists(), Valid: true, Limit: "maxPatchOpsPerScenario"},
		{Name: "patch growth", Doc: PatchGrowth(), Valid: true, Limit: "maxEventEvaluations"},
		{Name: "patch growth before denials", Doc: PatchGrowthBeforeDenials(), Valid: true, FixLimit: "maxEventEvaluations"},
		{Name: "500 denied events", Doc: DeniedEvents(500), Valid: true, FixLimit: "maxEventEvaluations"},
		{Name: "long strings", Doc: LongStrings(), Valid: true},
		{Name: "huge lesson", Doc: HugeLesson()},
		{Name: "deep nesting", Doc: DeepNesting()},
		{Name: "patch deepening", Doc: PatchDeepening(), Valid: true, Limit: "maxPatchDepth"},
		{Name: "deep nesting rejected", Doc: DeepNestingRejected()},
	}
}

// base is a one-org, one-app scenario whose password-flow token request is
// denied (username-password flows are off in a new org), so every denied
// event has fixes to search.
func base(events []any) map[string]any {
	return map[string]any{
		"schemaVersion": 1,
		"title":         "limits",
		"now":           "2026-03-01T09:00:00Z",
		"orgs": []any{map[string]any{
			"name": "Acme", "myDomain": "acme", "createdAt": "2024-02-01",
			"profiles": []any{map[string]any{"name": "Std", "permissions": []any{"apiEnabled"}}},
			"users":    []any{map[string]any{"username": "ana@acme.test", "profile": "Std"}},
		}},
		"apps": []any{map[string]any{"name": "Acme Sync", "ownerOrg": "Acme",
			"oauth":    map[string]any{"callbackUrls": []any{"https://app.acme.test/cb"}, "scopes": []any{"api", "refresh_token"}},
			"policies": map[string]any{"permittedUsers": "adminApproved"},
		}},
		"events": events,
	}
}

// deniedEvent is a password-flow token request base denies.
func deniedEvent() map[string]any {
	return map[string]any{"do": "token", "grant": "password", "user": "ana@acme.test"}
}

func patchEvent(ops ...any) map[string]any {
	return map[string]any{"do": "admin", "action": "patch", "patch": ops}
}

func doublingOp() map[string]any {
	return map[string]any{"op": "copy", "from": "/orgs", "path": "/orgs/-"}
}

func encode(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// PatchDoubling is the patch bomb: one admin patch event of n
// operations, each copying /orgs into itself, doubling the document.
func PatchDoubling(n int) []byte {
	ops := make([]any, n)
	for i := range ops {
		ops[i] = doublingOp()
	}
	return encode(base([]any{patchEvent(ops...)}))
}

// LongOpLists is as many admin patch events of 100 cheap, valid
// operations (set the title, then test it) as fit in the body.
func LongOpLists() []byte {
	var events []any
	for {
		ops := make([]any, 100)
		for i := range ops {
			if i%2 == 0 {
				ops[i] = map[string]any{"op": "replace", "path": "/title", "value": "t"}
			} else {
				ops[i] = map[string]any{"op": "test", "path": "/title", "value": "t"}
			}
		}
		next := append(events, patchEvent(ops...))
		if len(encode(base(next))) > BodyLimit {
			return encode(base(events))
		}
		events = next
	}
}

// growthPatch doubles the orgs growthDoublings times: the document grows
// about a thousandfold, yet stays under the engine's size limit, and the
// patched scenario is invalid (so every replay grows it again).
func growthPatch() map[string]any {
	const growthDoublings = 9
	ops := make([]any, growthDoublings)
	for i := range ops {
		ops[i] = doublingOp()
	}
	return patchEvent(ops...)
}

// PatchGrowth is as many growth patch events as fit in the body: each is
// expensive but within every patch limit.
func PatchGrowth() []byte {
	var events []any
	for {
		next := append(events, growthPatch())
		if len(next) > 500 || len(encode(base(next))) > BodyLimit {
			return encode(base(events))
		}
		events = next
	}
}

// PatchGrowthBeforeDenials is two growth patch events, then denied events:
// every fix-search re-evaluation replays the growth.
func PatchGrowthBeforeDenials() []byte {
	events := []any{growthPatch(), growthPatch()}
	for {
		next := append(events, deniedEvent())
		if len(next) > 500 || len(encode(base(next))) > BodyLimit {
			return encode(base(events))
		}
		events = next
	}
}

// DeniedEvents is n denied events: fix search for every one.
func DeniedEvents(n int) []byte {
	events := make([]any, n)
	for i := range events {
		events[i] = deniedEvent()
	}
	return encode(base(events))
}

// LongStrings fills events with strings at their longest valid lengths,
// which responses and traces echo.
func LongStrings() []byte {
	state := strings.Repeat("s", 2000)
	var events []any
	for {
		next := append(events, map[string]any{"do": "authorize", "user": "ana@acme.test", "state": state,
			"redirectUri": "https://app.acme.test/cb?" + strings.Repeat("q", 1900)})
		if len(encode(base(next))) > BodyLimit {
			return encode(base(events))
		}
		events = next
	}
}

// HugeLesson is a lesson of nearly the whole body (Decode refuses it).
func HugeLesson() []byte {
	m := base([]any{deniedEvent()})
	m["lesson"] = strings.Repeat("L", BodyLimit-1000)
	return encode(m)
}

// DeepNesting is a patch value nested 9000 deep: valid JSON, which
// encoding/json reads, and a patch value may be any JSON, but every
// recursive walker of the document pays for the depth.
func DeepNesting() []byte {
	const depth = 9000
	value := strings.Repeat("[", depth) + strings.Repeat("]", depth)
	return encode(base([]any{
		patchEvent(map[string]any{"op": "test", "path": "/title", "value": json.RawMessage(value)}),
		deniedEvent(),
	}))
}

// PatchDeepening holds a value nested 40 deep (within what Decode accepts)
// and copies it into its own innermost array, again and again: each copy
// would double the depth.
func PatchDeepening() []byte {
	const depth = 40
	value := strings.Repeat("[", depth) + strings.Repeat("]", depth)
	at := "/events/0/patch/0/value" + strings.Repeat("/0", depth-1)
	copies := make([]any, 20)
	for i := range copies {
		copies[i] = map[string]any{"op": "copy", "from": "/events/0/patch/0/value", "path": at}
	}
	return encode(base([]any{
		patchEvent(map[string]any{"op": "test", "path": "/title", "value": json.RawMessage(value)}),
		patchEvent(copies...),
		deniedEvent(),
	}))
}

// DeepNestingRejected nests past encoding/json's depth limit (which also
// refuses to encode it, so the document is spliced as text).
func DeepNestingRejected() []byte {
	doc := string(encode(base([]any{patchEvent(map[string]any{"op": "test", "path": "/title", "value": "NEST"})})))
	depth := (BodyLimit - len(doc)) / 2
	return []byte(strings.Replace(doc, `"NEST"`, strings.Repeat("[", depth)+strings.Repeat("]", depth), 1))
}
