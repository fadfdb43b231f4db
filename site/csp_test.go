package site_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/caplab/caplab/site"
)

// cspTab is a tab that records every Content-Security-Policy violation the
// browser reports on its console, from before the first navigation on.
type cspTab struct {
	*page
	mu         sync.Mutex
	violations []string
	synced     chan string // console texts that start with syncPrefix
	n          int
}

const syncPrefix = "csp-sync-"

func newCSPTab(t *testing.T, base string) *cspTab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browserCtx)
	t.Cleanup(cancel)
	ctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancelT)
	c := &cspTab{page: &page{t: t, ctx: ctx, base: base}, synced: make(chan string, 16)}
	messages := chromedp.Console(ctx)
	go func() {
		for msg, err := range messages {
			if err != nil {
				return
			}
			switch {
			case strings.HasPrefix(msg.Text, syncPrefix):
				c.synced <- msg.Text
			case strings.Contains(msg.Text, "Content Security Policy"):
				c.mu.Lock()
				c.violations = append(c.violations, string(msg.Type)+": "+msg.Text)
				c.mu.Unlock()
			}
		}
	}()
	return c
}

// seen returns the violations reported so far. It first logs a marker and
// waits for it, so that every message the page wrote before is in.
func (c *cspTab) seen() []string {
	c.t.Helper()
	c.n++
	mark := fmt.Sprintf("%s%d", syncPrefix, c.n)
	c.do(chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`console.info(%q)`, mark)))
	for {
		select {
		case got := <-c.synced:
			if got != mark {
				continue
			}
			c.mu.Lock()
			defer c.mu.Unlock()
			return append([]string(nil), c.violations...)
		case <-c.ctx.Done():
			c.t.Fatalf("waiting for the console marker %s: %v", mark, c.ctx.Err())
		}
	}
}

// TestContentSecurityPolicy: the page works under the policy site.Handler
// sends, with no violation while it starts the engine, evaluates, draws a
// sequence diagram, marks a JSON error, compares and shares; and a
// violation would be seen (an inline style attribute is refused).
func TestContentSecurityPolicy(t *testing.T) {
	srv := newServer(t, false)
	resp, err := http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("Content-Security-Policy"); got != site.ContentSecurityPolicy {
		t.Fatalf("GET / Content-Security-Policy %q; want %q", got, site.ContentSecurityPolicy)
	}

	c := newCSPTab(t, srv.URL)
	c.do(chromedp.Navigate(srv.URL + "/"))
	c.waitReady()
	c.pickPreset("web-server-self-authorize")
	c.selectEvent(0)
	c.poll(`!!document.querySelector('#detail svg')`, "the sequence diagram")

	c.do(chromedp.Click(chromedp.ID("tab-json")))
	// The JSON editor (CodeMirror) styles itself from script: its sheet is
	// adopted (style-src allows that), not an inline <style>; its look
	// (the theme in lib/codemirror.js) is applied.
	text := c.jsonText("#json-panel")
	c.act("a JSON syntax error", c.jsonEdit("#json-panel", text+" ]]"))
	if n := eval[int](c.page, `document.querySelectorAll('#json-panel .cm-lintPoint-error, #json-panel .cm-lintRange-error').length`); n == 0 {
		t.Errorf("no inline error marker in the JSON editor")
	}
	if bg := eval[string](c.page, `getComputedStyle(document.querySelector('#json-panel .cm-gutters')).backgroundColor`); bg != "rgb(246, 247, 249)" {
		t.Errorf("the editor's gutter has background %q; want the theme's rgb(246, 247, 249) (are CodeMirror's styles refused?)", bg)
	}
	if n := eval[int](c.page, `document.querySelectorAll('style').length`); n != 0 {
		t.Errorf("the page has %d <style> elements; the policy refuses them", n)
	}
	c.act("the JSON fixed", c.jsonEdit("#json-panel", text))

	c.do(chromedp.Click(chromedp.ID("compare-toggle")))
	c.poll(`document.querySelectorAll('#compare-b-timeline li').length > 0`, "the compare view")
	c.do(chromedp.Click(chromedp.ID("share")))
	c.poll(`document.querySelector('#share-dialog').open && document.querySelector('#share-link').value !== ''`, "the share dialog")
	if v := c.seen(); len(v) > 0 {
		t.Errorf("the page broke its Content-Security-Policy %d times:\n%s", len(v), strings.Join(v, "\n"))
	}

	// The control: an inline style attribute is refused and reported, so
	// the silence above means something.
	ctl := newCSPTab(t, srv.URL)
	ctl.do(chromedp.Navigate(srv.URL + "/"))
	ctl.waitReady()
	ctl.do(chromedp.Evaluate[chromedp.Void](`document.body.setAttribute('style', 'outline: 3px solid red')`))
	if v := ctl.seen(); len(v) == 0 {
		t.Errorf("an inline style attribute was not reported as a violation: is the policy enforced?")
	}
}
