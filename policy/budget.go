package policy

import (
	"context"
	"errors"
)

// budget is the work one evaluation may still do, in event evaluations
// (maxEventEvaluations), shared by the timeline and the fix search, and
// the caller's context. A nil budget is unlimited (the live org evaluates
// a few requests at a time).
type budget struct {
	ctx  context.Context
	left int
	err  error // why the budget stopped: a *LimitError or the context's error
}

func newBudget(ctx context.Context) *budget {
	return &budget{ctx: ctx, left: maxEventEvaluations}
}

// spend takes n units of work. It reports false, for good, once the work
// budget or the context has run out; stopped says why.
func (b *budget) spend(n int) bool {
	if b == nil {
		return true
	}
	if b.err != nil {
		return false
	}
	if err := b.ctx.Err(); err != nil {
		b.err = err
		if errors.Is(err, context.DeadlineExceeded) {
			b.err = &LimitError{Limit: LimitDeadline, Message: "the evaluation ran past its deadline", err: err}
		}
		return false
	}
	if n > b.left {
		b.left, b.err = 0, workLimitError()
		return false
	}
	b.left -= n
	return true
}

// stopped is why the budget ran out, or nil.
func (b *budget) stopped() error {
	if b == nil {
		return nil
	}
	return b.err
}
