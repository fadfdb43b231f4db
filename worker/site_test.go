package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caplab/caplab/site"
	"github.com/caplab/caplab/site/sitebuild"
)

// siteHeaders are the headers of a site answer that must not differ
// between hosts (site.Handler's; the asset host decides validators and
// encodings itself).
var siteHeaders = []string{"Content-Type", "Cache-Control", "Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy"}

// TestStaticAssetsAnswerAsSiteHandler: every file of the staged site
// build, the page at / and /s/{id}, and a file that does not exist are
// answered by the Worker (Cloudflare's static assets with the bundle's
// _headers, or the Worker itself) as site.Handler answers them for
// `caplab serve`: status, body and headers.
func TestStaticAssetsAnswerAsSiteHandler(t *testing.T) {
	needWorker(t)
	var m sitebuild.Manifest
	b, err := os.ReadFile(filepath.Join(siteDir, sitebuild.ManifestName))
	if err != nil {
		t.Fatal(err)
	}
	if err := jsonUnmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	paths := map[string]string{"/": "/", "/s/AbCdEf123": "/", "/missing.ABCDEFGH.js": "/missing.ABCDEFGH.js"}
	for _, f := range m.Files {
		paths["/"+f.Name] = "/" + f.Name
	}
	h := site.Handler(siteDir)
	for path, as := range paths {
		t.Run(strings.TrimPrefix(path, "/"), func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, as, nil)
			req.Header.Set("Accept-Encoding", "identity")
			want := httptest.NewRecorder()
			h.ServeHTTP(want, req)

			greq, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, dev.URL+path, nil)
			greq.Header.Set("Accept-Encoding", "identity")
			resp, err := http.DefaultClient.Do(greq)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != want.Code {
				t.Fatalf("status %d; want %d (site.Handler)", resp.StatusCode, want.Code)
			}
			for _, k := range siteHeaders {
				if got, w := resp.Header.Get(k), want.Header().Get(k); got != w {
					t.Errorf("%s: got %q; want %q (site.Handler)", k, got, w)
				}
			}
			if want.Code == http.StatusOK && !bytes.Equal(body, want.Body.Bytes()) {
				t.Errorf("body differs from the file: got %d bytes; want %d", len(body), want.Body.Len())
			}
		})
	}
}

// TestScheduledPrune: the cron trigger runs the store's retention on D1
// (wrangler's /__scheduled runs the Worker's scheduled handler; a failing
// prune is a 500).
func TestScheduledPrune(t *testing.T) {
	needWorker(t)
	resp, err := http.Get(dev.URL + "/__scheduled?cron=" + strings.ReplaceAll("17 3 * * *", " ", "+"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("scheduled: %d %s\n%s", resp.StatusCode, b, dev.Output())
	}
}
