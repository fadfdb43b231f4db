package lambdamain

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/caplab/caplab/lambda/store"
)

// Releaser is implemented by stores that can undo a request's own claim
// (dynamostore.Store).
type Releaser interface {
	ReleaseCode(ctx context.Context, hash string, usedAt time.Time) error
	ReleaseRefresh(ctx context.Context, hash string, usedAt time.Time) error
}

// The guard keeps a DynamoDB hiccup from turning into a lost grant or a
// 500. Per request it records, through a store decorator, whether the
// store reported a retryable failure (Temporary() true), which code or
// refresh token the request claimed, and which tokens it wrote. When the
// handler's answer is a 5xx after all that:
//   - the claim is released (only if still ours) and the tokens written by
//     this request are revoked, so nothing half-issued stays usable and the
//     code or refresh token can be redeemed again;
//   - a retryable store failure becomes 503 temporarily_unavailable with
//     Retry-After, so the client retries instead of giving up on a 500.
//
// The handler itself claims before it writes the tokens; the release
// closes the gap that order leaves (a claimed code with no tokens).

type reqState struct {
	mu          sync.Mutex
	unavailable error
	codeClaim   *claim
	rtClaim     *claim
	tokens      []string
}

type claim struct {
	hash string
	at   time.Time
}

type stateKey struct{}

func stateOf(ctx context.Context) *reqState {
	st, _ := ctx.Value(stateKey{}).(*reqState)
	return st
}

func (st *reqState) note(err error) {
	if st == nil || err == nil {
		return
	}
	var t interface{ Temporary() bool }
	if errors.As(err, &t) && t.Temporary() {
		st.mu.Lock()
		if st.unavailable == nil {
			st.unavailable = err
		}
		st.mu.Unlock()
	}
}

// guardStore decorates a store.Store with the per-request bookkeeping.
type guardStore struct{ store.Store }

func (g guardStore) do(ctx context.Context, err error) error {
	stateOf(ctx).note(err)
	return err
}

func (g guardStore) PutScenario(ctx context.Context, s store.Scenario) error {
	return g.do(ctx, g.Store.PutScenario(ctx, s))
}
func (g guardStore) GetScenario(ctx context.Context, id string) (store.Scenario, error) {
	s, err := g.Store.GetScenario(ctx, id)
	return s, g.do(ctx, err)
}
func (g guardStore) PutCode(ctx context.Context, c store.Code) error {
	return g.do(ctx, g.Store.PutCode(ctx, c))
}
func (g guardStore) GetCode(ctx context.Context, h string, now time.Time) (store.Code, error) {
	c, err := g.Store.GetCode(ctx, h, now)
	return c, g.do(ctx, err)
}
func (g guardStore) ClaimCode(ctx context.Context, h string, now time.Time) (store.Code, error) {
	c, err := g.Store.ClaimCode(ctx, h, now)
	if st := stateOf(ctx); err == nil && st != nil {
		st.mu.Lock()
		st.codeClaim = &claim{hash: h, at: c.UsedAt}
		st.mu.Unlock()
	}
	return c, g.do(ctx, err)
}
func (g guardStore) PutGrant(ctx context.Context, gr store.Grant) error {
	return g.do(ctx, g.Store.PutGrant(ctx, gr))
}
func (g guardStore) GetGrant(ctx context.Context, id string) (store.Grant, error) {
	gr, err := g.Store.GetGrant(ctx, id)
	return gr, g.do(ctx, err)
}
func (g guardStore) ListApprovals(ctx context.Context, orgID, user string) ([]store.Grant, error) {
	gs, err := g.Store.ListApprovals(ctx, orgID, user)
	return gs, g.do(ctx, err)
}
func (g guardStore) RevokeGrant(ctx context.Context, id, why string, now time.Time) error {
	return g.do(ctx, g.Store.RevokeGrant(ctx, id, why, now))
}
func (g guardStore) PutToken(ctx context.Context, t store.Token) error {
	err := g.Store.PutToken(ctx, t)
	if st := stateOf(ctx); st != nil {
		// Recorded even on error: a dropped response may hide a write that happened.
		st.mu.Lock()
		st.tokens = append(st.tokens, t.Hash)
		st.mu.Unlock()
	}
	return g.do(ctx, err)
}
func (g guardStore) GetToken(ctx context.Context, h string, now time.Time) (store.Token, error) {
	t, err := g.Store.GetToken(ctx, h, now)
	return t, g.do(ctx, err)
}
func (g guardStore) ClaimRefresh(ctx context.Context, h string, now time.Time) (store.Token, error) {
	t, err := g.Store.ClaimRefresh(ctx, h, now)
	if st := stateOf(ctx); err == nil && st != nil {
		st.mu.Lock()
		st.rtClaim = &claim{hash: h, at: t.UsedAt}
		st.mu.Unlock()
	}
	return t, g.do(ctx, err)
}
func (g guardStore) TouchToken(ctx context.Context, h string, now, exp time.Time) error {
	return g.do(ctx, g.Store.TouchToken(ctx, h, now, exp))
}
func (g guardStore) RevokeToken(ctx context.Context, h string, now time.Time) error {
	return g.do(ctx, g.Store.RevokeToken(ctx, h, now))
}

// Guard wraps the shared handler (built over GuardStore(st)) for Lambda.
func Guard(h http.Handler, st store.Store, logger *slog.Logger) http.Handler {
	if logger == nil {
		logger = slog.Default()
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		state := &reqState{}
		r = r.WithContext(context.WithValue(r.Context(), stateKey{}, state))
		buf := &bufferedWriter{header: http.Header{}}
		func() {
			defer func() {
				if v := recover(); v != nil {
					logger.Error("panic in handler", "path", r.URL.Path, "panic", v)
					buf.reset()
					buf.status = http.StatusInternalServerError
				}
			}()
			h.ServeHTTP(buf, r)
		}()
		if buf.status == 0 {
			buf.status = http.StatusOK
		}
		if buf.status >= 500 {
			compensate(r.Context(), st, state, logger)
			state.mu.Lock()
			unavailable := state.unavailable
			state.mu.Unlock()
			if unavailable != nil {
				logger.Warn("store temporarily unavailable", "path", r.URL.Path, "err", unavailable)
				writeUnavailable(w)
				return
			}
		}
		buf.flush(w)
	})
}

// GuardStore returns the decorated store to build the handler with.
func GuardStore(st store.Store) store.Store { return guardStore{st} }

// compensate undoes this request's claim and revokes the tokens it wrote.
// It runs with its own deadline: the request's context may be done.
func compensate(reqCtx context.Context, st store.Store, state *reqState, logger *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(reqCtx), 3*time.Second)
	defer cancel()
	state.mu.Lock()
	defer state.mu.Unlock()
	now := time.Now()
	for _, h := range state.tokens {
		if err := st.RevokeToken(ctx, h, now); err != nil && !errors.Is(err, store.ErrNotFound) {
			logger.Error("compensation: revoke half-issued token failed", "err", err)
		}
	}
	rel, ok := st.(Releaser)
	if !ok {
		return
	}
	if c := state.codeClaim; c != nil {
		if err := rel.ReleaseCode(ctx, c.hash, c.at); err != nil && !errors.Is(err, store.ErrNotFound) {
			logger.Error("compensation: release code claim failed; the code stays used", "err", err)
		}
	}
	if c := state.rtClaim; c != nil {
		if err := rel.ReleaseRefresh(ctx, c.hash, c.at); err != nil && !errors.Is(err, store.ErrNotFound) {
			logger.Error("compensation: release refresh claim failed; the token stays used", "err", err)
		}
	}
}

func writeUnavailable(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "application/json;charset=UTF-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	h.Set("Retry-After", "1")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusServiceUnavailable)
	b, _ := json.Marshal(map[string]string{
		"error":             "temporarily_unavailable",
		"error_description": "the service is busy; retry the request",
	})
	w.Write(append(b, '\n'))
}

// bufferedWriter holds the response until the guard has looked at it.
type bufferedWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedWriter) Header() http.Header { return b.header }
func (b *bufferedWriter) WriteHeader(code int) {
	if b.status == 0 {
		b.status = code
	}
}
func (b *bufferedWriter) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}
func (b *bufferedWriter) reset() {
	b.header = http.Header{}
	b.body.Reset()
	b.status = 0
}
func (b *bufferedWriter) flush(w http.ResponseWriter) {
	if b.status >= 500 && b.body.Len() == 0 {
		b.header.Set("Content-Type", "application/json;charset=UTF-8")
	}
	for k, v := range b.header {
		w.Header()[k] = v
	}
	w.WriteHeader(b.status)
	w.Write(b.body.Bytes())
}
