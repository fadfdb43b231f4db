// The page while the engine loads: progress (bytes of the module, then
// compile and start), every control that needs the engine disabled, and,
// when the load fails, a screen that says why with a Retry button.
// Markup: #engine-load, #engine-progress, #engine-load-text,
// #engine-phase (for screen readers), #engine-error, #engine-error-text,
// #engine-retry in index.html; controls marked data-needs-engine; the
// editor pane inert until ready.

const $ = (sel) => document.querySelector(sel);
const MB = (n) => (n / 1e6).toFixed(1);

const PHASES = {
  download: 'Downloading the policy engine',
  compile: 'Compiling the policy engine',
  start: 'Starting the policy engine',
  ready: 'The policy engine is ready',
};

let lastPhase = '';

// showProgress updates the loading bar from loadEngine's onProgress.
export function showProgress({ phase, received = 0, total = 0 }) {
  const bar = $('#engine-progress');
  const text = $('#engine-load-text');
  if (!bar || !text) return;
  $('#engine-load').hidden = false;
  if (phase === 'download' && total > 0) {
    bar.max = total;
    bar.value = Math.min(received, total);
    text.textContent = `${PHASES.download}: ${MB(received)} of ${MB(total)} MB`;
  } else if (phase === 'download') {
    bar.removeAttribute('value'); // indeterminate: the size is unknown
    text.textContent = `${PHASES.download}: ${MB(received)} MB`;
  } else {
    if (phase === 'compile' || phase === 'start') bar.removeAttribute('value');
    text.textContent = `${PHASES[phase] || phase}…`;
  }
  document.body.dataset.engine = phase;
  // Screen readers hear each phase once, not every chunk.
  if (phase !== lastPhase) {
    lastPhase = phase;
    performance.mark(`engine-${phase}`); // for the first-load benchmark
    const live = $('#engine-phase');
    if (live) live.textContent = PHASES[phase] || phase;
  }
}

// setEngineControls enables or disables everything that needs the engine.
export function setEngineControls(on) {
  for (const el of document.querySelectorAll('[data-needs-engine]')) {
    if (el.matches('button, select, input, textarea')) el.disabled = !on;
    else el.inert = !on;
  }
}

// showReady hides the loading bar.
export function showReady() {
  $('#engine-load').hidden = true;
  $('#engine-error').hidden = true;
  setEngineControls(true);
}

// showFailure replaces the workspace with the reason and a Retry button.
// onRetry runs once per click; the button is disabled while it runs.
export function showFailure(err, onRetry) {
  document.body.dataset.state = 'error';
  setEngineControls(false);
  $('#engine-load').hidden = true;
  const box = $('#engine-error');
  box.hidden = false;
  $('#engine-error-text').textContent = `${capitalize(err.message || String(err))}. Check the connection and try again.`;
  const retry = $('#engine-retry');
  retry.disabled = false;
  retry.onclick = async () => {
    retry.disabled = true;
    box.hidden = true;
    document.body.dataset.state = 'loading';
    await onRetry();
  };
  retry.focus();
}

const capitalize = (s) => s.charAt(0).toUpperCase() + s.slice(1);

// firstBoot reads the first paint's answers from the page itself (the
// build writes them into <script type="application/json" id="boot-first">:
// the engine's info, the default preset's scenario and answers): at once,
// with no request. Null in a page that has none (an unbuilt site).
export function firstBoot() {
  const text = document.getElementById('boot-first')?.textContent.trim();
  if (!text) return null;
  try {
    return usableBoot(JSON.parse(text));
  } catch {
    return null;
  }
}

// usableBoot is b when it holds answers of this protocol version, else null.
const usableBoot = (b) => (b && b.version === 1 && b.answers ? b : null);

// fetchBoot reads the answers computed at build time (boot.<hash>.json,
// preloaded by index.html); null when the page has none (an unbuilt site)
// or they do not load: then the page waits for the engine.
export async function fetchBoot() {
  const link = document.getElementById('boot-data');
  if (!link) return null;
  try {
    const resp = await fetch(link.href);
    if (!resp.ok) return null;
    const boot = await resp.json();
    performance.mark('boot-data');
    return usableBoot(boot);
  } catch {
    return null;
  }
}

// registerOffline installs the service worker (sw.js), which keeps the page
// and its assets for a reload without a network, once the engine runs (so
// that its download never competes with the first load). Sets
// body[data-offline] to "ready" when the worker is active.
export async function registerOffline() {
  if (!('serviceWorker' in navigator)) return;
  try {
    await navigator.serviceWorker.register('/sw.js', { scope: '/' });
    await navigator.serviceWorker.ready;
    document.body.dataset.offline = 'ready';
  } catch (e) {
    document.body.dataset.offline = 'unavailable';
    console.warn(`offline use is unavailable: ${e.message}`);
  }
}
