// The policy engine, compiled to WebAssembly, behind the versioned protocol
// of wasm/protocol: call(op, fields) sends {"version":1,"op":op,...fields}
// to globalThis.caplab and returns the parsed response.

let loading = null;

export function loadEngine(url) {
  loading ??= (async () => {
    if (typeof globalThis.Go !== 'function') throw new Error('wasm_exec.js did not load');
    const go = new Go();
    let instance;
    try {
      ({ instance } = await WebAssembly.instantiateStreaming(fetch(url), go.importObject));
    } catch {
      const resp = await fetch(url);
      if (!resp.ok) throw new Error(`cannot load ${url}: HTTP ${resp.status} (build it with "make wasm")`);
      ({ instance } = await WebAssembly.instantiate(await resp.arrayBuffer(), go.importObject));
    }
    go.run(instance); // runs main until it waits for calls; the promise settles only on exit
    if (typeof globalThis.caplab !== 'function') throw new Error('the engine did not register caplab()');
  })();
  return loading;
}

export function call(op, fields = {}) {
  return JSON.parse(globalThis.caplab(JSON.stringify({ version: 1, op, ...fields })));
}
