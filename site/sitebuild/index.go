package sitebuild

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// index writes index.html with every reference to an asset rewritten to
// its hashed name. Each reference must be in the source exactly once, so
// an edit that drops or renames one fails the build instead of shipping a
// page that loads nothing.
func (b *build) index() error {
	src, err := os.ReadFile(filepath.Join(b.o.Src, "index.html"))
	if err != nil {
		return err
	}
	html := string(src)
	preloads := ""
	for _, p := range b.preloads {
		preloads += fmt.Sprintf("\n<link rel=\"modulepreload\" href=\"/%s\">", p)
	}
	for _, r := range []struct{ from, to string }{
		{`href="/style.css"`, `href="/` + b.names["/style.css"] + `"`},
		{`src="/wasm_exec.js"`, `src="/` + b.names["/wasm_exec.js"] + `"`},
		{`content="/main.wasm"`, `content="/` + b.names["/main.wasm"] + `" data-bytes="` + strconv.Itoa(len(b.wasm)) + `"`},
		{`href="/boot.json"`, `href="/` + b.names["/boot.json"] + `"`},
		{`<script type="module" src="/app.js"></script>`, `<script type="module" src="/` + b.names["/app.js"] + `"></script>` + preloads},
		{`<script type="application/json" id="boot-first"></script>`, `<script type="application/json" id="boot-first">` + string(b.firstBoot) + `</script>`},
	} {
		if n := strings.Count(html, r.from); n != 1 {
			return fmt.Errorf("index.html has %s %d times; want once", r.from, n)
		}
		html = strings.Replace(html, r.from, r.to, 1)
	}
	return b.write("index.html", []byte(html))
}

// serviceWorker writes sw.js with the list of files to keep for offline
// use and a version that changes with them.
func (b *build) serviceWorker() error {
	src, err := os.ReadFile(filepath.Join(b.o.Src, "sw.js"))
	if err != nil {
		return err
	}
	entries, err := os.ReadDir(b.dir)
	if err != nil {
		return err
	}
	assets := []string{"/"}
	for _, e := range entries {
		if n := e.Name(); n != "index.html" && !strings.HasPrefix(n, ".") {
			assets = append(assets, "/"+n)
		}
	}
	slices.Sort(assets)
	list, err := json.Marshal(assets)
	if err != nil {
		return err
	}
	version := contentHash(list)
	js := string(src)
	for _, r := range []struct{ from, to string }{
		{"const ASSETS = [];", "const ASSETS = " + string(list) + ";"},
		{"const VERSION = 'dev';", "const VERSION = '" + version + "';"},
	} {
		if n := strings.Count(js, r.from); n != 1 {
			return fmt.Errorf("sw.js has %q %d times; want once", r.from, n)
		}
		js = strings.Replace(js, r.from, r.to, 1)
	}
	return b.write("sw.js", []byte(js))
}
