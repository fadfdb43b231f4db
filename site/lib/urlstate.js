// The page's state in its address, so any view can be linked: /?preset=NAME
// for a lesson, /s/{id} for a short link, /#s=DATA for a link that carries
// the scenario itself, and event=N (counted from 1, as the timeline is) in
// the fragment after any of them.

const SHARE_PATH = /^\/s\/([A-Za-z0-9_-]{1,128})\/?$/;

export function readLocation(loc = location) {
  const query = new URLSearchParams(loc.search);
  const hash = new URLSearchParams(loc.hash.slice(1));
  const event = Number(hash.get('event'));
  const fragment = hash.get('s') || '';
  return {
    preset: query.get('preset') || '',
    shareId: (SHARE_PATH.exec(loc.pathname) || [])[1] || '',
    fragment: /^[A-Za-z0-9_-]+$/.test(fragment) ? fragment : '',
    event: Number.isInteger(event) && event >= 1 ? event : 0,
  };
}

// formatLocation is the address of a state: the first of shareId, fragment
// and preset that is set names the scenario; event the selected one.
export function formatLocation({ preset = '', shareId = '', fragment = '', event = 0 }) {
  const path = shareId ? `/s/${shareId}` : '/';
  const query = !shareId && !fragment && preset ? `?preset=${encodeURIComponent(preset)}` : '';
  const hash = [!shareId && fragment ? `s=${fragment}` : '', event ? `event=${event}` : ''].filter(Boolean).join('&');
  return path + query + (hash ? `#${hash}` : '');
}

// writeLocation replaces the address (no history entry per click).
export function writeLocation(state) {
  const url = formatLocation(state);
  if (url !== location.pathname + location.search + location.hash) history.replaceState(null, '', url);
}
