// Package site is the caplab playground: static files (index.html, app.js,
// style.css, lib/) beside the engine built by "make wasm" (main.wasm and
// the toolchain's wasm_exec.js). Handler serves them, and nothing else in
// the directory, with the page's Content-Security-Policy and the other
// security headers. Its tests drive the page in headless Chromium.
package site
