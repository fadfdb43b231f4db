package d1store_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/caplab/caplab/lambda/relay"
	"github.com/caplab/caplab/lambda/relay/relaytest"
	"github.com/caplab/caplab/lambda/store"
	"github.com/caplab/caplab/lambda/store/d1store/internal/storerpc"
	"github.com/caplab/caplab/lambda/store/storetest"
	"github.com/caplab/caplab/worker/bundle"
	"github.com/caplab/caplab/worker/workertest"
)

// The contract suites run against real D1: the probe Worker
// (internal/probe: d1store over the D1 binding, behind storerpc) under
// wrangler dev with miniflare's local D1. Its requests do not take turns
// in the Go program (GO_INSTANCE=concurrent, which the probe can use as its
// requests share no Go state), so racing calls really interleave at D1: a
// claim that read and then wrote in two round trips would let several
// racers win (checked by hand: that mutation fails CodeRace and
// RefreshRace).

var (
	probe    *workertest.Dev
	probeErr error
	client   *storerpc.Client
)

func TestMain(m *testing.M) {
	probe, probeErr = startProbe()
	code := m.Run()
	if probe != nil {
		probe.Stop()
	}
	os.Exit(code)
}

func startProbe() (*workertest.Dev, error) {
	if _, err := workertest.FindTools(); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "caplab-d1probe-")
	if err != nil {
		return nil, err
	}
	out := filepath.Join(dir, "bundle")
	if _, err := bundle.Build(bundle.Options{Root: workertest.Root(), Out: out, Package: "./lambda/store/d1store/internal/probe"}); err != nil {
		return nil, err
	}
	d, err := workertest.Start(workertest.Options{Bundle: out, Name: "caplab-d1probe", Vars: map[string]string{"GO_INSTANCE": "concurrent"}})
	if err != nil {
		return nil, err
	}
	client = &storerpc.Client{URL: d.URL, HTTP: &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}}
	return d, nil
}

// fresh empties the probe's database for one subtest.
func fresh(t *testing.T) {
	t.Helper()
	if probeErr != nil {
		t.Fatalf("the D1 probe Worker did not start: %v", probeErr)
	}
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, probe.URL+"/reset", nil)
	resp, err := client.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("reset: %s\n%s", resp.Status, probe.Output())
	}
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		fresh(t)
		return storerpc.Store{C: client}
	})
}

func TestRelayContract(t *testing.T) {
	relaytest.Run(t, func(t *testing.T) relay.Store {
		fresh(t)
		return storerpc.Relay{C: client}
	})
}
