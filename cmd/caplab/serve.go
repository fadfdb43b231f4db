package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// serveCmd serves the playground's static files. (Interim: the live org
// replaces this with the full server.)
func serveCmd(args []string) int {
	fs := flag.NewFlagSet("caplab serve", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8080", "listen address")
	site := fs.String("site", "site", "directory of the playground's static files")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	srv := &http.Server{Addr: *addr, Handler: http.FileServer(http.Dir(*site)), ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
	}()
	slog.Info("caplab serving", "addr", "http://"+*addr)
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(os.Stderr, "caplab:", err)
		return exitFail
	}
	return exitOK
}
