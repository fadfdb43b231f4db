// formatJSON re-indents well-formed JSON text (two spaces) without parsing
// it into values: every string, number, key and duplicate key stays
// exactly as typed, in its order; only the whitespace between tokens
// changes. Text that is not well-formed JSON is refused (the error is
// JSON.parse's), never half-formatted.

const WS = ' \t\n\r';

export function formatJSON(text, indent = '  ') {
  JSON.parse(text);
  let out = '';
  let depth = 0;
  let i = 0;
  const newline = () => '\n' + indent.repeat(depth);
  while (i < text.length) {
    const c = text[i];
    if (WS.includes(c)) {
      i++;
    } else if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else if (c === '{' || c === '[') {
      let j = i + 1;
      while (j < text.length && WS.includes(text[j])) j++;
      if (text[j] === (c === '{' ? '}' : ']')) { // empty: {} or []
        out += c + text[j];
        i = j + 1;
      } else {
        depth++;
        out += c + newline();
        i++;
      }
    } else if (c === '}' || c === ']') {
      depth--;
      out += newline() + c;
      i++;
    } else if (c === ',') {
      out += ',' + newline();
      i++;
    } else if (c === ':') {
      out += ': ';
      i++;
    } else { // a number, true, false or null
      let j = i;
      while (j < text.length && !(WS + ',:]}').includes(text[j])) j++;
      out += text.slice(i, j);
      i = j;
    }
  }
  return out + '\n';
}
