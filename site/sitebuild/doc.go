// Package sitebuild turns the playground's sources (site/) into the
// directory that is served and deployed: one flat directory with
// content-hashed, pre-compressed assets and an index.html that names them.
//
//	index.html              no-cache; references rewritten to the hashed names
//	sw.js                   the service worker (a fixed name, no-cache), with
//	                        the list of assets to keep for offline use
//	app.<hash>.js           app.js and site/lib bundled by esbuild, plus the
//	codemirror.<hash>.js    lazily imported chunks (the JSON editor) and
//	chunk.<hash>.js         shared ones
//	style.<hash>.css        minified
//	wasm_exec.<hash>.js     the Go toolchain's WebAssembly support, minified
//	main.<hash>.wasm        the policy engine
//	boot.<hash>.json        the engine's answers computed at build time for
//	                        every preset (first paint before the engine runs)
//	*.br, *.gz              brotli (quality 11) and gzip (level 9) copies of
//	                        each asset that compression makes smaller
//	.sitebuild.json         the manifest: every file, its sizes and caching
//	                        (a dotfile: never served)
//
// Hashed names never change content, so they are served with
// "Cache-Control: immutable"; index.html and sw.js are revalidated.
package sitebuild
