// Package protocol is the versioned request/response protocol through which
// JavaScript calls the policy engine in the browser. It is plain Go with no
// syscall/js, so it is unit-tested natively; wasm/main.go only registers
// Handle as the JavaScript function caplab(requestJSON) -> responseJSON.
//
// A request is one JSON object:
//
//	{"version":1, "op":"evaluate", "scenario":…}
//
// where "scenario" (and "a", "b" for diff) is either the scenario document
// as a JSON object or the document's text as a JSON string. Send the text
// when line and column numbers must point into the editor's text: they are
// counted in the document as given. Ops:
//
//	info      → {"protocol","engineVersion","ops","scopes","permissions",
//	          "scopeLabels","enums"}: enums maps JSON Pointer patterns
//	          ("/events/*/grant") to the values the field takes
//	evaluate  scenario [now] [noFixes] → the result document (trace, response,
//	          verified fixes, risk, expect per event)
//	lint      scenario → {"valid", "errors":[{path,message,line,column}]}
//	presets   → [{"name","title","lesson"}]
//	preset    name → the preset's scenario document
//	diff      a, b [now] → {"diff": DiffReport, "a": result, "b": result}
//	fixes     scenario [now] → [{"event","id","error","errorDescription","fixes"}]
//	          for each denied event
//	live      scenario → {"apps":[{name,clientId,clientSecret,callbackUrls,
//	          scopes}],"users":[{org,username,password}]}: what a real client
//	          needs to talk to the scenario's live org
//
// A response is {"version":1,"ok":true,"result":…} or
// {"version":1,"ok":false,"errors":[{path,message,line,column}]}. Error
// paths are JSON Pointers into the scenario for evaluate, lint and fixes,
// into the request (prefixed "/a" or "/b") for diff, and into the request
// for problems with the request itself (such as "/version" or "/op").
//
// Evaluation is bounded by the engine's limits (policy/limits.go). When a
// scenario's timeline goes past one (an admin patch that grows the scenario
// too far, more work than the budget), evaluate, fixes and diff answer
// ok:false with the error at the path that hit it, and "limit":
// {"limit","max","path","message"} naming the limit. When only the fix
// search runs out of budget, the result is complete: evaluate's and diff's
// results list it in "limits", and fixes gives each event it cut short a
// "limit": {"limit","max","message"}.
package protocol

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/caplab/caplab/policy"
)

// Version is the protocol version this package speaks.
const Version = 1

// MaxRequestSize bounds a request: two scenarios at the engine's size limit,
// escaped as JSON strings, fit with room to spare.
const MaxRequestSize = 4 << 20

// Ops are the operations Handle understands, in the order "info" lists them.
var Ops = []string{"info", "evaluate", "lint", "presets", "preset", "diff", "fixes", "live"}

// Request is one call.
type Request struct {
	Version  int             `json:"version"`
	Op       string          `json:"op"`
	Scenario json.RawMessage `json:"scenario,omitempty"`
	A        json.RawMessage `json:"a,omitempty"`
	B        json.RawMessage `json:"b,omitempty"`
	Name     string          `json:"name,omitempty"`
	// Now overrides the clock passed to Handle (RFC 3339); it matters only
	// for scenarios without their own "now".
	Now string `json:"now,omitempty"`
	// NoFixes skips the fix search in evaluate and diff (faster while typing
	// in very large scenarios).
	NoFixes bool `json:"noFixes,omitempty"`
}

// Response is the answer to one call.
type Response struct {
	Version int                 `json:"version"`
	OK      bool                `json:"ok"`
	Result  any                 `json:"result,omitempty"`
	Errors  []policy.FieldError `json:"errors,omitempty"`
	// Limit is the engine limit an evaluation went past, with ok false.
	Limit *policy.LimitError `json:"limit,omitempty"`
}

// Info is the result of the info op.
type Info struct {
	Protocol      int      `json:"protocol"`
	EngineVersion string   `json:"engineVersion"`
	Ops           []string `json:"ops"`
	Scopes        []string `json:"scopes"`
	Permissions   []string `json:"permissions"`
	// ScopeLabels name scopes as Setup does; Enums are the values of each
	// enumerated scenario field, by JSON Pointer pattern.
	ScopeLabels map[string]string   `json:"scopeLabels"`
	Enums       map[string][]string `json:"enums"`
}

// LintResult is the result of the lint op.
type LintResult struct {
	Valid  bool                `json:"valid"`
	Errors []policy.FieldError `json:"errors"`
}

// DiffResult is the result of the diff op.
type DiffResult struct {
	Diff policy.DiffReport `json:"diff"`
	A    *policy.Result    `json:"a"`
	B    *policy.Result    `json:"b"`
}

// EventFixes are the verified fixes of one denied event.
type EventFixes struct {
	Event            int          `json:"event"`
	ID               string       `json:"id,omitempty"`
	Error            string       `json:"error"`
	ErrorDescription string       `json:"errorDescription"`
	Fixes            []policy.Fix `json:"fixes"`
	// Limit is set when a limit stopped the fix search before it was
	// done with this event: Fixes are those found before, if any.
	Limit *policy.LimitNote `json:"limit,omitempty"`
}

// Handle answers one request. It never panics: an engine panic becomes an
// error response, so the WebAssembly program keeps running.
func Handle(req []byte, now time.Time) (out []byte) {
	defer func() {
		if p := recover(); p != nil {
			out = marshal(failure(policy.FieldError{Message: "internal error: " + panicText(p)}))
		}
	}()
	return marshal(handle(req, now))
}

func handle(data []byte, now time.Time) Response {
	if len(data) > MaxRequestSize {
		return failure(policy.FieldError{Message: "request is " + strconv.Itoa(len(data)) +
			" bytes; the limit is " + strconv.Itoa(MaxRequestSize) + " bytes"})
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return failure(policy.FieldError{Message: `empty request: send a JSON object such as {"version":1,"op":"presets"}`})
	}
	var req Request
	if err := json.Unmarshal(data, &req); err != nil {
		return failure(requestError(data, err))
	}
	pos := topLevelOffsets(data)
	at := func(key, msg string) Response {
		fe := policy.FieldError{Path: "/" + key, Message: msg}
		if off, ok := pos[key]; ok {
			fe.Line, fe.Column = lineColumn(data, off)
		}
		return failure(fe)
	}
	switch {
	case req.Version == 0:
		return at("version", `missing protocol version: send "version": 1`)
	case req.Version != Version:
		return at("version", "unsupported protocol version "+strconv.Itoa(req.Version)+
			"; this engine speaks version "+strconv.Itoa(Version))
	}
	if req.Now != "" {
		t, err := time.Parse(time.RFC3339, req.Now)
		if err != nil {
			return at("now", "now must be an RFC 3339 time such as 2026-03-01T09:00:00Z; got "+strconv.Quote(req.Now))
		}
		now = t
	}
	opt := policy.Options{Now: now, NoFixes: req.NoFixes}

	switch req.Op {
	case "info":
		return success(Info{Protocol: Version, EngineVersion: policy.EngineVersion, Ops: Ops,
			Scopes: policy.ScopeNames, Permissions: policy.PermissionNames, ScopeLabels: policy.ScopeLabels, Enums: policy.Enums()})
	case "presets":
		return success(policy.Presets())
	case "preset":
		if req.Name == "" {
			return at("name", `missing preset name: send "name" (see the presets op)`)
		}
		doc, ok := policy.Preset(req.Name)
		if !ok {
			return at("name", "unknown preset "+strconv.Quote(req.Name)+" (see the presets op)")
		}
		return success(json.RawMessage(compact(doc)))
	case "lint":
		doc, fe := document(req.Scenario, "scenario", at)
		if fe != nil {
			return *fe
		}
		errs := policy.Lint(doc)
		if errs == nil {
			errs = []policy.FieldError{}
		}
		return success(LintResult{Valid: len(errs) == 0, Errors: errs})
	case "evaluate":
		doc, fe := document(req.Scenario, "scenario", at)
		if fe != nil {
			return *fe
		}
		s, err := policy.Decode(doc)
		if err != nil {
			return failure(decodeErrors(err, "")...)
		}
		res, err := policy.EvaluateContext(context.Background(), s, opt)
		if err != nil {
			return limitFailure(err, "")
		}
		return success(res)
	case "fixes":
		doc, fe := document(req.Scenario, "scenario", at)
		if fe != nil {
			return *fe
		}
		s, err := policy.Decode(doc)
		if err != nil {
			return failure(decodeErrors(err, "")...)
		}
		opt.NoFixes = false
		res, err := policy.EvaluateContext(context.Background(), s, opt)
		if err != nil {
			return limitFailure(err, "")
		}
		return success(eventFixes(res))
	case "live":
		doc, fe := document(req.Scenario, "scenario", at)
		if fe != nil {
			return *fe
		}
		s, err := policy.Decode(doc)
		if err != nil {
			return failure(decodeErrors(err, "")...)
		}
		return success(s.LiveClient(true))
	case "diff":
		docA, fe := document(req.A, "a", at)
		if fe != nil {
			return *fe
		}
		docB, fe := document(req.B, "b", at)
		if fe != nil {
			return *fe
		}
		sa, errA := policy.Decode(docA)
		sb, errB := policy.Decode(docB)
		if errA != nil || errB != nil {
			var errs []policy.FieldError
			if errA != nil {
				errs = append(errs, decodeErrors(errA, "/a")...)
			}
			if errB != nil {
				errs = append(errs, decodeErrors(errB, "/b")...)
			}
			return failure(errs...)
		}
		ra, err := policy.EvaluateContext(context.Background(), sa, opt)
		if err != nil {
			return limitFailure(err, "/a")
		}
		rb, err := policy.EvaluateContext(context.Background(), sb, opt)
		if err != nil {
			return limitFailure(err, "/b")
		}
		return success(DiffResult{Diff: policy.Diff(ra, rb), A: ra, B: rb})
	case "":
		return at("op", `missing op: send "op" with one of `+opList())
	default:
		return at("op", "unknown op "+strconv.Quote(req.Op)+"; this engine knows "+opList())
	}
}

// eventFixes lists the fixes of each denied event, and the limit that cut
// its search short, if one did.
func eventFixes(res *policy.Result) []EventFixes {
	cutBy := map[int]*policy.LimitNote{}
	for i := range res.Limits {
		n := &res.Limits[i]
		for _, ev := range n.Events {
			cutBy[ev] = &policy.LimitNote{Limit: n.Limit, Max: n.Max, Message: n.Message}
		}
	}
	out := []EventFixes{}
	for _, r := range res.Results {
		if r.Outcome != policy.Denied {
			continue
		}
		fixes := r.Fixes
		if fixes == nil {
			fixes = []policy.Fix{}
		}
		out = append(out, EventFixes{Event: r.Event, ID: r.ID, Error: r.Error, ErrorDescription: r.ErrorDescription, Fixes: fixes, Limit: cutBy[r.Event]})
	}
	return out
}

// limitFailure is the error response of an evaluation past a limit, at
// its path prefixed with prefix ("/a" or "/b" in a diff).
func limitFailure(err error, prefix string) Response {
	var le *policy.LimitError
	if !errors.As(err, &le) {
		return failure(policy.FieldError{Path: prefix, Message: err.Error()})
	}
	at := *le
	at.Path = prefix + le.Path
	r := failure(policy.FieldError{Path: at.Path, Message: le.Message})
	r.Limit = &at
	return r
}

// document returns a scenario document sent either as a JSON object or as
// its text in a JSON string.
func document(raw json.RawMessage, key string, at func(key, msg string) Response) ([]byte, *Response) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		r := at(key, "missing "+key+": send the scenario document as a JSON object or as its text in a string")
		return nil, &r
	}
	if raw[0] == '"' {
		var text string
		if err := json.Unmarshal(raw, &text); err != nil {
			r := at(key, "invalid "+key+" string: "+err.Error())
			return nil, &r
		}
		return []byte(text), nil
	}
	return raw, nil
}

// decodeErrors flattens a Decode error, prefixing each path.
func decodeErrors(err error, prefix string) []policy.FieldError {
	var de *policy.DecodeError
	if !errors.As(err, &de) {
		return []policy.FieldError{{Path: prefix, Message: err.Error()}}
	}
	out := make([]policy.FieldError, len(de.Errors))
	for i, fe := range de.Errors {
		fe.Path = prefix + fe.Path
		out[i] = fe
	}
	return out
}

// requestError turns a JSON error in the request into a positioned error.
func requestError(data []byte, err error) policy.FieldError {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		off := int(syn.Offset)
		if off > 0 {
			off-- // Offset is just past the offending byte
		}
		fe := policy.FieldError{Message: "invalid request JSON: " + syn.Error()}
		fe.Line, fe.Column = lineColumn(data, off)
		return fe
	case errors.As(err, &typ):
		path := "/" + typ.Field
		want := typ.Type.String()
		switch want {
		case "int":
			want = "a number"
		case "string":
			want = "a string"
		case "bool":
			want = "true or false"
		case "protocol.Request":
			want = "an object"
			path = ""
		}
		fe := policy.FieldError{Path: path, Message: "must be " + want + "; got " + typ.Value}
		if path == "" {
			fe.Message = "the request must be a JSON object; got " + typ.Value
		}
		off := int(typ.Offset)
		if path == "" {
			off = len(data) - len(bytes.TrimLeft(data, " \t\r\n"))
		}
		if p, ok := topLevelOffsets(data)[typ.Field]; ok && typ.Field != "" {
			off = p
		}
		fe.Line, fe.Column = lineColumn(data, off)
		return fe
	}
	return policy.FieldError{Message: "invalid request: " + err.Error()}
}

// topLevelOffsets maps each key of a JSON object to the byte offset where
// its value starts. It gives up quietly on malformed input.
func topLevelOffsets(data []byte) map[string]int {
	pos := map[string]int{}
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return pos
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return pos
		}
		key, _ := t.(string)
		off := int(dec.InputOffset())
		for off < len(data) && (data[off] == ' ' || data[off] == '\t' || data[off] == '\n' || data[off] == '\r' || data[off] == ':') {
			off++
		}
		pos[key] = off
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return pos
		}
	}
	return pos
}

// lineColumn converts a byte offset to a 1-based line and a 1-based column
// counted in characters.
func lineColumn(data []byte, off int) (line, col int) {
	off = max(0, min(off, len(data)))
	line, start := 1, 0
	for i := 0; i < off; i++ {
		if data[i] == '\n' {
			line, start = line+1, i+1
		}
	}
	return line, utf8.RuneCount(data[start:off]) + 1
}

func compact(doc []byte) []byte {
	var b bytes.Buffer
	if json.Compact(&b, doc) != nil {
		return doc
	}
	return b.Bytes()
}

func opList() string {
	s := ""
	for i, op := range Ops {
		if i > 0 {
			s += ", "
		}
		s += op
	}
	return s
}

func success(result any) Response { return Response{Version: Version, OK: true, Result: result} }

func failure(errs ...policy.FieldError) Response {
	return Response{Version: Version, OK: false, Errors: errs}
}

func marshal(r Response) []byte {
	b, err := json.Marshal(r)
	if err != nil {
		b, _ = json.Marshal(failure(policy.FieldError{Message: "internal error: cannot encode the response: " + err.Error()}))
	}
	return b
}

func panicText(p any) string {
	switch v := p.(type) {
	case error:
		return v.Error()
	case string:
		return v
	}
	return "unexpected panic"
}
