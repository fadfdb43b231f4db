package policy

// Sorting without package slices' generic sorts: each instantiation of
// slices.SortFunc or SortStableFunc adds 10–20 KB of code to the
// WebAssembly module, for lists that are short or sorted in runs.

// stableOrder returns the indices of keys in ascending order of key, equal
// keys in index order: a bottom-up merge sort.
func stableOrder(keys []int) []int {
	idx := make([]int, len(keys))
	for i := range idx {
		idx[i] = i
	}
	tmp := make([]int, len(keys))
	for width := 1; width < len(idx); width *= 2 {
		for lo := 0; lo < len(idx); lo += 2 * width {
			mid, hi := min(lo+width, len(idx)), min(lo+2*width, len(idx))
			i, j, k := lo, mid, lo
			for i < mid && j < hi {
				if keys[idx[j]] < keys[idx[i]] {
					tmp[k], j = idx[j], j+1
				} else {
					tmp[k], i = idx[i], i+1
				}
				k++
			}
			k += copy(tmp[k:], idx[i:mid])
			copy(tmp[k:], idx[j:hi])
		}
		idx, tmp = tmp, idx
	}
	return idx
}

// sortStrings sorts a short list of strings in place (an insertion sort).
func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}
