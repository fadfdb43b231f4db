package sitebuild

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Options says what to build from and where to.
type Options struct {
	Root     string    // the module root (go.mod, node_modules); "" finds it above the working directory
	Src      string    // the site's sources; "" is Root/site
	Out      string    // the output directory, replaced as a whole
	Wasm     string    // a built main.wasm to ship; "" compiles ./wasm
	WasmExec string    // wasm_exec.js; "" is the Go toolchain's
	Log      io.Writer // progress lines; nil is silent
}

// ManifestName is the manifest written into the output directory.
const ManifestName = ".sitebuild.json"

// Manifest describes a build: every file it wrote.
type Manifest struct {
	Built time.Time `json:"built"`
	Files []File    `json:"files"`
}

// File is one served file and its pre-compressed copies.
type File struct {
	Name      string `json:"name"`
	Bytes     int    `json:"bytes"`
	Brotli    int    `json:"brotli,omitempty"` // size of Name.br; 0 when none
	Gzip      int    `json:"gzip,omitempty"`   // size of Name.gz; 0 when none
	Immutable bool   `json:"immutable"`        // a content-hashed name
}

// File returns the manifest's entry whose name matches the pattern of
// path.Match (such as "main.*.wasm"), or false.
func (m *Manifest) File(pattern string) (File, bool) {
	for _, f := range m.Files {
		if ok, _ := filepath.Match(pattern, f.Name); ok {
			return f, true
		}
	}
	return File{}, false
}

// Build builds the site into o.Out. It writes a sibling staging directory
// first and swaps it in at the end, so a failed build leaves the previous
// output alone. An existing o.Out must be a previous build (it holds the
// manifest) or empty: Build never deletes anything else.
func Build(o Options) (*Manifest, error) {
	var err error
	if o.Root == "" {
		if o.Root, err = findRoot(); err != nil {
			return nil, err
		}
	}
	if o.Src == "" {
		o.Src = filepath.Join(o.Root, "site")
	}
	if o.Out == "" {
		return nil, errors.New("sitebuild: no output directory")
	}
	for _, p := range []*string{&o.Root, &o.Src, &o.Out} {
		if *p, err = filepath.Abs(*p); err != nil {
			return nil, err
		}
	}
	if err := replaceable(o.Out); err != nil {
		return nil, err
	}
	stage := o.Out + ".building"
	if err := os.RemoveAll(stage); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(stage, 0o755); err != nil {
		return nil, err
	}
	b := &build{o: o, dir: stage, names: map[string]string{}}
	if err := b.run(); err != nil {
		os.RemoveAll(stage)
		return nil, err
	}
	if err := os.RemoveAll(o.Out); err != nil {
		return nil, err
	}
	if err := os.Rename(stage, o.Out); err != nil {
		return nil, err
	}
	return b.manifest, nil
}

// build is one run of Build.
type build struct {
	o         Options
	dir       string            // the staging directory
	names     map[string]string // source reference ("/app.js") → hashed name ("app.ABCD2345.js")
	wasm      []byte
	preloads  []string // chunks app.js imports statically: <link rel=modulepreload>
	firstBoot []byte   // FirstBoot, for index.html
	manifest  *Manifest
}

func (b *build) logf(format string, args ...any) {
	if b.o.Log != nil {
		fmt.Fprintf(b.o.Log, "site-build: "+format+"\n", args...)
	}
}

func (b *build) run() error {
	steps := []struct {
		what string
		fn   func() error
	}{
		{"engine", b.engine},
		{"JavaScript bundle", b.bundle},
		{"style sheet", b.style},
		{"answers at build time", b.boot},
		{"index.html", b.index},
		{"service worker", b.serviceWorker},
		{"compression", b.compress},
	}
	for _, s := range steps {
		t := time.Now()
		if err := s.fn(); err != nil {
			return fmt.Errorf("sitebuild: %s: %w", s.what, err)
		}
		b.logf("%s (%s)", s.what, time.Since(t).Round(time.Millisecond))
	}
	return nil
}

// write stores an output file under its final name.
func (b *build) write(name string, data []byte) error {
	return os.WriteFile(filepath.Join(b.dir, name), data, 0o644)
}

// writeHashed stores data as stem.<hash>.ext and records that ref (the
// reference in the sources, if any) now names it.
func (b *build) writeHashed(ref, stem, ext string, data []byte) (string, error) {
	name := stem + "." + contentHash(data) + ext
	if ref != "" {
		b.names[ref] = name
	}
	return name, b.write(name, data)
}

// replaceable refuses to replace a directory that is not a previous build.
func replaceable(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) || (err == nil && len(entries) == 0) {
		return nil
	}
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(dir, ManifestName)); err != nil {
		return fmt.Errorf("sitebuild: %s is not empty and holds no %s: not replacing it", dir, ManifestName)
	}
	return nil
}

// findRoot is the nearest directory above the working directory with a
// go.mod.
func findRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("sitebuild: no go.mod above the working directory; set Root")
		}
		dir = parent
	}
}

// writeManifest lists every file of the staging directory.
func (b *build) writeManifest(files []File) error {
	slices.SortFunc(files, func(a, c File) int { return strings.Compare(a.Name, c.Name) })
	b.manifest = &Manifest{Built: time.Now().UTC().Truncate(time.Second), Files: files}
	data, err := json.MarshalIndent(b.manifest, "", "  ")
	if err != nil {
		return err
	}
	return b.write(ManifestName, append(data, '\n'))
}
