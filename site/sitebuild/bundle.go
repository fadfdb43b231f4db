package sitebuild

import (
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/evanw/esbuild/pkg/api"

	"github.com/caplab/caplab/site"
)

// jsTarget is the oldest JavaScript the bundle may use: what the
// playground's browsers (evergreen Chromium, Firefox, Safari 16+) run.
const jsTarget = api.ES2022

// compileHint is V8's explicit compile hint for a whole file (Chromium
// 136+; other engines read a comment): compile every function eagerly,
// while the file streams in. On the throttled first load of
// scripts/site-bench the main thread's lazy compiling (about 100 ms)
// moved to the streaming thread and the first result came about 110 ms
// sooner (medians of 10 loads, twice).
const compileHint = "//# allFunctionsCalledOnLoad\n"

// bundle bundles app.js and everything it imports (site/lib, CodeMirror
// from node_modules) with esbuild: minified, split into the entry and the
// chunks it imports lazily (the JSON editor) or shares, each named by its
// content hash.
func (b *build) bundle() error {
	res := api.Build(api.BuildOptions{
		EntryPoints:       []string{filepath.Join(b.o.Src, "app.js")},
		Bundle:            true,
		Splitting:         true,
		Format:            api.FormatESModule,
		Target:            jsTarget,
		MinifyWhitespace:  true,
		MinifyIdentifiers: true,
		MinifySyntax:      true,
		Charset:           api.CharsetUTF8,
		LegalComments:     api.LegalCommentsEndOfFile,
		EntryNames:        "[name].[hash]",
		ChunkNames:        "[name].[hash]",
		Outdir:            b.dir,
		AbsWorkingDir:     b.o.Root,
		NodePaths:         []string{filepath.Join(b.o.Root, "node_modules")},
		Metafile:          true,
		Write:             false,
		LogLevel:          api.LogLevelSilent,
		Plugins:           []api.Plugin{styleModCSP},
	})
	if len(res.Errors) > 0 {
		var msgs []string
		for _, e := range res.Errors {
			where := ""
			if e.Location != nil {
				where = fmt.Sprintf("%s:%d:%d: ", e.Location.File, e.Location.Line, e.Location.Column)
			}
			msgs = append(msgs, where+e.Text)
		}
		return fmt.Errorf("esbuild: %s (are the npm packages installed? npm ci)", strings.Join(msgs, "; "))
	}
	var meta struct {
		Outputs map[string]struct {
			EntryPoint string `json:"entryPoint"`
			Imports    []struct {
				Path string `json:"path"`
				Kind string `json:"kind"`
			} `json:"imports"`
		} `json:"outputs"`
	}
	if err := json.Unmarshal([]byte(res.Metafile), &meta); err != nil {
		return err
	}
	entry, err := filepath.Rel(b.o.Root, filepath.Join(b.o.Src, "app.js"))
	if err != nil {
		return err
	}
	entryOut := ""
	for out, o := range meta.Outputs {
		// Lazily imported chunks have an entry point too: their own file.
		if o.EntryPoint != filepath.ToSlash(entry) {
			continue
		}
		entryOut = filepath.Join(b.o.Root, filepath.FromSlash(out))
		for _, imp := range o.Imports {
			if imp.Kind == "import-statement" {
				b.preloads = append(b.preloads, path.Base(imp.Path))
			}
		}
	}
	for _, f := range res.OutputFiles {
		name, err := filepath.Rel(b.dir, f.Path)
		if err != nil || strings.ContainsRune(name, filepath.Separator) || !site.IsHashed(name) {
			return fmt.Errorf("esbuild wrote %s: want a hashed name in the output directory", f.Path)
		}
		if f.Path != entryOut {
			if err := b.write(name, f.Contents); err != nil {
				return err
			}
			continue
		}
		// The entry runs at once: compileHint has Chromium compile its
		// functions on the thread that streams it in, not one by one on the
		// main thread as the first result calls them. Nothing imports the
		// entry, so it is renamed for its new content.
		if b.names["/app.js"], err = b.writeHashed("", "app", ".js", append([]byte(compileHint), f.Contents...)); err != nil {
			return err
		}
	}
	if b.names["/app.js"] == "" {
		return fmt.Errorf("esbuild wrote no entry for app.js")
	}
	return nil
}

// style minifies style.css.
func (b *build) style() error {
	src, err := os.ReadFile(filepath.Join(b.o.Src, "style.css"))
	if err != nil {
		return err
	}
	res := api.Transform(string(src), api.TransformOptions{Loader: api.LoaderCSS, MinifyWhitespace: true, MinifySyntax: true, Charset: api.CharsetUTF8})
	if len(res.Errors) > 0 {
		return fmt.Errorf("style.css: %s", res.Errors[0].Text)
	}
	_, err = b.writeHashed("/style.css", "style", ".css", res.Code)
	return err
}

// styleModCSP makes CodeMirror's style sheets work under the page's
// Content-Security-Policy (style-src 'self'). style-mod, which CodeMirror
// uses for its themes, writes a <style> element into a document (refused:
// it is inline style) and uses constructed, adopted style sheets only in
// shadow roots. This patch makes it adopt its sheet into the document too
// (Chrome 73+, Firefox 101+, Safari 16.4+), which CSP allows. Adopted
// sheets come after the page's in the cascade: the editor's own look is an
// EditorView.theme (lib/codemirror.js), not style.css. The build fails if
// a new style-mod no longer has the line, rather than ship unstyled.
var styleModCSP = api.Plugin{
	Name: "style-mod-csp",
	Setup: func(pb api.PluginBuild) {
		pb.OnLoad(api.OnLoadOptions{Filter: `[\\/]style-mod[\\/]src[\\/]style-mod\.js$`}, func(a api.OnLoadArgs) (api.OnLoadResult, error) {
			src, err := os.ReadFile(a.Path)
			if err != nil {
				return api.OnLoadResult{}, err
			}
			const from = "if (!root.head && root.adoptedStyleSheets && win.CSSStyleSheet) {"
			const to = "if (root.adoptedStyleSheets && win.CSSStyleSheet) {"
			if n := strings.Count(string(src), from); n != 1 {
				return api.OnLoadResult{}, fmt.Errorf("%s: the line this build patches for the Content-Security-Policy is there %d times; want once (see styleModCSP)", a.Path, n)
			}
			js := strings.Replace(string(src), from, to, 1)
			return api.OnLoadResult{Contents: &js, Loader: api.LoaderJS}, nil
		})
	},
}
