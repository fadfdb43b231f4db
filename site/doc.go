// Package site is the caplab playground: static files (index.html, app.js,
// style.css, lib/) served as they are, beside the engine built by
// "make wasm" (main.wasm and the toolchain's wasm_exec.js). Its tests drive
// the page in headless Chromium.
package site
