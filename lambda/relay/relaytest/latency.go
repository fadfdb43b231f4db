package relaytest

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"time"

	"github.com/caplab/caplab/lambda/relay"
)

// Latency is the distribution of callback latencies measured by
// CallbackLatency.
type Latency struct {
	N                  int
	P50, P90, P99, Max time.Duration
	Mean, Total        time.Duration
	PerSecond          float64
}

func (l Latency) String() string {
	return fmt.Sprintf("relay callback on loopback, %d sequential requests: p50 %v, p90 %v, p99 %v, max %v, mean %v (%.0f/s)",
		l.N, l.P50.Round(time.Microsecond), l.P90.Round(time.Microsecond), l.P99.Round(time.Microsecond),
		l.Max.Round(time.Microsecond), l.Mean.Round(time.Microsecond), l.PerSecond)
}

// benchCallback is the callback URL of the measured relay.
const benchCallback = "http://127.0.0.1/relay/callback"

// CallbackLatency measures the relay's callback end to end on loopback:
// it registers a tenant in st, creates n flows up front, serves the relay
// over a real HTTP server on 127.0.0.1 and times n sequential callbacks
// (each a claim, a tenant read and a 302) from a keep-alive client. Every
// callback must be forwarded, or it returns an error.
func CallbackLatency(ctx context.Context, st relay.Store, n int) (Latency, error) {
	if n < 1 {
		return Latency{}, fmt.Errorf("relaytest: n = %d", n)
	}
	now := time.Now()
	tn, err := relay.Tenant{ID: "bench", LoginHost: "login", ClientID: "bench-client",
		Destinations: []relay.Destination{{ID: "app", URL: "https://bench.example/oauth/callback"}}}.Normalize()
	if err != nil {
		return Latency{}, err
	}
	if err := st.PutTenant(ctx, tn); err != nil {
		return Latency{}, err
	}
	handles := make([]string, n)
	for i := range handles {
		b := make([]byte, 32)
		rand.Read(b)
		handles[i] = base64.RawURLEncoding.EncodeToString(b)
		err := st.CreateFlow(ctx, relay.Flow{
			ID: relay.FlowID(handles[i]), Tenant: tn.ID, DestinationID: "app", DestinationURL: tn.Destinations[0].URL,
			Issuer: tn.Issuer, ClientID: tn.ClientID, ConsumerState: fmt.Sprint("s", i),
			CreatedAt: now, ExpiresAt: now.Add(relay.MaxFlowTTL),
		})
		if err != nil {
			return Latency{}, err
		}
	}

	srv := httptest.NewServer(relay.New(relay.Config{CallbackURL: benchCallback, Logger: slog.New(slog.DiscardHandler)}, st))
	defer srv.Close()
	client := srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	lat := make([]time.Duration, n)
	began := time.Now()
	for i, h := range handles {
		target := srv.URL + relay.PathCallback + "?" + url.Values{"code": {"c"}, "state": {h}, "iss": {tn.Issuer}}.Encode()
		t0 := time.Now()
		req, _ := http.NewRequestWithContext(ctx, "GET", target, nil)
		resp, err := client.Do(req)
		if err != nil {
			return Latency{}, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		lat[i] = time.Since(t0)
		if resp.StatusCode != http.StatusFound {
			return Latency{}, fmt.Errorf("relaytest: callback %d: status %d", i, resp.StatusCode)
		}
	}
	total := time.Since(began)
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[min(n-1, int(p*float64(n)))] }
	var sum time.Duration
	for _, d := range lat {
		sum += d
	}
	return Latency{
		N: n, P50: pct(0.50), P90: pct(0.90), P99: pct(0.99), Max: lat[n-1], Mean: sum / time.Duration(n),
		Total: total, PerSecond: float64(n) / total.Seconds(),
	}, nil
}
