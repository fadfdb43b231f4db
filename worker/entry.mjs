// The Worker's JavaScript entry: runs the Go program (app.wasm, built with
// GOOS=js GOARCH=wasm) under the Go toolchain's own wasm_exec.js and hands
// it each request (worker/jsbridge). README.md ("One Go program per
// isolate") says why it is shaped so.
import "./wasm_exec.js";
import mod from "./app.wasm";

// MaxRequestBytes is jsbridge.MaxRequestBytes.
const maxRequestBytes = 1 << 20;

// start runs the Go program until main waits for requests: main registers
// binding.serve (and binding.prune) and calls syumai/workers' ready import
// before go.run's first await, so the program is usable when start
// returns, within the request that starts it. No promise of one request is
// ever awaited by another: workerd lets a promise settle only in the
// request that made it.
function start(env) {
  const binding = {};
  // syumai/workers reads globalThis.context once, while Go starts: the
  // program keeps the env of the request that starts it, and an isolate's
  // bindings are the same for all its requests.
  globalThis.context = { env, binding };
  const go = new Go();
  let ready = false;
  const instance = new WebAssembly.Instance(mod, {
    ...go.importObject,
    workers: { ready: () => (ready = true) },
  });
  go.run(instance);
  if (!ready) throw new Error("the Go program stopped before it was ready");
  return { binding, go };
}

// program is the isolate's Go program, started by the first request and
// again after it exited or a turn got stuck.
let program;

function current(env) {
  if (!program || program.go.exited) program = start(env);
  return program.binding;
}

// Requests take turns in the program (GO_INSTANCE "shared", the default):
// workerd ties every I/O (a D1 query) and every promise to the request
// that started it, while one Go runtime runs whichever goroutines are
// ready, of any request, and keeps one timer for all. So a request has the
// program to itself until its answer is out, and a waiting request polls
// with a timer of its own. D1 orders the writes of concurrent isolates;
// the single-use claims rely on D1, not on the turns.
let busySince = 0; // 0: free
const pollMs = 1;
const maxTurnMs = 30_000; // a turn this long is a stuck program: start a new one

async function inTurn(env, fn) {
  while (busySince) {
    if (Date.now() - busySince > maxTurnMs) {
      program = undefined;
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  busySince = Date.now();
  try {
    return await fn(current(env));
  } finally {
    busySince = 0;
  }
}

// readBody reads a request body, at most maxRequestBytes (null: too big).
async function readBody(req) {
  if (!req.body) return null;
  if (Number(req.headers.get("content-length") || 0) > maxRequestBytes) return undefined;
  const chunks = [];
  let n = 0;
  for await (const chunk of req.body) {
    n += chunk.byteLength;
    if (n > maxRequestBytes) return undefined;
    chunks.push(chunk);
  }
  const body = new Uint8Array(n);
  let at = 0;
  for (const c of chunks) {
    body.set(c, at);
    at += c.byteLength;
  }
  return body;
}

// nullBody: statuses whose response has no body.
const nullBody = new Set([101, 204, 205, 304]);

async function serve(binding, req, body) {
  const a = await binding.serve(req.method, req.url, JSON.stringify([...req.headers]), body);
  return new Response(nullBody.has(a.status) ? null : a.body, { status: a.status, headers: JSON.parse(a.headers) });
}

async function fetch(req, env) {
  const body = await readBody(req);
  if (body === undefined) {
    return Response.json(
      { error: "invalid_request", error_description: `the request body is larger than ${maxRequestBytes} bytes` },
      { status: 413 },
    );
  }
  switch (env.GO_INSTANCE) {
    case "per-request":
      // A fresh Go program per request (syumai/workers' own model): no
      // shared state, and every request pays Go's start (~100 ms of CPU).
      return serve(start(env).binding, req, body);
    case "concurrent":
      // One program, no turns: only for a Worker whose requests share no
      // Go state and wake no goroutine of another request (the D1 probe of
      // d1store's tests, whose racing claims must interleave at D1).
      return serve(current(env), req, body);
  }
  return inTurn(env, (binding) => serve(binding, req, body));
}

// scheduled is the cron trigger: the store's retention (Prune).
async function scheduled(controller, env) {
  await inTurn(env, (binding) => binding.prune());
}

export default { fetch, scheduled };
