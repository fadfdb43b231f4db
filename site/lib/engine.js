// The policy engine, compiled to WebAssembly, behind the versioned protocol
// of wasm/protocol: call(op, fields) sends {"version":1,"op":op,...fields}
// to globalThis.caplab and returns the parsed response.
//
// loadEngine streams the module: it is compiled while it downloads
// (WebAssembly.instantiateStreaming on a Response that counts the bytes
// as they pass), and reports its progress: download (bytes received of the
// module's size), compile (the last bytes are in), start (Go's runtime
// initialises), ready.

let loading = null;
let ready = false;

// engineReady reports whether call() can be used.
export const engineReady = () => ready;

// engineSource is the module the page names: the build writes its hashed
// name and size on <meta id="engine-wasm"> (content, data-bytes).
export function engineSource(doc = globalThis.document) {
  const meta = doc?.getElementById('engine-wasm');
  const name = meta?.getAttribute('content');
  return { url: name ? new URL(name, doc.baseURI).href : '/main.wasm', bytes: Number(meta?.dataset.bytes) || 0 };
}

export class EngineLoadError extends Error {}

// progressEveryMs is how often the download progress is shown.
const progressEveryMs = 100;

// loadEngine loads the module once; after a failure the next call tries
// again (fresh: retry bypasses the HTTP cache, which may hold what broke).
export function loadEngine({ url, bytes = 0, onProgress = () => {}, retry = false, compileAfter = null } = {}) {
  loading ??= load(url, bytes, onProgress, retry, compileAfter).catch((e) => {
    loading = null;
    throw e instanceof EngineLoadError ? e : new EngineLoadError(e.message || String(e));
  });
  return loading;
}

// compileAfter, a promise, holds the compile back (not the download):
// the page paints its first result first, so the two do not compete for
// the main thread.
async function load(url, bytes, onProgress, retry, compileAfter) {
  if (typeof globalThis.Go !== 'function') throw new EngineLoadError('wasm_exec.js did not load');
  onProgress({ phase: 'download', received: 0, total: bytes });
  let resp;
  try {
    resp = await fetch(url, retry ? { cache: 'reload' } : {});
  } catch (e) {
    throw new EngineLoadError(`the network failed while fetching the engine (${e.message})`);
  }
  if (!resp.ok) throw new EngineLoadError(`the server answered HTTP ${resp.status} for ${new URL(url, location.href).pathname}`);
  // Without a build's size, Content-Length is the module's size only when
  // it is not compressed on the wire.
  const total = bytes || (resp.headers.get('Content-Encoding') ? 0 : Number(resp.headers.get('Content-Length')) || 0);
  // The body is read as it arrives (counting bytes for the progress bar)
  // into a stream that the compiler consumes: at once, or once
  // compileAfter settles, from what is queued by then.
  let received = 0;
  let shownAt = 0;
  let downloaded = false;
  let compiling = false;
  let queue;
  const counted = new ReadableStream({ start(c) { queue = c; } });
  (async () => {
    const reader = resp.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      received += value.byteLength;
      queue.enqueue(value);
      // The bar moves every progressEveryMs, not every chunk: each update
      // is style and layout work on the main thread the first paint needs.
      const now = performance.now();
      if (now - shownAt >= progressEveryMs) {
        shownAt = now;
        onProgress({ phase: 'download', received, total });
      }
    }
    queue.close();
    downloaded = true;
    if (compiling) onProgress({ phase: 'compile', received, total: total || received });
  })().catch((e) => queue.error(e));
  if (compileAfter) await compileAfter;
  compiling = true;
  if (downloaded) onProgress({ phase: 'compile', received, total: total || received });
  const go = new globalThis.Go();
  let instance;
  try {
    const streamed = new Response(counted, { headers: { 'Content-Type': 'application/wasm' } });
    ({ instance } = WebAssembly.instantiateStreaming
      ? await WebAssembly.instantiateStreaming(streamed, go.importObject)
      : await WebAssembly.instantiate(await streamed.arrayBuffer(), go.importObject));
  } catch (e) {
    throw new EngineLoadError(received ? `the engine did not compile (${e.message})` : `the engine did not download (${e.message})`);
  }
  onProgress({ phase: 'start', received, total: total || received });
  // run settles only when Go's main returns, which it never does unless
  // the engine crashed: then no more calls.
  go.run(instance).finally(() => { ready = false; });
  if (typeof globalThis.caplab !== 'function') throw new EngineLoadError('the engine did not register caplab()');
  ready = true;
  onProgress({ phase: 'ready', received, total: total || received });
}

export function call(op, fields = {}) {
  if (!ready) {
    const result = bootAnswer(op, fields);
    if (result === undefined) throw new Error('the engine is not loaded');
    return { version: 1, ok: true, result: structuredClone(result), answeredAtBuild: true };
  }
  return JSON.parse(globalThis.caplab(JSON.stringify({ version: 1, op, ...fields })));
}

// Until the engine runs, call() answers from boot.<hash>.json: the same
// engine's answers, computed when the site was built, to the questions the
// page asks first (info, presets, a preset, evaluate without fixes, and
// fixes, of a preset's scenario as it stands). The default preset's
// answers are in it (and in the page itself); another preset's come from
// its own file (bootAnswersFor). Anything else waits for the engine.
let boot = null;
let presetOf = null; // canonical scenario JSON → preset name

// useBootAnswers adds answers computed at build time to those call() has:
// the page's own (firstBoot), then boot.<hash>.json's.
export function useBootAnswers(b) {
  boot = boot ? { ...boot, ...b, scenarios: { ...boot.scenarios, ...b.scenarios }, answers: { ...boot.answers, ...b.answers } } : { ...b };
  boot.files ??= {};
  presetOf = new Map(Object.entries(boot.scenarios).map(([name, sc]) => [JSON.stringify(sc), name]));
}

// bootAnswersFor fetches a preset's answers if the build put them in a
// file of their own; false when there are none (the engine will answer).
export async function bootAnswersFor(name) {
  if (!boot || !Object.hasOwn(boot.scenarios, name)) return false;
  if (Object.hasOwn(boot.answers, name)) return true;
  if (!Object.hasOwn(boot.files, name)) return false;
  try {
    const resp = await fetch(boot.files[name]);
    if (!resp.ok) return false;
    boot.answers[name] = await resp.json();
    return true;
  } catch {
    return false;
  }
}

function bootAnswer(op, fields) {
  if (!boot) return undefined;
  const answers = () => {
    try {
      const s = typeof fields.scenario === 'string' ? JSON.parse(fields.scenario) : fields.scenario;
      const name = presetOf.get(JSON.stringify(s));
      return name !== undefined && Object.hasOwn(boot.answers, name) ? boot.answers[name] : undefined;
    } catch {
      return undefined;
    }
  };
  switch (op) {
    case 'info': return boot.info;
    case 'presets': return boot.presets; // undefined until boot.<hash>.json is in
    case 'preset': return Object.hasOwn(boot.scenarios, fields.name) ? boot.scenarios[fields.name] : undefined;
    case 'evaluate': return fields.noFixes && !fields.now ? answers()?.result : undefined;
    case 'fixes': return !fields.now ? answers()?.fixes : undefined;
  }
  return undefined;
}
