// Package d1store is the store of the Cloudflare Worker (worker/): both
// store.Store and relay.Store over Cloudflare D1, the Workers' SQLite.
//
// The SQL is plain Go over a small DB interface (one batch of statements,
// one round trip, one transaction); only binding_js.go, built for js/wasm,
// talks to the D1 binding, so the logic compiles and vets natively and the
// contract suites (storetest, relaytest) run against real D1 under
// workerd (wrangler dev's local D1) through a test Worker (see
// d1store_test.go).
//
// How the rules of store.Store are kept:
//   - One round trip per Lookup: its SELECTs go in one D1 batch.
//   - One transaction per Commit: a D1 batch is a transaction. The write's
//     conditions are guard statements at its head: each inserts a failure
//     code into the table guard, whose named CHECK constraints refuse every
//     non-zero code (caplab_already_used, …), which aborts and rolls back
//     the whole batch; the constraint's name comes back in D1's error and
//     becomes the sentinel (ErrAlreadyUsed, …). A passing guard inserts
//     nothing, so guard stays empty.
//   - Single-use claims are conditional writes inside D1, never
//     read-then-write from the Worker: a code or refresh token is claimed by
//     a guard and an UPDATE in one transaction; a relay flow by one
//     UPDATE … RETURNING whose WHERE asks for unused and unexpired. D1
//     runs a database's statements one at a time on its single primary, so
//     of N concurrent claims exactly one sees the row unused. A Durable
//     Object would serialise the same way but is a second store, a second
//     hop and a second bill for what SQLite already does.
//   - Times in columns are fixed-width UTC text to the nanosecond
//     (timeCol), so SQL compares them exactly as Go does; numbers from JS
//     lose precision past 2^53, text does not. Each record is also kept
//     whole as JSON (doc); the columns that change (used, revoked, uses)
//     are laid over it when read.
//   - Expiry is checked in code on every claim; Prune (the Worker's daily
//     cron trigger) deletes what retention no longer keeps.
package d1store
