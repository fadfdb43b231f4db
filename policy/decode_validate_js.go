//go:build js

package policy

// validate reports the values that break Scenario's validate tags. The
// browser build checks them with internal/tagcheck: validator and its
// dependencies would double the size of the WebAssembly module.
func (d *decoding) validate(s *Scenario) {
	d.validateTags(s)
}
