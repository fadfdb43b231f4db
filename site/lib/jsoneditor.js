// The JSON editor of the page: CodeMirror 6 (codemirror.js), which the page
// imports lazily (the Form tab is the default, so the first result never
// waits for the editor), with a Format button, the way out of the editor
// (Tab indents; Esc then Tab leaves) shown beside it, the engine's
// problems as inline lint markers, and a list of them that jumps to each.
// Until CodeMirror has loaded, the text is kept here and nothing is lost.

import { h, newId } from './dom.js';
import { lineColToOffset, offsetOf } from './jsontext.js';
import { formatJSON } from './jsonformat.js';

let cm = null; // codemirror.js once loaded
let loading = null;
const editors = new Set();

// loadEditor imports CodeMirror once and mounts every editor made so far.
export function loadEditor() {
  loading ??= import('./codemirror.js').then((m) => {
    cm = m;
    for (const e of editors) e.mount();
    return m;
  }).catch((e) => {
    loading = null;
    for (const ed of editors) ed.say(`The editor did not load (${e.message}); reload the page to edit JSON.`);
    throw e;
  });
  return loading;
}

// HIGHLIGHT_MS is how long the lines an applied fix changed stay marked.
const HIGHLIGHT_MS = 4000;

export const TAB_HINT = 'Tab indents. To leave the editor, press Esc, then Tab.';

export class JsonEditor {
  constructor(root, { label, onInput, readOnly = false }) {
    this.root = root;
    this.label = label;
    this.onInput = onInput;
    this.readOnly = readOnly;
    this.text = '';
    this.errors = [];
    this.cm = null;
    const id = root.id || newId('json');
    this.hintId = `${id}-hint`;
    this.errorsId = `${id}-errors`;
    this.host = h('div', { class: 'code' }, h('p', { class: 'code-loading muted' }, 'Loading the editor…'));
    this.status = h('span', { class: 'code-status muted small', role: 'status' });
    this.formatBtn = readOnly ? null : h('button', { type: 'button', class: 'btn small code-format', onclick: () => this.format() }, 'Format');
    this.list = h('ul', { class: 'errors', id: this.errorsId, 'aria-live': 'polite' });
    root.append(h('div', { class: 'code-bar' }, this.formatBtn, h('span', { class: 'code-hint small', id: this.hintId }, TAB_HINT), this.status),
      this.host, this.list);
    editors.add(this);
    root.jsonEditor = this; // for the page's browser tests and the console
    if (cm) this.mount();
  }

  mount() {
    if (this.cm) return;
    this.host.replaceChildren();
    this.cm = cm.createEditor(this.host, {
      text: this.text,
      label: this.label,
      describedBy: `${this.hintId} ${this.errorsId}`,
      readOnly: this.readOnly,
      onInput: (text) => { this.text = text; this.say(''); this.onInput?.(text); },
      onFocusChange: (on) => this.root.classList.toggle('editing', on),
    });
    this.paintErrors();
    this.root.dataset.editor = 'ready';
  }

  // ready resolves when CodeMirror is mounted here.
  ready() { return loadEditor().then(() => this); }

  get value() { return this.cm ? this.cm.text() : this.text; }

  set value(text) {
    if (this.value === text) return;
    this.text = text;
    this.cm?.setText(text);
  }

  setErrors(errors) {
    this.errors = errors || [];
    this.paintErrors();
    this.list.replaceChildren(...this.errors.map((e) => {
      const where = e.line ? `Line ${e.line}, column ${e.column}` : e.path ? e.path : 'Document';
      return h('li', {}, h('button', { type: 'button', class: 'error-link', onclick: () => this.reveal(e) },
        h('span', { class: 'where' }, where), ' ', e.message, e.path && e.line ? h('code', {}, ' ', e.path) : null));
    }));
  }

  paintErrors() {
    if (this.cm) this.cm.setDiagnostics(diagnostics(this.cm.text(), this.errors));
  }

  // paint is called when the editor is shown: it loads CodeMirror if need be.
  paint() {
    loadEditor().then(() => this.cm.view.requestMeasure(), () => {});
  }

  // reveal selects an error's position (line/column, else its pointer) and
  // focuses the editor; false when the position is not in the text.
  reveal(e) {
    const r = errorRange(this.value, e);
    if (!r) return false;
    if (this.cm) this.cm.select(r.from, r.to);
    else loadEditor().then(() => this.cm.select(r.from, r.to), () => {});
    this.root.scrollIntoView?.({ block: 'nearest' });
    return true;
  }

  revealPointer(ptr) { return this.reveal({ path: ptr }); }

  // highlight marks the lines of the values at the given JSON Pointers
  // (what an applied fix changed) for a few seconds.
  highlight(pointers) {
    clearTimeout(this.highlightTimer);
    const offsets = () => pointers.map((p) => offsetOf(this.value, p)).filter(Boolean).map((at) => at.start);
    if (this.cm) this.cm.markChanged(offsets());
    else loadEditor().then(() => this.cm.markChanged(offsets()), () => {});
    this.highlightTimer = setTimeout(() => this.cm?.markChanged([]), HIGHLIGHT_MS);
  }

  // diagnostics are the problems marked in the text: [{line, column,
  // message}] (empty until CodeMirror is loaded).
  diagnostics() { return this.cm ? this.cm.diagnostics() : []; }

  focus() {
    if (this.cm) this.cm.focus();
    else loadEditor().then(() => this.cm.focus(), () => {});
  }

  // format re-indents the text (an undoable edit); it refuses text with a
  // syntax error rather than guess.
  format() {
    const text = this.value;
    let out;
    try {
      out = formatJSON(text);
    } catch {
      this.say('Fix the syntax error first: Format only re-indents well-formed JSON.');
      return false;
    }
    if (out === text) {
      this.say('Already formatted.');
      return true;
    }
    if (this.cm) this.cm.replaceAll(out);
    else { this.text = out; this.onInput?.(out); }
    this.say('Formatted.');
    return true;
  }

  say(msg) { this.status.textContent = msg; }
}

// errorRange is where an engine problem sits in text: at its line and
// column (a syntax error: the place of the missing comma, or the offending
// character) or at its pointer's value, on one line at most.
export function errorRange(text, e) {
  let from, to;
  if (e.line) {
    from = lineColToOffset(text, e.line, e.column || 1);
    const at = e.path ? offsetOf(text, e.path) : null;
    to = at && at.pointer === e.path && at.start === from ? at.end : from;
  } else {
    const at = offsetOf(text, e.path || '');
    if (!at) return null;
    ({ start: from, end: to } = at);
  }
  const eol = text.indexOf('\n', from);
  if (eol >= 0 && to > eol) to = eol;
  if (to === from && from < text.length && text[from] !== '\n') to = from + (text.codePointAt(from) > 0xffff ? 2 : 1);
  return { from, to };
}

function diagnostics(text, errors) {
  const out = [];
  for (const e of errors) {
    const r = errorRange(text, e);
    if (r) out.push({ ...r, severity: 'error', message: e.path ? `${e.path}: ${e.message}` : e.message });
  }
  return out;
}
