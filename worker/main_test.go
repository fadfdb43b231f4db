package main

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/caplab/caplab/site/sitebuild"
	"github.com/caplab/caplab/worker/bundle"
	"github.com/caplab/caplab/worker/workertest"
)

// The end-to-end tests run the Worker as it deploys: the bundle of `make
// worker` (./worker for js/wasm, wasm_exec.js, entry.mjs, staged assets),
// built once, under one `wrangler dev` (workerd, miniflare's local D1
// migrated by `wrangler d1 migrations apply`), started once, with its
// secrets in .dev.vars. Everything is on 127.0.0.1.

const relayAdminKey = "worker-test-relay-admin-key-0123456789"

var (
	dev      *workertest.Dev
	devErr   error
	siteDir  string // the site build the bundle staged
	bundleAt string
	report   *bundle.Report
	testKey  *rsa.PrivateKey
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "caplab-worker-test-")
	if err != nil {
		panic(err)
	}
	devErr = startWorker(dir)
	code := m.Run()
	if dev != nil {
		dev.Stop()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

func startWorker(dir string) error {
	if _, err := workertest.FindTools(); err != nil {
		return err
	}
	siteDir = filepath.Join(dir, "site")
	if err := writeSite(siteDir); err != nil {
		return err
	}
	bundleAt = filepath.Join(dir, "bundle")
	began := time.Now()
	var err error
	if report, err = bundle.Build(bundle.Options{Root: workertest.Root(), Out: bundleAt, Site: siteDir}); err != nil {
		return err
	}
	built := time.Since(began)
	if testKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		return err
	}
	der, _ := x509.MarshalPKCS8PrivateKey(testKey)
	cookie := make([]byte, CookieKeyBytes)
	rand.Read(cookie)
	port, err := workertest.FreePort()
	if err != nil {
		return err
	}
	dev, err = workertest.Start(workertest.Options{
		Bundle: bundleAt, Assets: true, Port: port,
		Vars: map[string]string{EnvBaseURLs: fmt.Sprintf("http://127.0.0.1:%d", port)},
		Secrets: map[string]string{
			EnvSigningKey:    string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
			EnvCookieKey:     base64.StdEncoding.EncodeToString(cookie),
			EnvRelayAdminKey: relayAdminKey,
		},
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "worker: bundle built in %v (script gzip %d bytes), wrangler dev up in %v at %s\n",
		built.Round(time.Millisecond), report.UploadGzip, dev.Started.Round(time.Millisecond), dev.URL)
	return nil
}

// needWorker fails the test when the Worker did not start.
func needWorker(t *testing.T) {
	t.Helper()
	if devErr != nil {
		t.Fatalf("the Worker did not start: %v", devErr)
	}
}

// writeSite writes a small site build (site/sitebuild's layout: hashed
// names, index.html, sw.js, the manifest) for the assets tests; `make
// worker` stages the real one the same way.
func writeSite(dir string) error {
	files := map[string]string{
		"index.html":         "<!doctype html>\n<html lang=\"en\"><head><title>caplab</title><script type=\"module\" src=\"app.ABCDEFGH.js\"></script></head><body></body></html>\n",
		"sw.js":              "self.addEventListener('fetch', () => {});\n",
		"app.ABCDEFGH.js":    "console.log('caplab');\n",
		"style.QRSTUVWX.css": "body{margin:0}\n",
		"main.MNOPQR23.wasm": "\x00asm\x01\x00\x00\x00",
		"boot.IJKLMN45.json": "{\"presets\":[]}\n",
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var m sitebuild.Manifest
	m.Built = time.Now().UTC()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			return err
		}
		m.Files = append(m.Files, sitebuild.File{Name: name, Bytes: len(body), Immutable: name != "index.html" && name != "sw.js"})
	}
	b, _ := json.Marshal(m)
	return os.WriteFile(filepath.Join(dir, sitebuild.ManifestName), b, 0o644)
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
