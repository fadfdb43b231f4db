//go:build js

package policy

// applyOps applies ops in order with the small RFC 6902 implementation in
// patch_rfc6902.go: evanphx/json-patch would add its own JSON package to
// the WebAssembly module.
func applyOps(doc []byte, ops []PatchOp) ([]byte, error) {
	return applyJSONPatch(doc, ops)
}
