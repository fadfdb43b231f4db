// RFC 6901 JSON Pointer and RFC 6902 JSON Patch (add, remove, replace, plus
// move, copy and test), small and dependency-free. applyPatch never mutates
// its input: it returns a patched deep copy, or throws PatchError.

export class PatchError extends Error {}

export function parsePointer(ptr) {
  if (ptr === '') return [];
  if (typeof ptr !== 'string' || ptr[0] !== '/') throw new PatchError(`invalid JSON pointer ${JSON.stringify(ptr)}`);
  return ptr.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

export function formatPointer(parts) {
  return parts.map((p) => '/' + String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}

const clone = (v) => (v === undefined ? undefined : structuredClone(v));

function arrayIndex(arr, tok, forAdd) {
  if (forAdd && tok === '-') return arr.length;
  if (!/^(0|[1-9][0-9]*)$/.test(tok)) throw new PatchError(`${JSON.stringify(tok)} is not an array index`);
  const i = Number(tok);
  if (i > arr.length || (!forAdd && i === arr.length)) throw new PatchError(`index ${i} is out of range (length ${arr.length})`);
  return i;
}

// parentOf walks to the container of the last token.
function parentOf(doc, parts, path) {
  let cur = doc;
  for (const tok of parts.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[arrayIndex(cur, tok, false)];
    else if (cur !== null && typeof cur === 'object' && Object.hasOwn(cur, tok)) cur = cur[tok];
    else throw new PatchError(`path ${path} does not exist`);
  }
  if (cur === null || typeof cur !== 'object') throw new PatchError(`path ${path} does not exist`);
  return cur;
}

export function getAt(doc, path) {
  let cur = doc;
  for (const tok of parsePointer(path)) {
    if (Array.isArray(cur)) {
      if (!/^(0|[1-9][0-9]*)$/.test(tok) || Number(tok) >= cur.length) return undefined;
      cur = cur[Number(tok)];
    } else if (cur !== null && typeof cur === 'object' && Object.hasOwn(cur, tok)) cur = cur[tok];
    else return undefined;
  }
  return cur;
}

function add(doc, path, value) {
  const parts = parsePointer(path);
  if (parts.length === 0) return value;
  const parent = parentOf(doc, parts, path);
  const last = parts[parts.length - 1];
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, last, true), 0, value);
  else parent[last] = value;
  return doc;
}

function remove(doc, path) {
  const parts = parsePointer(path);
  if (parts.length === 0) throw new PatchError('cannot remove the whole document');
  const parent = parentOf(doc, parts, path);
  const last = parts[parts.length - 1];
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, last, false), 1);
  else if (Object.hasOwn(parent, last)) delete parent[last];
  else throw new PatchError(`path ${path} does not exist`);
  return doc;
}

function replace(doc, path, value) {
  const parts = parsePointer(path);
  if (parts.length === 0) return value;
  const parent = parentOf(doc, parts, path);
  const last = parts[parts.length - 1];
  if (Array.isArray(parent)) parent[arrayIndex(parent, last, false)] = value;
  else if (Object.hasOwn(parent, last)) parent[last] = value;
  else throw new PatchError(`path ${path} does not exist`);
  return doc;
}

function deepEqual(a, b) {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a), kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
}

export function applyOperation(doc, op) {
  if (!op || typeof op.op !== 'string' || typeof op.path !== 'string') throw new PatchError('each operation needs "op" and "path"');
  const needsValue = op.op === 'add' || op.op === 'replace' || op.op === 'test';
  if (needsValue && !('value' in op)) throw new PatchError(`${op.op} ${op.path} has no value`);
  switch (op.op) {
    case 'add': return add(doc, op.path, clone(op.value));
    case 'remove': return remove(doc, op.path);
    case 'replace': return replace(doc, op.path, clone(op.value));
    case 'move': {
      if (op.path.startsWith(op.from + '/')) throw new PatchError('cannot move a value into itself');
      const v = getAt(doc, op.from);
      if (v === undefined) throw new PatchError(`path ${op.from} does not exist`);
      return add(remove(doc, op.from), op.path, v);
    }
    case 'copy': {
      const v = getAt(doc, op.from);
      if (v === undefined) throw new PatchError(`path ${op.from} does not exist`);
      return add(doc, op.path, clone(v));
    }
    case 'test':
      if (!deepEqual(getAt(doc, op.path), op.value)) throw new PatchError(`test failed at ${op.path}`);
      return doc;
  }
  throw new PatchError(`unknown operation ${JSON.stringify(op.op)}`);
}

export function applyPatch(doc, ops) {
  let out = clone(doc);
  ops.forEach((op, i) => {
    try {
      out = applyOperation(out, op);
    } catch (e) {
      throw new PatchError(`operation ${i} (${op && op.op} ${op && op.path}): ${e.message}`);
    }
  });
  return out;
}
