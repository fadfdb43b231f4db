// Share links: the scenario as deflate-raw + base64url in the URL fragment,
// with secrets replaced by placeholders that keep every comparison the
// engine makes (credentials are only ever compared for equality).

const KEYWORDS = new Set(['', 'correct', 'wrong', 'missing']);

function b64url(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function unb64url(s) {
  const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

async function pipe(bytes, transform) {
  const stream = new Blob([bytes]).stream().pipeThrough(transform);
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

export async function encodeScenario(scenario) {
  const json = new TextEncoder().encode(JSON.stringify(scenario));
  return b64url(await pipe(json, new CompressionStream('deflate-raw')));
}

export async function decodeScenario(s) {
  const bytes = await pipe(unb64url(s), new DecompressionStream('deflate-raw'));
  return JSON.parse(new TextDecoder().decode(bytes));
}

// redactSecrets returns a copy of the scenario without real-looking
// secrets, and how many values it replaced. Stored secrets (consumer
// secrets, passwords, security tokens, a password set by an admin event)
// become placeholders secret-1, secret-2…, the same value always the same
// placeholder; certificates become a placeholder; an event's credential
// literal becomes the placeholder of the stored value it equals, or
// "wrong" when it equals none (that is how the engine reads it).
export function redactSecrets(scenario) {
  const s = structuredClone(scenario);
  const names = new Map();
  let count = 0;
  const placeholder = (v) => {
    if (!names.has(v)) names.set(v, `secret-${names.size + 1}`);
    return names.get(v);
  };
  const source = (obj, key) => {
    if (obj && typeof obj[key] === 'string' && !KEYWORDS.has(obj[key]) && !/^secret-\d+$/.test(obj[key])) {
      obj[key] = placeholder(obj[key]);
      count++;
    }
  };
  for (const app of s.apps || []) {
    source(app.oauth, 'consumerSecret');
    if (app.oauth && typeof app.oauth.certificate === 'string' && app.oauth.certificate !== '' && app.oauth.certificate !== 'certificate-placeholder') {
      app.oauth.certificate = 'certificate-placeholder';
      count++;
    }
  }
  for (const org of s.orgs || []) for (const u of org.users || []) { source(u, 'password'); source(u, 'securityToken'); }
  for (const ev of s.events || []) if (ev && ev.do === 'admin') source(ev, 'password');
  for (const ev of s.events || []) {
    if (!ev || ev.do === 'admin') continue;
    for (const key of ['clientSecret', 'codeVerifier', 'password', 'securityToken']) {
      const v = ev[key];
      if (typeof v !== 'string' || KEYWORDS.has(v) || /^secret-\d+$/.test(v)) continue;
      ev[key] = names.has(v) ? names.get(v) : 'wrong';
      count++;
    }
  }
  return { scenario: s, count };
}
