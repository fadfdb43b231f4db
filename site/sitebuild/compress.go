package sitebuild

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/andybalholm/brotli"

	"github.com/caplab/caplab/site"
)

// brotliWindow is the brotli window (log2 of bytes): 16 MiB, brotli's
// largest standard window, which lets quality 11 see the whole module
// (a few hundred bytes smaller than the default 4 MiB).
const brotliWindow = 24

// compress writes name.br and name.gz beside every file that they make
// smaller, then the manifest.
func (b *build) compress() error {
	entries, err := os.ReadDir(b.dir)
	if err != nil {
		return err
	}
	files := make([]File, 0, len(entries))
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), ".") {
			files = append(files, File{Name: e.Name(), Immutable: site.IsHashed(e.Name())})
		}
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		sem   = make(chan struct{}, runtime.GOMAXPROCS(0))
	)
	for i := range files {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			if err := b.compressOne(&files[i]); err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if first != nil {
		return first
	}
	return b.writeManifest(files)
}

func (b *build) compressOne(f *File) error {
	p := filepath.Join(b.dir, f.Name)
	data, err := os.ReadFile(p)
	if err != nil {
		return err
	}
	f.Bytes = len(data)
	var br bytes.Buffer
	w := brotli.NewWriterOptions(&br, brotli.WriterOptions{Quality: brotli.BestCompression, LGWin: brotliWindow})
	if _, err := w.Write(data); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	var gz bytes.Buffer
	g, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	if _, err := g.Write(data); err != nil {
		return err
	}
	if err := g.Close(); err != nil {
		return err
	}
	if br.Len() < len(data) {
		f.Brotli = br.Len()
		if err := os.WriteFile(p+".br", br.Bytes(), 0o644); err != nil {
			return err
		}
	}
	if gz.Len() < len(data) {
		f.Gzip = gz.Len()
		if err := os.WriteFile(p+".gz", gz.Bytes(), 0o644); err != nil {
			return err
		}
	}
	return nil
}
