// A plain-textarea JSON editor with a line-number gutter, error lines
// marked in the gutter and behind the text, and a list of errors that jumps
// to their line and column.

import { h } from './dom.js';
import { lineColToOffset, offsetOf, offsetToLine } from './jsontext.js';

export class JsonEditor {
  constructor(root, { label, onInput, readOnly = false }) {
    this.root = root;
    this.errors = [];
    this.gutter = h('pre', { class: 'gutter', 'aria-hidden': 'true' });
    this.marks = h('div', { class: 'marks', 'aria-hidden': 'true' });
    this.errorsId = `${root.id || 'json'}-errors`;
    this.ta = h('textarea', { class: 'code-text', wrap: 'off', spellcheck: false, autocapitalize: 'off', autocomplete: 'off',
      'aria-label': label, 'aria-describedby': this.errorsId, readOnly });
    this.list = h('ul', { class: 'errors', id: this.errorsId, 'aria-live': 'polite' });
    root.append(h('div', { class: 'code' }, this.gutter, this.marks, this.ta), this.list);
    this.ta.addEventListener('input', () => { this.paint(); onInput?.(this.ta.value); });
    this.ta.addEventListener('scroll', () => this.sync());
    this.ta.addEventListener('keydown', (e) => {
      if (e.key === 'Tab' && !e.shiftKey && !e.ctrlKey && !e.metaKey && !e.altKey) {
        // indent instead of leaving the editor; Esc then Tab leaves it
        if (this.escaped) return;
        e.preventDefault();
        this.ta.setRangeText('  ', this.ta.selectionStart, this.ta.selectionEnd, 'end');
        this.ta.dispatchEvent(new Event('input'));
      }
      this.escaped = e.key === 'Escape';
    });
  }

  get value() { return this.ta.value; }

  set value(text) {
    if (this.ta.value === text) return;
    this.ta.value = text;
    this.paint();
  }

  setErrors(errors) {
    this.errors = errors || [];
    this.paint();
    this.list.replaceChildren(...this.errors.map((e) => {
      const where = e.line ? `Line ${e.line}, column ${e.column}` : e.path ? e.path : 'Document';
      return h('li', {}, h('button', { type: 'button', class: 'error-link', onclick: () => this.reveal(e) },
        h('span', { class: 'where' }, where), ' ', e.message, e.path && e.line ? h('code', {}, ' ', e.path) : null));
    }));
  }

  lineOf(e) {
    if (e.line) return e.line;
    if (e.path !== undefined) {
      const at = offsetOf(this.ta.value, e.path);
      if (at) return offsetToLine(this.ta.value, at.start);
    }
    return 0;
  }

  paint() {
    const n = this.ta.value.split('\n').length;
    const bad = new Map();
    for (const e of this.errors) {
      const l = this.lineOf(e);
      if (l) bad.set(l, (bad.get(l) ? bad.get(l) + '\n' : '') + e.message);
    }
    const lines = [];
    for (let i = 1; i <= n; i++) lines.push(bad.has(i) ? `<span class="bad" title="${escapeAttr(bad.get(i))}">${i}</span>` : String(i));
    this.gutter.innerHTML = lines.join('\n') + '\n';
    // Positioned through the CSSOM: a style attribute breaks the page's CSP.
    this.marks.replaceChildren(...[...bad.keys()].map((l) => {
      const m = h('div', { class: 'mark' });
      m.style.top = `calc(${l - 1} * var(--code-lh) + var(--code-pad))`;
      return m;
    }));
    this.sync();
  }

  sync() {
    this.gutter.scrollTop = this.ta.scrollTop;
    this.marks.style.transform = `translate(${-this.ta.scrollLeft}px, ${-this.ta.scrollTop}px)`;
  }

  // reveal selects an error's position (line/column, else its pointer).
  reveal(e) {
    const text = this.ta.value;
    let start, end;
    if (e.line) {
      start = lineColToOffset(text, e.line, e.column || 1);
      end = Math.max(start + 1, text.indexOf('\n', start) < 0 ? text.length : text.indexOf('\n', start));
    } else {
      const at = offsetOf(text, e.path || '');
      if (!at) return false;
      start = at.start;
      end = Math.min(at.end, text.indexOf('\n', start) < 0 ? at.end : text.indexOf('\n', start));
    }
    this.select(start, end);
    return true;
  }

  revealPointer(ptr) { return this.reveal({ path: ptr }); }

  select(start, end) {
    this.ta.focus({ preventScroll: true });
    this.ta.setSelectionRange(start, end);
    const lh = parseFloat(getComputedStyle(this.ta).lineHeight) || 18;
    const line = offsetToLine(this.ta.value, start);
    this.ta.scrollTop = Math.max(0, (line - 4) * lh);
    this.root.scrollIntoView?.({ block: 'nearest' });
    this.sync();
  }
}

function escapeAttr(s) {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}
