// Positions in JSON text: which JSON Pointer starts where, and conversions
// between offsets and 1-based line/column (columns in characters, as the
// engine counts them).

import { formatPointer } from './jsonpatch.js';

// pointerOffsets maps the pointer of every value in a well-formed JSON text
// to {start, end} offsets (end exclusive). On malformed text it returns what
// it found before the error.
export function pointerOffsets(text) {
  const out = new Map();
  let i = 0;
  const ws = () => { while (i < text.length && ' \t\r\n'.includes(text[i])) i++; };
  const str = () => {
    const start = i++;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
    return JSON.parse(text.slice(start, i));
  };
  const value = (ptr) => {
    ws();
    const start = i;
    const c = text[i];
    if (c === '{') {
      i++; ws();
      if (text[i] === '}') i++;
      else for (;;) {
        ws();
        if (text[i] !== '"') throw new Error('key');
        const k = str(); ws();
        if (text[i++] !== ':') throw new Error(':');
        value(ptr + formatPointer([k])); ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === '}') { i++; break; }
        throw new Error('}');
      }
    } else if (c === '[') {
      i++; ws();
      if (text[i] === ']') i++;
      else for (let n = 0; ; n++) {
        value(ptr + '/' + n); ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === ']') { i++; break; }
        throw new Error(']');
      }
    } else if (c === '"') str();
    else {
      const m = /^(?:true|false|null|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(text.slice(i, i + 64));
      if (!m) throw new Error('value');
      i += m[0].length;
    }
    out.set(ptr, { start, end: i });
  };
  try { value(''); } catch { /* partial map */ }
  return out;
}

// offsetOf finds the value of ptr, or of its nearest ancestor present.
export function offsetOf(text, ptr) {
  const map = pointerOffsets(text);
  let p = ptr;
  for (;;) {
    if (map.has(p)) return { ...map.get(p), pointer: p };
    if (p === '') return null;
    p = p.slice(0, p.lastIndexOf('/'));
  }
}

export function lineColToOffset(text, line, col) {
  let off = 0;
  for (let l = 1; l < line; l++) {
    const nl = text.indexOf('\n', off);
    if (nl < 0) return text.length;
    off = nl + 1;
  }
  // columns count characters (code points)
  let c = 1;
  while (c < col && off < text.length && text[off] !== '\n') {
    off += text.codePointAt(off) > 0xffff ? 2 : 1;
    c++;
  }
  return off;
}

export function offsetToLine(text, off) {
  let line = 1;
  for (let i = 0; i < off && i < text.length; i++) if (text[i] === '\n') line++;
  return line;
}
