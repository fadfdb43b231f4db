// The CodeMirror 6 setup of the JSON editor: JSON highlighting and bracket
// matching, line numbers, undo, search (Ctrl+F), the engine's problems as
// inline lint markers, and Tab that indents (Esc then Tab leaves, as
// CodeMirror does by default; the page shows that hint). Bundled by the
// build (esbuild) into a chunk that the page imports lazily: see
// jsoneditor.js, which is all the page uses.

import { EditorState, Annotation, StateEffect, StateField } from '@codemirror/state';
import {
  EditorView, Decoration, keymap, lineNumbers, highlightActiveLine, highlightActiveLineGutter, highlightSpecialChars, drawSelection,
} from '@codemirror/view';
import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import { syntaxHighlighting, defaultHighlightStyle, bracketMatching, indentOnInput } from '@codemirror/language';
import { json } from '@codemirror/lang-json';
import { lintGutter, setDiagnostics, forEachDiagnostic } from '@codemirror/lint';
import { search, searchKeymap } from '@codemirror/search';

// theme is the editor's look. CodeMirror's style sheets are adopted by
// the document (see styleModCSP in site/sitebuild), after style.css in the
// cascade, so the editor is styled here rather than there.
const theme = EditorView.theme({
  '&': { flex: '1', minHeight: '320px', fontSize: '12.5px', backgroundColor: '#fff' },
  '&.cm-focused': { outline: 'none' },
  '.cm-scroller': { fontFamily: 'var(--mono)', lineHeight: 'var(--code-lh)' },
  '.cm-gutters': { backgroundColor: '#f6f7f9', color: '#5f6672', borderRight: '1px solid var(--border)' },
  '.cm-activeLineGutter': { backgroundColor: '#e8ebf0', color: '#181b20' },
  '.cm-lintRange-error': { backgroundColor: 'rgba(179, 8, 26, .09)' },
  '.cm-tooltip-lint': { fontFamily: 'var(--sans)' },
  '.cm-line.json-changed': { backgroundColor: '#fff3b0' },
});

// changed marks the lines of values an applied fix changed (class
// json-changed), until the next edit or markChanged([]).
const markChanged = StateEffect.define();
const changedLines = StateField.define({
  create: () => Decoration.none,
  update(deco, tr) {
    for (const e of tr.effects) {
      if (e.is(markChanged)) {
        const lines = [...new Set(e.value.map((pos) => tr.state.doc.lineAt(pos).from))].sort((x, y) => x - y);
        return Decoration.set(lines.map((from) => Decoration.line({ class: 'json-changed' }).range(from)));
      }
    }
    return tr.docChanged && tr.isUserEvent('input') ? Decoration.none : deco.map(tr.changes);
  },
  provide: (f) => EditorView.decorations.from(f),
});

// external marks changes that come from the page (the form, a preset), not
// from typing: they are not echoed back as input.
const external = Annotation.define();

// createEditor mounts an editor in parent and returns the small interface
// jsoneditor.js drives.
export function createEditor(parent, { text = '', label, describedBy, readOnly = false, onInput, onFocusChange }) {
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: text,
      extensions: [
        lineNumbers(),
        highlightActiveLineGutter(),
        highlightSpecialChars(),
        history(),
        drawSelection(),
        indentOnInput(),
        syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
        bracketMatching(),
        highlightActiveLine(),
        search({ top: true }),
        json(),
        lintGutter(),
        changedLines,
        theme,
        EditorView.lineWrapping, // lessons are long lines; no sideways scrolling
        EditorState.tabSize.of(2),
        EditorState.readOnly.of(readOnly),
        keymap.of([...defaultKeymap, ...historyKeymap, ...searchKeymap, indentWithTab]),
        // tabindex: axe counts a contenteditable as focusable only with
        // one, and the scroller around it must have focusable content.
        EditorView.contentAttributes.of({ 'aria-label': label, tabindex: '0', ...(describedBy ? { 'aria-describedby': describedBy } : {}) }),
        EditorView.updateListener.of((u) => {
          if (u.docChanged && !u.transactions.some((tr) => tr.annotation(external))) onInput?.(u.state.doc.toString());
          if (u.focusChanged) onFocusChange?.(u.view.hasFocus);
        }),
      ],
    }),
  });
  return {
    view,
    text: () => view.state.doc.toString(),
    // setText replaces only the part that differs, so the cursor, the
    // scroll position and the undo history stay meaningful.
    setText(next) {
      const cur = view.state.doc.toString();
      if (cur === next) return;
      let a = 0;
      const max = Math.min(cur.length, next.length);
      while (a < max && cur.charCodeAt(a) === next.charCodeAt(a)) a++;
      let b = 0;
      while (b < max - a && cur.charCodeAt(cur.length - 1 - b) === next.charCodeAt(next.length - 1 - b)) b++;
      view.dispatch({ changes: { from: a, to: cur.length - b, insert: next.slice(a, next.length - b) }, annotations: external.of(true) });
    },
    // replaceAll is an edit of the user's (Format): undoable, and input.
    replaceAll(next) {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: next }, userEvent: 'input.format' });
    },
    setDiagnostics(diags) {
      const len = view.state.doc.length;
      const clip = (n) => Math.max(0, Math.min(n, len));
      view.dispatch(setDiagnostics(view.state, diags.map((d) => ({ ...d, from: clip(d.from), to: clip(Math.max(d.from, d.to)) }))));
    },
    select(from, to) {
      view.dispatch({ selection: { anchor: from, head: to }, effects: EditorView.scrollIntoView(from, { y: 'center' }) });
      view.focus();
    },
    // diagnostics lists the problems marked in the text, 1-based.
    diagnostics() {
      const out = [];
      forEachDiagnostic(view.state, (d, from) => {
        const line = view.state.doc.lineAt(from);
        out.push({ line: line.number, column: from - line.from + 1, message: d.message });
      });
      return out;
    },
    // markChanged marks the lines at the given offsets ([] clears them).
    markChanged(offsets) {
      const len = view.state.doc.length;
      view.dispatch({ effects: markChanged.of(offsets.filter((o) => o >= 0 && o <= len)) });
    },
    focus: () => view.focus(),
    hasFocus: () => view.hasFocus,
  };
}
