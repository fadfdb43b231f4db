// Package jsbridge hands a Worker's requests to an http.Handler: entry.mjs
// reads the request (body bounded by MaxRequestBytes), calls
// binding.serve(method, url, headers, body), and gets back a promise of the
// whole answer {status, headers, body}, written by the handler into
// memory. The answer is buffered, not streamed: every answer of caplab is
// small (the static assets do not pass here), and a streamed body would
// have JavaScript pull from Go while a handler may still wait for D1,
// which blocks the isolate (a Go callback may not wait for JavaScript).
package jsbridge

// MaxRequestBytes bounds a request body (entry.mjs answers 413 beyond it):
// httpapi reads at most 64 kB of any body, and a Worker's memory is 128 MB.
const MaxRequestBytes = 1 << 20

// MaxAnswerBytes bounds an answer held in memory: the largest are a live
// org's pages and REST query results, well under this.
const MaxAnswerBytes = 8 << 20
