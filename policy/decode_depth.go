package policy

import "strconv"

// maxScenarioDepth bounds how deep a scenario document nests arrays and
// objects. A scenario's own fields nest about 8 deep and a patch value a
// few more; every walker of the document (the decoder, a patch, the share
// API's secret scan) is recursive, and some build a path per level, so a
// 9000-deep value would cost them quadratic memory.
const maxScenarioDepth = 64

// tooDeep returns the offset of the first bracket that nests deeper than
// maxScenarioDepth, or -1. It reads the bytes once, skipping strings, and
// allocates nothing.
func tooDeep(data []byte) int {
	inString, depth := false, 0
	for i := 0; i < len(data); i++ {
		c := data[i]
		switch {
		case inString && c == '\\':
			i++ // the escaped character
		case c == '"':
			inString = !inString
		case inString:
		case c == '[' || c == '{':
			if depth++; depth > maxScenarioDepth {
				return i
			}
		case c == ']' || c == '}':
			depth--
		}
	}
	return -1
}

// depthError is the problem of a document nested past maxScenarioDepth.
func (d *decoding) depthError(off int) {
	d.add("", off, "%s", "the document nests arrays and objects more than "+strconv.Itoa(maxScenarioDepth)+
		" levels deep here; the limit maxScenarioDepth is "+strconv.Itoa(maxScenarioDepth))
}
