package lambdatest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"
)

// LoopbackClient is an HTTP client that never follows redirects and can
// only dial 127.0.0.1 / ::1: a test that replays a redirect-producing
// request can never reach an outside host.
func LoopbackClient() *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second}
	return &http.Client{
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport: &http.Transport{
			Proxy: nil,
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				host, _, err := net.SplitHostPort(addr)
				if err != nil {
					return nil, err
				}
				if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
					return nil, fmt.Errorf("lambdatest: refusing to dial %s (loopback only)", addr)
				}
				return d.DialContext(ctx, network, addr)
			},
		},
	}
}
