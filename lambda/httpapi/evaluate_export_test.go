package httpapi

// HoldEvaluations takes every evaluation slot, as maxConcurrentEvaluations
// evaluations in progress would, until release.
func HoldEvaluations() (release func()) {
	for range maxConcurrentEvaluations {
		evaluations <- struct{}{}
	}
	return func() {
		for range maxConcurrentEvaluations {
			<-evaluations
		}
	}
}
