// Loads the playground's engine (site/wasm_exec.js + site/main.wasm) in
// Node, exactly as the page does, and checks that it answers every preset
// exactly as the native engine does (build/wasm-native-results.json from
// `go run ./scripts/wasm-native-results`; both use the same fixed clock).
//
//   node --test scripts/wasm-node-test.mjs
//   node scripts/wasm-node-test.mjs --bench   # also times evaluate in WASM
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const at = (...p) => path.join(root, ...p);

async function need(file, hint) {
  try {
    return await readFile(file);
  } catch {
    throw new Error(`${path.relative(root, file)} is missing: ${hint}`);
  }
}

const native = JSON.parse(await need(at('build', 'wasm-native-results.json'), 'run go run ./scripts/wasm-native-results'));
const wasm = await need(at('site', 'main.wasm'), 'run make wasm');
await need(at('site', 'wasm_exec.js'), 'run make wasm');
await import(pathToFileURL(at('site', 'wasm_exec.js')).href);

const go = new globalThis.Go();
const { instance } = await WebAssembly.instantiate(wasm, go.importObject);
go.run(instance); // main registers caplab() and waits for calls
assert.equal(typeof globalThis.caplab, 'function', 'the engine registered globalThis.caplab');

function call(req) {
  const out = globalThis.caplab(JSON.stringify({ version: 1, now: native.now, ...req }));
  assert.equal(typeof out, 'string');
  const resp = JSON.parse(out);
  assert.equal(resp.version, 1);
  return resp;
}

test('info', () => {
  const r = call({ op: 'info' });
  assert.equal(r.ok, true);
  assert.equal(r.result.engineVersion, native.engineVersion);
  assert.equal(r.result.protocol, 1);
});

test('presets list', () => {
  const r = call({ op: 'presets' });
  assert.equal(r.ok, true);
  assert.deepEqual(r.result, native.presets);
});

test('every preset evaluates as natively', async (t) => {
  assert.ok(native.cases.length > 0, 'native results have cases');
  for (const c of native.cases) {
    await t.test(c.name, () => {
      const r = call({ op: 'evaluate', scenario: c.scenario });
      assert.equal(r.ok, true, JSON.stringify(r.errors));
      assert.deepEqual(r.result, c.result);
    });
  }
});

test('preset documents match', async (t) => {
  assert.ok(native.cases.length > 0, 'native results have cases');
  for (const c of native.cases.filter((c) => !c.name.endsWith('(no now)'))) {
    await t.test(c.name, () => {
      const r = call({ op: 'preset', name: c.name });
      assert.equal(r.ok, true);
      assert.deepEqual(r.result, JSON.parse(c.scenario));
    });
  }
});

test('lint errors with positions match', async (t) => {
  assert.ok(native.lint.length > 0, 'native results have lint cases');
  for (const c of native.lint) {
    await t.test(c.name, () => {
      const r = call({ op: 'lint', scenario: c.scenario });
      assert.equal(r.ok, true);
      assert.deepEqual(r.result.errors, c.errors ?? []);
      assert.equal(r.result.valid, !(c.errors && c.errors.length));
      const e = call({ op: 'evaluate', scenario: c.scenario });
      assert.equal(e.ok, false);
      assert.deepEqual(e.errors, c.errors);
    });
  }
});

test('diff matches', async (t) => {
  assert.ok(native.diffs.length > 0, 'native results have diffs');
  for (const d of native.diffs) {
    await t.test(`${d.nameA} vs ${d.nameB}`, () => {
      const r = call({ op: 'diff', a: d.a, b: d.b });
      assert.equal(r.ok, true, JSON.stringify(r.errors));
      assert.deepEqual(r.result.diff, d.diff);
    });
  }
});

test('protocol errors', () => {
  assert.deepEqual(call({ version: 2, op: 'info' }).errors[0].path, '/version');
  assert.match(call({ op: 'nope' }).errors[0].message, /unknown op "nope"/);
  const bad = JSON.parse(globalThis.caplab('{"version":1,\n"op":'));
  assert.equal(bad.ok, false);
  assert.equal(bad.errors[0].line, 2);
  assert.equal(JSON.parse(globalThis.caplab()).ok, false);
});

if (process.argv.includes('--bench')) {
  test('bench: evaluate in WASM', () => {
    const rows = [];
    for (const c of native.cases.filter((c) => !c.name.endsWith('(no now)'))) {
      const req = JSON.stringify({ version: 1, op: 'evaluate', now: native.now, scenario: c.scenario });
      const noFix = JSON.stringify({ version: 1, op: 'evaluate', now: native.now, noFixes: true, scenario: c.scenario });
      const time = (r) => {
        for (let i = 0; i < 5; i++) globalThis.caplab(r);
        const ts = [];
        for (let i = 0; i < 40; i++) { const t0 = performance.now(); globalThis.caplab(r); ts.push(performance.now() - t0); }
        ts.sort((a, b) => a - b);
        return ts[ts.length >> 1];
      };
      rows.push({ preset: c.name, events: c.result.results.length, 'median ms': +time(req).toFixed(3), 'median ms (noFixes)': +time(noFix).toFixed(3) });
    }
    console.table(rows);
  });
}
