package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/caplab/caplab/lambda/httpapi"
	"github.com/caplab/caplab/lambda/store"
	"github.com/caplab/caplab/lambda/store/memstore"
	"github.com/caplab/caplab/policy"
)

// org is `caplab org FILE --addr 127.0.0.1:9000`: one scenario served as a
// live org at the root of its own origin, with an in-memory store, for a
// developer pointing a real client (the Salesforce CLI, jsforce) at it or
// for a CI job. `caplab serve` does the same for every shared scenario.
func (c *cli) org(args []string) int {
	fs := c.newFlags("org")
	addr := fs.String("addr", "127.0.0.1:9000", "listen address; the live org's instance URL is http://ADDR")
	mode := fs.String("mode", store.ModeSalesforce, "salesforce (answer as Salesforce does) or rfc (strict RFC behaviour)")
	preset := fs.String("preset", "", "serve a built-in preset instead of FILE")
	pos, err := parseInterspersed(fs, args)
	if err != nil || !oneOf(c.stderr, "mode", *mode, store.ModeSalesforce, store.ModeRFC) {
		return exitUsage
	}
	data, name, code := c.scenarioInput(pos, *preset)
	if code != exitOK {
		return code
	}
	sc, err := policy.Decode(data)
	if err != nil {
		c.reportDecodeError(name, err)
		return exitUsage
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(c.stderr, "caplab org:", err)
		return exitFail
	}
	origin := "http://" + ln.Addr().String()
	h, err := newOrgHandler(data, *mode, origin, slog.New(slog.NewTextHandler(c.stderr, nil)))
	if err != nil {
		ln.Close()
		fmt.Fprintln(c.stderr, "caplab org:", err)
		return exitFail
	}
	printOrg(c.stdout, sc, origin)
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(c.stderr, "caplab org:", err)
		return exitFail
	}
	return exitOK
}

// newOrgHandler shares the scenario in a fresh in-memory server whose only
// live org is given origin, and returns that org's handler.
func newOrgHandler(doc []byte, mode, origin string, log *slog.Logger) (http.Handler, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	var orgID string
	cfg := httpapi.Config{BaseURL: origin, SigningKey: key, Logger: log,
		AssignOrigin: func(_ context.Context, id string) (string, error) { orgID = id; return origin, nil }}
	api := httpapi.NewServer(cfg, memstore.New())
	rec := httptest.NewRecorder()
	api.ServeHTTP(rec, httptest.NewRequest("POST", "/api/scenarios?mode="+mode, bytes.NewReader(doc)))
	if rec.Code != http.StatusCreated {
		return nil, fmt.Errorf("the scenario was refused: %s", rec.Body.String())
	}
	return httpapi.LogRequests(log, api.OrgHandler(orgID, origin)), nil
}

// printOrg tells a developer what to point a client at.
func printOrg(w io.Writer, sc *policy.Scenario, origin string) {
	fmt.Fprintf(w, "live org at %s (issuer and instance URL)\n", origin)
	fmt.Fprintf(w, "  discovery  %s/.well-known/openid-configuration\n", origin)
	for i := range sc.Apps {
		a := &sc.Apps[i]
		fmt.Fprintf(w, "  app %q  client_id %s", a.Name, a.ConsumerKey())
		if a.OAuth.ConsumerSecret != "" {
			fmt.Fprintf(w, "  client_secret %s", a.OAuth.ConsumerSecret)
		}
		for _, cb := range a.OAuth.CallbackURLs {
			fmt.Fprintf(w, "\n      callback %s", cb)
		}
		fmt.Fprintln(w)
	}
	for _, o := range sc.Orgs {
		for _, u := range o.Users {
			pw := u.Password
			if pw == "" {
				pw = "password"
			}
			line, _ := json.Marshal(map[string]string{"username": u.Username, "password": pw})
			fmt.Fprintf(w, "  user %s\n", line)
		}
	}
	fmt.Fprintln(w, "Ctrl-C stops it; nothing is kept.")
}
