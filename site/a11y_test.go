package site_test

// Accessibility: axe-core (node_modules/axe-core, a pinned dev
// dependency) injected into the page, on the main page at both sizes, the
// share dialog with its live org card, the compare view, and the live
// org's root, login, approval and error pages. No serious or critical
// violation may remain.

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

var axeSource = sync.OnceValues(func() (string, error) {
	b, err := os.ReadFile(filepath.Join(siteDir, "..", "node_modules", "axe-core", "axe.min.js"))
	return string(b), err
})

type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// axe runs axe-core on what the tab shows and fails the test on each
// serious or critical violation.
func (p *page) axe(what string) {
	p.t.Helper()
	src, err := axeSource()
	if err != nil {
		p.t.Fatalf("axe-core is not installed (npm ci): %v", err)
	}
	if !eval[bool](p, `typeof window.axe === 'object'`) {
		p.do(chromedp.Evaluate[chromedp.Void](src))
	}
	found, err := chromedp.Run(p.ctx, chromedp.Evaluate[[]axeViolation](`axe.run(document, {resultTypes: ['violations']}).then(r => r.violations
		.filter(v => v.impact === 'serious' || v.impact === 'critical')
		.map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 6).map(n => n.target.join(' ') + ': ' + (n.failureSummary || '').replace(/\s+/g, ' ').slice(0, 160))})))`, chromedp.EvalAwaitPromise))
	if err != nil {
		p.t.Fatalf("axe on %s: %v", what, err)
	}
	for _, v := range found {
		p.t.Errorf("axe, %s: %s (%s): %s\n\t%s", what, v.ID, v.Impact, v.Help, strings.Join(v.Nodes, "\n\t"))
	}
}

// TestAccessibility checks the playground's views and the live org's
// pages with axe-core.
func TestAccessibility(t *testing.T) {
	base := realServer(t)
	for _, vp := range []viewport{desktop, phone} {
		p := openAt(t, base, "/?preset=admin-approved-not-assigned", vp)
		p.waitFixes()
		p.axe("main page " + vp.name)
	}
	p := openAt(t, base, "/?preset=web-server-self-authorize", desktop)
	p.do(chromedp.Click(chromedp.ID("compare-toggle")))
	p.poll(`document.querySelectorAll('#compare-b-timeline li').length > 0`, "compare view")
	p.axe("compare view")
	p.do(chromedp.Click(chromedp.ID("compare-close")))
	p.do(chromedp.Click(chromedp.ID("share")))
	p.poll(`document.querySelector('#share-dialog').open && !document.querySelector('#live-card').hidden`, "the share dialog")
	p.axe("share dialog")
	p.shot("share-dialog")
	issuer := eval[string](p, `document.querySelector('#live-card .live-facts dd code').textContent`)
	login := eval[string](p, `document.querySelector('#live-card .open-login').href`)
	user := eval[[]string](p, `[...document.querySelectorAll('#live-card .live-table')[1].querySelector('tbody tr').querySelectorAll('code')].map(c => c.textContent)`)

	// The live org's pages, in a tab of their own.
	o := openOrgPage(t, base, issuer+"/")
	o.axe("live org root page")
	o.shot("liveorg-root")
	o.do(chromedp.Navigate(login))
	o.poll(`!!document.querySelector('#username')`, "the login page")
	if n := eval[int](o, `document.querySelectorAll('.users li').length`); n == 0 {
		t.Errorf("the login page lists no users")
	}
	o.checkFavicon("login page")
	o.axe("live org login page")
	o.shot("liveorg-login")
	o.do(chromedp.SetValue(chromedp.ID("username"), user[0]), chromedp.SetValue(chromedp.ID("password"), user[1]))
	o.navigateBy(`document.querySelector('form').submit()`, `document.querySelector('h1')?.textContent === 'Allow Access?'`, "the approval page")
	if got := eval[string](o, `document.querySelector('.scopes').textContent`); !strings.Contains(got, "Manage user data via APIs (api)") {
		t.Errorf("the approval page lists %q; want the scopes as Setup names them", got)
	}
	o.axe("live org approval page")
	o.shot("liveorg-approval")
	o.do(chromedp.Navigate(issuer + "/services/oauth2/authorize?response_type=code&client_id=nosuchapp&redirect_uri=" + url.QueryEscape("https://app.acme.test/oauth/callback")))
	o.poll(`document.querySelector('h1')?.textContent.includes('Error')`, "the error page")
	o.checkFavicon("error page")
	o.axe("live org error page")
	o.shot("liveorg-error")
}

// openOrgPage opens a live org page (no playground to wait for).
func openOrgPage(t *testing.T, base, u string) *page {
	t.Helper()
	p := openBlank(t, base)
	p.do(chromedp.Navigate(u))
	return p
}

// navigateBy runs a script that navigates (a form post) and waits for the
// page after it, through the navigation.
func (p *page) navigateBy(script, ready, what string) {
	p.t.Helper()
	p.do(chromedp.Evaluate[chromedp.Void](script))
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if ok, err := chromedp.Run(p.ctx, chromedp.Evaluate[bool](ready)); err == nil && ok {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	p.t.Fatalf("waiting for %s: %s", what, eval[string](p, `document.body.innerText.slice(0, 500)`))
}

// shot saves what the tab shows, whole, for people to look at.
func (p *page) shot(name string) {
	p.t.Helper()
	png, err := chromedp.Run(p.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.t.Fatalf("screenshot: %v", err)
	}
	writeShot(p.t, name, png)
}

// checkFavicon: the page names a favicon its CSP lets load (a refused one
// is a console error, which fails the test).
func (p *page) checkFavicon(what string) {
	p.t.Helper()
	if href := eval[string](p, `document.querySelector('link[rel=icon]')?.href ?? ''`); !strings.HasPrefix(href, "data:image/svg+xml,") {
		p.t.Errorf("the %s has no favicon (link rel=icon: %q)", what, href)
	}
}
