package site_test

// The JSON editor (CodeMirror 6, lib/jsoneditor.js): helpers for every
// test that edits JSON, and the editor's own tests.

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/caplab/caplab/policy"
)

// editorReady waits until the JSON editor in sel (its container:
// #json-panel, #compare-a-json, #compare-b-json) has loaded CodeMirror.
func (p *page) editorReady(sel string) {
	p.t.Helper()
	p.poll(fmt.Sprintf(`document.querySelector(%q)?.dataset.editor === 'ready'`, sel), "the JSON editor in "+sel)
}

// jsonText is the text of the JSON editor in sel.
func (p *page) jsonText(sel string) string {
	p.t.Helper()
	p.editorReady(sel)
	return eval[string](p, fmt.Sprintf(`document.querySelector(%q).jsonEditor.value`, sel))
}

// jsonEdit replaces the text of the JSON editor in sel as an edit of the
// user's (one undoable change; the page takes it as typed input). Use it
// with act, which waits for the evaluation it causes.
func (p *page) jsonEdit(sel, text string) chromedp.Action[chromedp.Void] {
	p.t.Helper()
	p.editorReady(sel)
	enc, _ := json.Marshal(text)
	return chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector(%q).jsonEditor.cm.replaceAll(%s)`, sel, enc))
}

// editorFocused reports whether the focus is in the JSON editor in sel.
func (p *page) editorFocused(sel string) bool {
	p.t.Helper()
	return eval[bool](p, fmt.Sprintf(`!!document.querySelector(%q + ' .cm-editor')?.contains(document.activeElement)`, sel))
}

// caretLine is the 1-based line of the caret in the JSON editor in sel.
func (p *page) caretLine(sel string) int {
	p.t.Helper()
	return eval[int](p, fmt.Sprintf(`(v => v.state.doc.lineAt(v.state.selection.main.head).number)(document.querySelector(%q).jsonEditor.cm.view)`, sel))
}

type diagnostic struct {
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Message string `json:"message"`
}

// TestJSONSyntaxErrorInPlainWords: a missing comma is said in plain words
// and marked where the comma goes (the end of the value before it), in the
// list and inline, not on the next line in the parser's terms.
func TestJSONSyntaxErrorInPlainWords(t *testing.T) {
	srv := newServer(t, false)
	p := openPage(t, srv.URL, "/")
	p.do(chromedp.Click(chromedp.ID("tab-json")))
	text := p.jsonText("#json-panel")
	lines := strings.Split(text, "\n")
	const at = 3 // `  "title": "…",` in every preset
	if !strings.HasPrefix(lines[at-1], `  "title": `) || !strings.HasSuffix(lines[at-1], ",") {
		t.Fatalf("line %d is %q; want the title field", at, lines[at-1])
	}
	lines[at-1] = strings.TrimSuffix(lines[at-1], ",")
	broken := strings.Join(lines, "\n")
	p.act("a missing comma", p.jsonEdit("#json-panel", broken))
	wantCol := len([]rune(lines[at-1])) + 1
	const wantMsg = "Expected a comma or } after the value"
	where := eval[string](p, `document.querySelector('#json-panel .errors li')?.textContent ?? ''`)
	if !strings.Contains(where, fmt.Sprintf("Line %d, column %d", at, wantCol)) || !strings.Contains(where, wantMsg) {
		t.Errorf("the error list says %q; want line %d, column %d: %s", where, at, wantCol, wantMsg)
	}
	diags := eval[[]diagnostic](p, `document.querySelector('#json-panel').jsonEditor.diagnostics()`)
	if len(diags) != 1 || diags[0].Line != at || diags[0].Column != wantCol || diags[0].Message != wantMsg {
		t.Errorf("the editor marks %+v; want one mark at %d:%d %q", diags, at, wantCol, wantMsg)
	}
	if n := eval[int](p, `document.querySelectorAll('#json-panel .cm-lintPoint-error, #json-panel .cm-lintRange-error').length`); n == 0 {
		t.Errorf("no inline lint marker in the text")
	}
	if n := eval[int](p, `document.querySelectorAll('#json-panel .cm-lint-marker-error').length`); n == 0 {
		t.Errorf("no lint marker in the gutter")
	}
	p.do(chromedp.Click(chromedp.CSS(`#json-panel .errors .error-link`)))
	if got := p.caretLine("#json-panel"); got != at {
		t.Errorf("clicking the error put the caret on line %d; want %d", got, at)
	}
	// The editor's own part of the page (the stale results beside it are
	// the results pane's business).
	p.axeIn("#json-panel", "the JSON editor with a syntax error")
}

// axeIn runs axe-core on the part of the page under sel and fails the
// test on each serious or critical violation.
func (p *page) axeIn(sel, what string) {
	p.t.Helper()
	src, err := axeSource()
	if err != nil {
		p.t.Fatalf("axe-core is not installed (npm ci): %v", err)
	}
	if !eval[bool](p, `typeof window.axe === 'object'`) {
		p.do(chromedp.Evaluate[chromedp.Void](src))
	}
	found, err := chromedp.Run(p.ctx, chromedp.Evaluate[[]axeViolation](fmt.Sprintf(`axe.run(document.querySelector(%q), {resultTypes: ['violations']}).then(r => r.violations
		.filter(v => v.impact === 'serious' || v.impact === 'critical')
		.map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 6).map(n => n.target.join(' ') + ': ' + (n.failureSummary || '').replace(/\s+/g, ' ').slice(0, 160))})))`, sel), chromedp.EvalAwaitPromise))
	if err != nil {
		p.t.Fatalf("axe on %s: %v", what, err)
	}
	for _, v := range found {
		p.t.Errorf("axe, %s: %s (%s): %s\n\t%s", what, v.ID, v.Impact, v.Help, strings.Join(v.Nodes, "\n\t"))
	}
}

// TestJSONEditorTabHint: Tab indents in the editor, the way out (Esc, then
// Tab) is written beside it, and it works.
func TestJSONEditorTabHint(t *testing.T) {
	srv := newServer(t, false)
	p := openPage(t, srv.URL, "/")
	p.do(chromedp.Click(chromedp.ID("tab-json")))
	p.editorReady("#json-panel")
	hint := eval[string](p, `(h => h && h.checkVisibility() ? h.textContent : '')(document.querySelector('#json-panel .code-hint'))`)
	if !strings.Contains(hint, "Esc") || !strings.Contains(hint, "Tab") {
		t.Fatalf("the visible hint beside the editor is %q; want how to leave it (Esc, then Tab)", hint)
	}
	if !eval[bool](p, `(c => (c.getAttribute('aria-describedby') || '').split(' ').includes(document.querySelector('#json-panel .code-hint').id))(document.querySelector('#json-panel .cm-content'))`) {
		t.Errorf("the editor is not described by the hint (aria-describedby)")
	}
	if eval[string](p, `document.querySelector('#json-panel .cm-content').getAttribute('aria-label')`) == "" {
		t.Errorf("the editor has no accessible name")
	}
	before := p.jsonText("#json-panel")
	p.do(chromedp.Click(chromedp.CSS(`#json-panel .cm-line`)))
	if !p.editorFocused("#json-panel") {
		t.Fatalf("clicking a line of the JSON does not focus the editor")
	}
	p.do(chromedp.KeyEvent("\t"))
	p.poll(`document.querySelector('#json-panel').jsonEditor.value !== `+jsString(before), "Tab to indent")
	if !p.editorFocused("#json-panel") {
		t.Fatalf("Tab left the editor; want it to indent")
	}
	if after := p.jsonText("#json-panel"); len(after) != len(before)+2 || strings.Join(strings.Fields(after), "") != strings.Join(strings.Fields(before), "") {
		t.Errorf("Tab changed the text to %.80q; want one indent (two spaces)", after)
	}
	p.do(chromedp.KeyEvent("\x1b"), chromedp.KeyEvent("\t"))
	if p.editorFocused("#json-panel") {
		t.Fatalf("Esc then Tab kept the focus in the editor")
	}
	if eval[string](p, `document.activeElement?.tagName ?? 'BODY'`) == "BODY" {
		t.Errorf("Esc then Tab moved the focus nowhere")
	}
}

// TestJSONEditorFormat: Format re-indents the JSON as an edit (the page
// re-evaluates the same scenario), and refuses text with a syntax error.
func TestJSONEditorFormat(t *testing.T) {
	srv := newServer(t, false)
	p := openPage(t, srv.URL, "/")
	p.do(chromedp.Click(chromedp.ID("tab-json")))
	pretty := p.jsonText("#json-panel")
	var doc any
	if err := json.Unmarshal([]byte(pretty), &doc); err != nil {
		t.Fatal(err)
	}
	compact, _ := json.Marshal(doc)
	p.act("compact JSON", p.jsonEdit("#json-panel", string(compact)))
	p.act("Format", chromedp.Click(chromedp.CSS(`#json-panel .code-format`)))
	got := p.jsonText("#json-panel")
	if !sameJSON(t, []byte(got), compact) || strings.Count(got, "\n") < 20 || !strings.Contains(got, "\n  \"schemaVersion\": 1,\n") {
		t.Errorf("Format gave %.200q; want the same document indented by two spaces", got)
	}
	broken := strings.Replace(got, `"schemaVersion": 1,`, `"schemaVersion": 1`, 1)
	p.act("a syntax error", p.jsonEdit("#json-panel", broken))
	p.do(chromedp.Click(chromedp.CSS(`#json-panel .code-format`)))
	if after := p.jsonText("#json-panel"); after != broken {
		t.Errorf("Format changed text with a syntax error")
	}
	if msg := eval[string](p, `document.querySelector('#json-panel .code-status').textContent`); !strings.Contains(msg, "syntax error") {
		t.Errorf("Format with a syntax error says %q; want why it did nothing", msg)
	}
}

// TestFormNeverDiscardsTypedJSON: while the JSON has a syntax error the
// form is blocked, and typing in it never replaces the JSON with the last
// valid scenario; once the JSON parses, the form edits it again.
func TestFormNeverDiscardsTypedJSON(t *testing.T) {
	srv := newServer(t, false)
	p := openPage(t, srv.URL, "/")
	p.do(chromedp.Click(chromedp.ID("tab-json")))
	text := p.jsonText("#json-panel")
	broken := strings.Replace(text, `"schemaVersion": 1,`, `"schemaVersion": 1,, "typed": "by hand"`, 1)
	p.act("a syntax error", p.jsonEdit("#json-panel", broken))
	p.do(chromedp.Click(chromedp.ID("tab-form")))
	if !eval[bool](p, `document.querySelector('#form-blocked').checkVisibility()`) {
		t.Errorf("the form does not say it is blocked")
	}
	if !eval[bool](p, `document.querySelector('#form-panel').inert`) {
		t.Errorf("the form is not blocked (inert) while the JSON does not parse")
	}
	// A person clicks the title field and types: an inert form takes no
	// focus, so the keys go nowhere near it.
	sel := `#form-panel [data-ptr="/title"]`
	title := eval[string](p, fmt.Sprintf(`document.querySelector(%q).value`, sel))
	p.do(chromedp.Click(chromedp.CSS(sel)), chromedp.KeyEvent("X"))
	if got := eval[string](p, fmt.Sprintf(`document.querySelector(%q).value`, sel)); got != title {
		t.Errorf("typing into the blocked form changed the title field to %q", got)
	}
	// Even an input event that reaches the form changes nothing.
	p.do(chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(e => { e.value += 'Y'; e.dispatchEvent(new Event('input', {bubbles: true})); })(document.querySelector(%q))`, sel)))
	p.do(chromedp.Click(chromedp.ID("tab-json")))
	if got := p.jsonText("#json-panel"); got != broken {
		t.Fatalf("editing the form replaced the typed JSON:\n%.300s\nwant\n%.300s", got, broken)
	}
	// Fixed JSON: the form edits it again, and the JSON follows.
	p.act("the JSON fixed", p.jsonEdit("#json-panel", text))
	p.do(chromedp.Click(chromedp.ID("tab-form")))
	if eval[bool](p, `document.querySelector('#form-panel').inert`) {
		t.Fatalf("the form stays blocked after the JSON was fixed")
	}
	p.setField("/title", "Edited in the form")
	if got := p.jsonText("#json-panel"); !strings.Contains(got, `"title": "Edited in the form"`) {
		t.Errorf("the JSON does not follow the form: %.200q", got)
	}
	var s policy.Scenario
	if err := json.Unmarshal([]byte(p.jsonText("#json-panel")), &s); err != nil || s.Title != "Edited in the form" {
		t.Errorf("the JSON is %v / %q after the form edit", err, s.Title)
	}
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
