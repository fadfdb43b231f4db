// Package deploy is what `make deploy`, `make destroy` and `make smoke`
// do around `sam deploy` (scripts/deploy): read the stack's outputs,
// publish the playground's build to the site bucket with its caching and
// encoding metadata and invalidate CloudFront, and tear the stack down
// (empty the versioned bucket, delete the stack, optionally the retained
// table). It talks to AWS only through the clients it is given, so the
// tests run it against moto on 127.0.0.1.
package deploy
