// The JSON editor's DOM-free parts (site/lib/jsonformat.js, errorRange of
// site/lib/jsoneditor.js), under Node's test runner. The editor itself
// (CodeMirror in the page) is tested in the browser: go test ./site/.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const lib = (name) => import(pathToFileURL(path.join(root, 'site', 'lib', name)).href);
const { formatJSON } = await lib('jsonformat.js');
const { errorRange } = await lib('jsoneditor.js');

test('format: two-space indent, one value per line, a final newline', () => {
  assert.equal(formatJSON('{"a":1,"b":[true,null,{"c":"x"}],"d":{},"e":[]}'),
    '{\n  "a": 1,\n  "b": [\n    true,\n    null,\n    {\n      "c": "x"\n    }\n  ],\n  "d": {},\n  "e": []\n}\n');
});

test('format: keeps every token as typed (numbers, escapes, duplicate keys, order)', () => {
  const text = '{ "n": 1.50e+3, "s": "a\\"b\\\\ \\u00e9 , : { [", "dup": 1, "dup": 2, "neg": -0 }';
  const out = formatJSON(text);
  for (const tok of ['1.50e+3', '"a\\"b\\\\ \\u00e9 , : { ["', '"dup": 1', '"dup": 2', '-0']) assert.ok(out.includes(tok), `${tok} in ${out}`);
  assert.ok(out.indexOf('"dup": 1') < out.indexOf('"dup": 2'));
  assert.equal(formatJSON(out), out, 'formatting is idempotent');
});

test('format: refuses text that is not JSON, changing nothing', () => {
  for (const bad of ['{"a": 1,}', '{"a" 1}', '{', '', '{"a": tru}', '[1 2]']) {
    assert.throws(() => formatJSON(bad), SyntaxError, bad);
  }
});

test('errorRange: a line and column (columns in characters), up to the end of the token', () => {
  const text = '{\n  "a": "é😀x",\n  "b": 1\n  "c": 2\n}';
  // Missing comma after 1: the engine says line 3, column 9 (just after the value).
  assert.deepEqual(errorRange(text, { line: 3, column: 9, message: 'Expected a comma or } after the value' }), { from: 25, to: 25 });
  // A character on a line with an astral character before it.
  const r = errorRange(text, { line: 2, column: 11, message: 'x' });
  assert.equal(text.slice(r.from, r.to), 'x');
  const e = errorRange(text, { line: 2, column: 10, message: 'x' });
  assert.equal(text.slice(e.from, e.to), '😀', 'never half a character');
});

test('errorRange: a pointer marks its value, on one line at most', () => {
  const text = '{\n  "orgs": [\n    {"name": "A"}\n  ],\n  "title": "t"\n}';
  const t = errorRange(text, { path: '/title', message: 'x' });
  assert.equal(text.slice(t.from, t.to), '"t"');
  const o = errorRange(text, { path: '/orgs', message: 'x' });
  assert.equal(text.slice(o.from, o.to), '[');
  const n = errorRange(text, { path: '/orgs/0/name', line: 3, column: 14, message: 'x' });
  assert.equal(text.slice(n.from, n.to), '"A"');
  assert.equal(errorRange('{"a": [', { path: '/a/3' }), null, 'a pointer into text that does not parse');
});
