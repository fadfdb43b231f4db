package httpapi_test

import (
	"context"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"

	"github.com/caplab/caplab/lambda/httpapi"
	"github.com/caplab/caplab/lambda/store"
	"github.com/caplab/caplab/lambda/store/memstore"
)

// outage is a temporary store error, the shape a throttled or dropped
// DynamoDB call has.
type outage struct{}

func (outage) Error() string   { return "store: throttled" }
func (outage) Temporary() bool { return true }

// flakyStore fails writes while down is set.
type flakyStore struct {
	store.Store
	down atomic.Bool
}

func (f *flakyStore) Commit(ctx context.Context, w store.Write) error {
	if f.down.Load() {
		return outage{}
	}
	return f.Store.Commit(ctx, w)
}

// A store outage is a retryable 503 with Retry-After, never a 500; once the
// store is back the same request succeeds.
func TestStoreOutageIs503(t *testing.T) {
	keys(t)
	st := &flakyStore{Store: memstore.New()}
	ts := httptest.NewUnstartedServer(nil)
	base := "http://" + ts.Listener.Addr().String()
	ts.Config.Handler = httpapi.New(httpapi.Config{BaseURL: base, SigningKey: serverKey}, st)
	ts.Start()
	t.Cleanup(ts.Close)
	e := &env{t: t, ts: ts, clock: &clock{}, st: st, base: base}
	e.share(scenarioJSON(t, func(m map[string]any) {
		appOAuth(m, 0)["clientCredentials"] = map[string]any{"enabled": true, "runAs": "bo@acme.test"}
	}), "")
	form := url.Values{"grant_type": {"client_credentials"}}

	st.down.Store(true)
	code, hdr, m := postForm(t, e.endpoint("token"), form, clientID, clientSecret)
	if code != 503 || m["error"] != "temporarily_unavailable" || hdr.Get("Retry-After") == "" {
		t.Fatalf("during the outage: got %d %v (Retry-After %q); want 503 temporarily_unavailable with Retry-After", code, m, hdr.Get("Retry-After"))
	}
	st.down.Store(false)
	if code, _, m := postForm(t, e.endpoint("token"), form, clientID, clientSecret); code != 200 {
		t.Fatalf("after the outage: got %d %v; want 200", code, m)
	}
}
