// Unit tests of the playground's DOM-free modules (site/lib) under Node's
// test runner: JSON Patch, JSON text positions, share links and secret
// redaction (checked against the engine in site/main.wasm: redacting never
// changes an outcome), and the sequence diagram's messages.
//
//   node --test scripts/site-js-test.mjs      (needs make wasm)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const lib = (name) => import(pathToFileURL(path.join(root, 'site', 'lib', name)).href);
const { applyPatch, parsePointer, formatPointer, PatchError } = await lib('jsonpatch.js');
const { pointerOffsets, offsetOf, lineColToOffset, offsetToLine } = await lib('jsontext.js');
const { encodeScenario, decodeScenario, redactSecrets } = await lib('share.js');
const { messages, relayURL, loginHost } = await lib('diagram.js');

test('JSON Pointer', () => {
  assert.deepEqual(parsePointer(''), []);
  assert.deepEqual(parsePointer('/a~1b/m~0n/0'), ['a/b', 'm~n', '0']);
  assert.equal(formatPointer(['a/b', 'm~n', 0]), '/a~1b/m~0n/0');
  assert.throws(() => parsePointer('a'), PatchError);
});

test('JSON Patch: RFC 6902 appendix A', () => {
  const cases = [
    [{ foo: 'bar' }, [{ op: 'add', path: '/baz', value: 'qux' }], { baz: 'qux', foo: 'bar' }],
    [{ foo: ['bar', 'baz'] }, [{ op: 'add', path: '/foo/1', value: 'qux' }], { foo: ['bar', 'qux', 'baz'] }],
    [{ baz: 'qux', foo: 'bar' }, [{ op: 'remove', path: '/baz' }], { foo: 'bar' }],
    [{ foo: ['bar', 'qux', 'baz'] }, [{ op: 'remove', path: '/foo/1' }], { foo: ['bar', 'baz'] }],
    [{ baz: 'qux', foo: 'bar' }, [{ op: 'replace', path: '/baz', value: 'boo' }], { baz: 'boo', foo: 'bar' }],
    [{ foo: { bar: 'baz', waldo: 'fred' }, qux: { corge: 'grault' } }, [{ op: 'move', from: '/foo/waldo', path: '/qux/thud' }],
      { foo: { bar: 'baz' }, qux: { corge: 'grault', thud: 'fred' } }],
    [{ foo: ['all', 'grass', 'cows', 'eat'] }, [{ op: 'move', from: '/foo/1', path: '/foo/3' }], { foo: ['all', 'cows', 'eat', 'grass'] }],
    [{ baz: 'qux', foo: ['a', 2, 'c'] }, [{ op: 'test', path: '/baz', value: 'qux' }, { op: 'test', path: '/foo/1', value: 2 }], { baz: 'qux', foo: ['a', 2, 'c'] }],
    [{ foo: 'bar' }, [{ op: 'add', path: '/child', value: { grandchild: {} } }], { foo: 'bar', child: { grandchild: {} } }],
    [{ foo: ['bar'] }, [{ op: 'add', path: '/foo/-', value: ['abc', 'def'] }], { foo: ['bar', ['abc', 'def']] }],
    [{ foo: null }, [{ op: 'add', path: '/foo', value: 1 }], { foo: 1 }],
    [{ '/': 9, '~1': 10 }, [{ op: 'test', path: '/~01', value: 10 }, { op: 'replace', path: '/~1', value: 8 }], { '/': 8, '~1': 10 }],
    [{ a: 1 }, [{ op: 'copy', from: '/a', path: '/b' }], { a: 1, b: 1 }],
    [{ a: 1 }, [{ op: 'replace', path: '', value: [1] }], [1]],
  ];
  for (const [doc, patch, want] of cases) {
    const before = structuredClone(doc);
    assert.deepEqual(applyPatch(doc, patch), want, JSON.stringify(patch));
    assert.deepEqual(doc, before, 'the input is not modified');
  }
});

test('JSON Patch: errors', () => {
  const bad = [
    [{ foo: 'bar' }, [{ op: 'add', path: '/baz/bat', value: 'qux' }]],
    [{ foo: 'bar' }, [{ op: 'remove', path: '/nope' }]],
    [{ foo: 'bar' }, [{ op: 'replace', path: '/nope', value: 1 }]],
    [{ foo: [1] }, [{ op: 'add', path: '/foo/5', value: 1 }]],
    [{ foo: [1] }, [{ op: 'add', path: '/foo/01', value: 1 }]],
    [{ foo: [1] }, [{ op: 'remove', path: '/foo/1' }]],
    [{ baz: 'qux' }, [{ op: 'test', path: '/baz', value: 'bar' }]],
    [{ a: 1 }, [{ op: 'add', path: '/b' }]],
    [{ a: 1 }, [{ op: 'jump', path: '/a' }]],
    [{ a: { b: 1 } }, [{ op: 'move', from: '/a', path: '/a/b/c' }]],
  ];
  for (const [doc, patch] of bad) assert.throws(() => applyPatch(doc, patch), PatchError, JSON.stringify(patch));
});

test('JSON text positions', () => {
  const text = '{\n  "a": [1, {"b~/": "ü"}],\n  "c": true\n}\n';
  const map = pointerOffsets(text);
  assert.equal(text.slice(map.get('/a/0').start, map.get('/a/0').end), '1');
  assert.equal(text.slice(map.get('/a/1/b~0~1').start, map.get('/a/1/b~0~1').end), '"ü"');
  assert.equal(text.slice(map.get('/c').start, map.get('/c').end), 'true');
  assert.equal(offsetOf(text, '/a/1/missing').pointer, '/a/1');
  assert.equal(offsetToLine(text, map.get('/c').start), 3);
  assert.equal(lineColToOffset(text, 3, 8), map.get('/c').start);
  const uni = 'x\n🙂ab';
  assert.equal(uni.slice(lineColToOffset(uni, 2, 2)), 'ab', 'columns count characters, not UTF-16 units');
  const partial = pointerOffsets('{"a": [1,');
  assert.deepEqual([...partial.keys()], ['/a/0'], 'malformed text gives what was found before the error');
  assert.deepEqual(partial.get('/a/0'), { start: 7, end: 8 });
});

test('share: deflate-raw + base64url round trip', async () => {
  const doc = { schemaVersion: 1, title: 'Ünïcødé — 🙂 /+=', orgs: [{ name: 'A' }], events: Array.from({ length: 50 }, (_, i) => ({ do: 'wait', for: `${i}m` })) };
  const s = await encodeScenario(doc);
  assert.match(s, /^[A-Za-z0-9_-]+$/);
  assert.ok(s.length < JSON.stringify(doc).length / 2, 'compressed');
  assert.deepEqual(await decodeScenario(s), doc);
});

test('share: redaction replaces secrets consistently', () => {
  const doc = {
    schemaVersion: 1,
    orgs: [{ name: 'A', users: [{ username: 'u', password: 'hunter2', securityToken: 'TOK' }, { username: 'v', password: 'correct' }] }],
    apps: [{ name: 'X', oauth: { consumerSecret: 'S3CR3T', certificate: '-----BEGIN CERTIFICATE-----' } }],
    events: [
      { do: 'soapLogin', user: 'u', password: 'hunter2', securityToken: 'TOK' },
      { do: 'soapLogin', user: 'u', password: 'nothing-like-it', securityToken: 'missing' },
      { do: 'token', grant: 'authorization_code', clientSecret: 'S3CR3T', codeVerifier: 'my-verifier' },
      { do: 'admin', action: 'changePassword', user: 'u', password: 'new-pass' },
      { do: 'soapLogin', user: 'u', password: 'new-pass' },
    ],
  };
  const { scenario: r, count } = redactSecrets(doc);
  const text = JSON.stringify(r);
  for (const secret of ['hunter2', 'TOK', 'S3CR3T', 'BEGIN CERTIFICATE', 'nothing-like-it', 'my-verifier', 'new-pass']) assert.ok(!text.includes(secret), secret);
  assert.equal(r.orgs[0].users[0].password, r.events[0].password);
  assert.equal(r.orgs[0].users[0].securityToken, r.events[0].securityToken);
  assert.equal(r.apps[0].oauth.consumerSecret, r.events[2].clientSecret);
  assert.equal(r.events[1].password, 'wrong');
  assert.equal(r.events[1].securityToken, 'missing');
  assert.equal(r.events[2].codeVerifier, 'wrong');
  assert.equal(r.events[3].password, r.events[4].password);
  assert.equal(r.orgs[0].users[1].password, 'correct');
  assert.equal(count, 11);
  assert.equal(doc.orgs[0].users[0].password, 'hunter2', 'the input is not modified');
  assert.deepEqual(redactSecrets(r).scenario, r, 'redaction is idempotent');
});

test('share: redaction keeps every outcome (engine in WASM)', async (t) => {
  let wasm;
  try {
    wasm = await readFile(path.join(root, 'site', 'main.wasm'));
    await import(pathToFileURL(path.join(root, 'site', 'wasm_exec.js')).href);
  } catch {
    assert.fail('site/main.wasm or site/wasm_exec.js is missing: run make wasm');
  }
  const go = new globalThis.Go();
  const { instance } = await WebAssembly.instantiate(wasm, go.importObject);
  go.run(instance);
  const call = (req) => JSON.parse(globalThis.caplab(JSON.stringify({ version: 1, ...req })));
  const outcomes = (doc) => {
    const r = call({ op: 'evaluate', noFixes: true, scenario: doc });
    assert.equal(r.ok, true, JSON.stringify(r.errors));
    return r.result.results.map((e) => [e.outcome, e.error, e.errorDescription]);
  };
  const presets = call({ op: 'presets' }).result;
  assert.ok(presets.length > 0);
  for (const p of presets) {
    await t.test(p.name, () => {
      const doc = call({ op: 'preset', name: p.name }).result;
      // Give every stored secret a literal and every event a matching one,
      // so redaction has something to replace.
      for (const app of doc.apps || []) app.oauth = { ...(app.oauth || {}), consumerSecret: `cs-${app.name}` };
      for (const org of doc.orgs || []) for (const u of org.users || []) { u.password ??= `pw-${u.username}`; u.securityToken ??= `tok-${u.username}`; }
      for (const ev of doc.events || []) {
        if (ev.do === 'token' && ev.clientSecret === undefined && doc.apps?.length === 1) ev.clientSecret = `cs-${doc.apps[0].name}`;
      }
      assert.deepEqual(outcomes(redactSecrets(doc).scenario), outcomes(doc));
    });
  }
});

test('sequence: lanes and arrows', () => {
  const scenario = {
    orgs: [{ name: 'Globex', myDomain: 'globex' }],
    apps: [{ name: 'C', oauth: { callbackUrls: ['https://relay.acme.test/relay/callback'] } }],
  };
  assert.ok(relayURL('https://relay.acme.test/cb'));
  assert.ok(relayURL('https://acme.test/relay/callback'));
  assert.ok(!relayURL('https://prelay.test/cb') && !relayURL('https://a.test/relayed'));
  assert.equal(loginHost(scenario, { host: 'myDomain' }), 'globex.my.salesforce.com');
  assert.equal(loginHost({ orgs: [{ name: 'S', type: 'sandbox' }] }, {}), 'test.salesforce.com');
  assert.equal(loginHost(scenario, { host: 'https://acme.my.site.com/portal' }), 'acme.my.site.com');
  const res = { event: 0, outcome: 'granted', delivery: 'redirect', httpStatus: 302, trace: [{ rule: 'user.active', outcome: 'pass' }],
    response: { location: 'https://relay.acme.test/relay/callback?code=abc&state=s' } };
  const viaRelay = messages(scenario, { do: 'authorize', flow: 'webServer', user: 'ana' }, res);
  assert.equal(viaRelay.relay, true);
  const lanes = new Set(viaRelay.messages.flatMap(([a, b]) => [a, b]));
  assert.deepEqual([...lanes].sort(), ['Browser', 'Client app', 'Relay', 'Salesforce']);
  assert.equal(viaRelay.messages.at(-1)[1], 'Client app');
  const direct = messages({ orgs: [{ name: 'A' }], apps: [{ name: 'C', oauth: { callbackUrls: ['https://app.test/cb'] } }] },
    { do: 'token', grant: 'authorization_code' }, { ...res, delivery: 'json', httpStatus: 200, response: { body: '{"access_token":"x"}' } });
  assert.equal(direct.relay, false);
  assert.deepEqual(direct.messages.map(([a, b]) => a + '>' + b), ['Client app>Salesforce', 'Salesforce>Client app']);
  assert.match(direct.messages[1][3], /access_token/);
});
