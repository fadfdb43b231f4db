package site_test

// Browser tests of issue 14: the answer first, Apply where it was clicked,
// the live org one click away, findable and linkable lessons, and the
// defects it lists, at 1440×900 and 390×844.

import (
	"bytes"
	"compress/flate"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/caplab/caplab/policy"
)

// viewport is a window size the issue measured the page at.
type viewport struct {
	name          string
	width, height int64
	mobile        bool
}

var (
	desktop = viewport{"1440x900", 1440, 900, false}
	phone   = viewport{"390x844", 390, 844, true}
)

// openAt opens path in a new tab at a viewport size (set before the page
// loads, as on a phone) and waits for the first result. before, when set,
// runs in the page before its own scripts.
func openAt(t testing.TB, base, path string, vp viewport, before ...string) *page {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browserCtx)
	t.Cleanup(cancel)
	ctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancelT)
	p := &page{t: t, ctx: ctx, base: base}
	p.listenConsole()
	opts := []chromedp.EmulateViewportOption{chromedp.EmulateScale(1)}
	if vp.mobile {
		opts = []chromedp.EmulateViewportOption{chromedp.EmulateScale(2), chromedp.EmulateMobile}
	}
	p.do(chromedp.EmulateViewport(vp.width, vp.height, opts...))
	for _, src := range before {
		if _, err := chromedp.Call(ctx, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: src}); err != nil {
			t.Fatal(err)
		}
	}
	p.do(chromedp.Navigate(base + path))
	p.waitReady()
	t.Cleanup(p.checkClean)
	return p
}

// openBlank opens a tab that records its console, on nothing yet.
func openBlank(t testing.TB, base string) *page {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browserCtx)
	t.Cleanup(cancel)
	ctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancelT)
	p := &page{t: t, ctx: ctx, base: base}
	p.listenConsole()
	t.Cleanup(p.checkClean)
	return p
}

// waitFixes waits for the verified fixes of the denied events.
func (p *page) waitFixes() {
	p.t.Helper()
	p.poll(`document.body.dataset.fixesGen === String(window.__caplab.gen)`, "the verified fixes")
}

func (p *page) text(sel string) string {
	p.t.Helper()
	return eval[string](p, fmt.Sprintf(`document.querySelector(%q)?.textContent ?? ''`, sel))
}

// active describes the focused element.
func (p *page) active() string {
	p.t.Helper()
	return eval[string](p, `(e => e === document.body ? 'body' : e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + ' ' + (e.dataset.focusKey || e.dataset.ptr || e.textContent.trim().slice(0, 40)))(document.activeElement)`)
}

func firstDenied(res *policy.Result) int {
	return slices.IndexFunc(res.Results, func(r policy.EventResult) bool { return r.Outcome == policy.Denied })
}

func failingStep(r policy.EventResult) policy.TraceStep {
	for _, s := range r.Trace {
		if s.Outcome == policy.StepFail {
			return s
		}
	}
	return r.Trace[len(r.Trace)-1]
}

// TestAnswerAboveTheFold: opened on a lesson whose first event is denied,
// the verdict, the rule that decided it and the top fix with Apply are on
// the first screen at both sizes. (Before: at 1440×900 the fix started at
// y=963 and the reason at y=1638; on a phone at 1286 and 2344.)
func TestAnswerAboveTheFold(t *testing.T) {
	srv := newServer(t, false)
	for _, vp := range []viewport{desktop, phone} {
		t.Run(vp.name, func(t *testing.T) {
			p := openAt(t, srv.URL, "/?preset=admin-approved-not-assigned", vp)
			p.waitFixes()
			p.do(chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`))
			pos := eval[map[string]float64](p, `(() => {
				const b = (s) => document.querySelector(s)?.getBoundingClientRect().bottom ?? -1;
				return {verdict: b('#verdict'), reason: b('#reason'), fix: b('#answer .apply'), height: innerHeight};
			})()`)
			for _, what := range []string{"verdict", "reason", "fix"} {
				if y := pos[what]; y <= 0 || y > pos["height"] {
					t.Errorf("the %s ends at y=%.0f; want it on the first %.0fpx", what, y, pos["height"])
				}
			}
			t.Logf("%s: verdict ends at y=%.0f, reason at %.0f, fix (Apply) at %.0f of %.0f", vp.name, pos["verdict"], pos["reason"], pos["fix"], pos["height"])
			png, err := chromedp.Run(p.ctx, chromedp.CaptureScreenshot())
			if err != nil {
				t.Fatal(err)
			}
			writeShot(t, "first-screen-"+vp.name, png)
		})
	}
}

// TestAnswerCard: a scenario opens on its first denied event; one card
// gives the error once, the deciding rule in Setup's words with a link to
// its setting in the form, and the top verified fix with Apply and a link
// to the control it changes; the passing checks are folded.
func TestAnswerCard(t *testing.T) {
	srv := newServer(t, false)
	const name = "web-server-self-authorize" // its first denied event is the fifth
	p := openAt(t, srv.URL, "/?preset="+name, desktop)
	doc, _ := policy.Preset(name)
	want := native(t, doc)
	ev := firstDenied(want)
	if ev <= 0 {
		t.Fatalf("%s: first denied event %d; the test needs one after the first", name, ev)
	}
	if got := eval[string](p, `document.querySelector('#timeline li.selected')?.dataset.event ?? ''`); got != fmt.Sprint(ev) {
		t.Errorf("the page opened on event %s; want the first denied one, %d", got, ev+1)
	}
	r := want.Results[ev]
	step := failingStep(r)
	if got := p.text("#answer .verdict"); got != r.Error+" "+r.ErrorDescription {
		t.Errorf("verdict %q; want %q", got, r.Error+" "+r.ErrorDescription)
	}
	if got := p.text("#reason"); got != step.Because {
		t.Errorf("reason %q; want the deciding step's %q", got, step.Because)
	}
	results := eval[string](p, `document.querySelector('#results').innerText`)
	if n := strings.Count(results, r.ErrorDescription); n != 1 {
		t.Errorf("the error description %q appears %d times in the results; want once", r.ErrorDescription, n)
	}
	passed := 0
	for _, s := range r.Trace {
		if s.Outcome == policy.StepPass {
			passed++
		}
	}
	if got := p.text("#detail .passed > summary .passed-text"); !strings.HasPrefix(got, fmt.Sprintf("%d checks passed", passed)) {
		t.Errorf("folded checks %q; want %q", got, fmt.Sprintf("%d checks passed…", passed))
	}
	if eval[bool](p, `document.querySelector('#detail .passed').open`) {
		t.Errorf("the passing checks are not folded")
	}
	// The setting responsible, in the form.
	ptr := eval[string](p, `document.querySelector('#answer .reason .setting-link')?.dataset.ptr ?? ''`)
	if ptr == "" || (step.Setting != "" && ptr != step.Setting) {
		t.Fatalf("the reason links to %q; want the deciding step's setting %q", ptr, step.Setting)
	}
	p.do(chromedp.Click(chromedp.CSS(`#answer .reason .setting-link`)))
	if got := eval[string](p, `(e => e.closest('[data-ptr],[data-field]')?.dataset.ptr ?? e.closest('[data-field]')?.dataset.field ?? '')(document.activeElement)`); got != ptr {
		t.Errorf("the setting link focused %q; want the form control of %s", p.active(), ptr)
	}

	// A denied event with fixes: the top one in the card.
	const fixed = "admin-approved-not-assigned"
	p.pickPreset(fixed)
	p.waitFixes()
	doc, _ = policy.Preset(fixed)
	want = native(t, doc)
	top := want.Results[firstDenied(want)].Fixes[0]
	if got := p.text("#answer .fix-summary"); got != top.Summary {
		t.Errorf("top fix %q; want %q", got, top.Summary)
	}
	fixPtr := strings.TrimSuffix(top.Patch[0].Path, "/-")
	if got := eval[string](p, `document.querySelector('#answer .fix-link')?.dataset.ptr ?? ''`); got != fixPtr {
		t.Errorf("the fix links to %q; want %q", got, fixPtr)
	}
	p.do(chromedp.Click(chromedp.CSS(`#answer .fix-link`)))
	if got := eval[string](p, `document.activeElement.dataset.ptr ?? ''`); got != fixPtr {
		t.Errorf("the fix link focused %s; want the form control of %s", p.active(), fixPtr)
	}
}

// checkDecidingLinks: the deciding step of every denied event of the
// scenario shown links to a form control, also for settings the scenario
// does not have yet (an app to install, a list to add to). TestPresets
// runs it on every preset.
func checkDecidingLinks(p *page, name string) {
	p.t.Helper()
	type link struct {
		Event int    `json:"event"`
		Ptr   string `json:"ptr"`
		Found bool   `json:"found"`
		Label string `json:"label"`
	}
	selected := eval[string](p, `document.querySelector('#timeline li.selected')?.dataset.event ?? ''`)
	links := eval[[]link](p, `[...document.querySelectorAll('#timeline li[data-outcome="denied"]')].map(li => {
		li.querySelector('button').click();
		const b = document.querySelector('#answer .reason .setting-link');
		const ptr = b?.dataset.ptr ?? '';
		const q = CSS.escape(ptr);
		return {event: +li.dataset.event, ptr, label: b?.textContent ?? '',
			found: !!ptr && !!document.querySelector('#form-panel [data-ptr="' + q + '"], #form-panel [data-field="' + q + '"]')};
	})`)
	for _, l := range links {
		if !l.Found {
			p.t.Errorf("%s event %d: the deciding step links to %q (%q), which has no form control", name, l.Event+1, l.Ptr, l.Label)
		}
	}
	if selected != "" {
		p.do(chromedp.Click(chromedp.CSS(fmt.Sprintf(`#timeline li[data-event=%q] button`, selected))))
	}
}

// TestApplyInPlace: Apply answers where it was clicked ("Event 1: DENIED →
// GRANTED", with Undo), keeps the focus there, marks what changed in the
// form, and words the lesson's expectation kindly; Undo goes back.
func TestApplyInPlace(t *testing.T) {
	srv := newServer(t, false)
	const name = "admin-approved-not-assigned" // its lesson expects the denial
	p := openAt(t, srv.URL, "/?preset="+name, desktop)
	p.waitFixes()
	doc, _ := policy.Preset(name)
	want := native(t, doc)
	fix := want.Results[0].Fixes[0]
	p.act("apply", chromedp.Click(chromedp.CSS(`#answer .apply`)))
	if got := p.text("#answer .applied-change"); got != "Event 1: DENIED → GRANTED" {
		t.Errorf("the card says %q after Apply; want %q", got, "Event 1: DENIED → GRANTED")
	}
	if !eval[bool](p, `!!document.querySelector('#answer .applied .undo')`) {
		t.Errorf("no Undo beside the applied fix")
	}
	if !eval[bool](p, `!!document.activeElement.closest('#answer .applied')`) {
		t.Errorf("after Apply the focus is on %s; want the answer card's result", p.active())
	}
	ptr := strings.TrimSuffix(fix.Patch[0].Path, "/-")
	if !eval[bool](p, fmt.Sprintf(`!![...document.querySelectorAll('#form-panel .changed')].find(e => e.matches('[data-field=%q]') || e.querySelector('[data-ptr=%q]'))`, ptr, ptr)) {
		t.Errorf("the form does not mark %s, which the fix changed", ptr)
	}
	p.do(chromedp.Click(chromedp.ID("tab-json")))
	p.poll(`document.querySelectorAll('#json-panel .json-changed').length > 0`, "the changed lines marked in the JSON")
	key := ptr[strings.LastIndex(ptr, "/")+1:]
	if marked := eval[string](p, `[...document.querySelectorAll('#json-panel .json-changed')].map(e => e.textContent).join('\n')`); !strings.Contains(marked, `"`+key+`"`) {
		t.Errorf("the JSON marks %q; want the line of %s, which the fix changed", marked, ptr)
	}
	p.do(chromedp.Click(chromedp.ID("tab-form")))
	if got, w := p.text("#answer .lesson-note"), "The lesson expected a denial; your change grants it."; got != w {
		t.Errorf("lesson note %q; want %q", got, w)
	}
	if results := eval[string](p, `document.querySelector('#results').innerText`); strings.Contains(strings.ToLower(results), "unexpected") {
		t.Errorf("the results call the granted event unexpected: %q", results)
	}
	p.act("undo", chromedp.Click(chromedp.CSS(`#answer .applied .undo`)))
	if got := p.timeline()[0].Outcome; got != policy.Denied {
		t.Errorf("after Undo event 1 is %s; want denied", got)
	}
	if !eval[bool](p, `document.activeElement.matches('#answer .apply')`) {
		t.Errorf("after Undo the focus is on %s; want the Apply button", p.active())
	}
}

// TestFocusStays: Enter on a timeline event and Apply in the fixes list
// keep the focus where it was, not on <body>.
func TestFocusStays(t *testing.T) {
	srv := newServer(t, false)
	p := openAt(t, srv.URL, "/?preset=admin-approved-not-assigned", desktop)
	p.do(chromedp.Focus(chromedp.CSS(`#timeline li[data-event="1"] button`)), chromedp.KeyEvent("\r"))
	p.poll(`document.querySelector('#timeline li.selected')?.dataset.event === '1'`, "event 2 to be selected")
	if !eval[bool](p, `document.activeElement === document.querySelector('#timeline li[data-event="1"] button')`) {
		t.Errorf("after Enter on event 2 the focus is on %s; want event 2's button", p.active())
	}
	p.waitFixes()
	p.act("apply from the list", chromedp.Click(chromedp.CSS(`#detail .apply[data-fix="0"]`)))
	if !eval[bool](p, `!!document.activeElement.closest('#detail .applied')`) {
		t.Errorf("after Apply in the fixes list the focus is on %s; want the result there", p.active())
	}
}

// TestAnnouncement: "Evaluated." and nothing after it.
func TestAnnouncement(t *testing.T) {
	srv := newServer(t, false)
	p := openAt(t, srv.URL, "/", desktop)
	g := p.gen()
	p.do(chromedp.KeyEvent("\r", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	p.waitGen(g, "Ctrl+Enter")
	if got := p.text("#announce"); got != "Evaluated." {
		t.Errorf("announcement %q; want %q", got, "Evaluated.")
	}
}

// contrastJS computes the contrast ratio (WCAG) of an element's text
// against its background.
const contrastJS = `(e => {
	const rgb = (c) => c.match(/[\d.]+/g).slice(0, 3).map(Number);
	const lum = (c) => { const [r, g, b] = rgb(c).map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; }); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
	const s = getComputedStyle(e), a = lum(s.color), b = lum(s.backgroundColor);
	return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
})`

// TestShareButtonHover: the Share label stays readable under the mouse.
func TestShareButtonHover(t *testing.T) {
	srv := newServer(t, false)
	p := openAt(t, srv.URL, "/", desktop)
	box := eval[[]float64](p, `(r => [r.left + r.width / 2, r.top + r.height / 2])(document.querySelector('#share').getBoundingClientRect())`)
	p.do(chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, box[0], box[1]))
	p.poll(`document.querySelector('#share').matches(':hover')`, "the mouse over Share")
	if ratio := eval[float64](p, contrastJS+`(document.querySelector('#share'))`); ratio < 4.5 {
		t.Errorf("the hovered Share label has a contrast of %.2f:1 with its background; want at least 4.5:1", ratio)
	}
}

// TestPhoneLayout: at 390×844, nothing is wider than the screen, the page
// scrolls as one (no scroll box inside it but the code editors), and
// Compare keeps its selector on screen and each heading with its side.
func TestPhoneLayout(t *testing.T) {
	srv := newServer(t, false)
	p := openAt(t, srv.URL, "/?preset=isv-vs-subscriber-policies", phone)
	p.do(chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('#form-panel details').forEach(d => d.open = true)`))
	if wide := eval[[]string](p, `[...document.querySelectorAll('#form-panel fieldset')].filter(f => f.getBoundingClientRect().right > innerWidth + 0.5).map(f => f.querySelector('legend')?.textContent + ' (' + Math.round(f.getBoundingClientRect().width) + 'px)')`); len(wide) > 0 {
		t.Errorf("fieldsets wider than the %dpx screen: %v", phone.width, wide)
	}
	if w := eval[[]int](p, `[document.documentElement.scrollWidth, innerWidth]`); w[0] > w[1] {
		t.Errorf("the page is %dpx wide on a %dpx screen", w[0], w[1])
	}
	const nested = `[...document.querySelectorAll('body *')].filter(e => {
		if (e.closest('.cm-editor, .code, textarea, .finder-results, dialog')) return false;
		const s = getComputedStyle(e);
		const y = /(auto|scroll)/.test(s.overflowY) && e.scrollHeight > e.clientHeight + 1;
		const x = /(auto|scroll)/.test(s.overflowX) && e.scrollWidth > e.clientWidth + 1;
		return y || x;
	}).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + '.' + [...e.classList].join('.') + ' in ' + (e.closest('[id]')?.id ?? ''))`
	if boxes := eval[[]string](p, nested); len(boxes) > 0 {
		t.Errorf("scroll boxes inside the page: %v", boxes)
	}
	p.do(chromedp.Click(chromedp.ID("compare-toggle")))
	p.poll(`!document.querySelector('#compare').hidden && document.querySelectorAll('#compare-b-timeline li').length > 0`, "compare view")
	if right := eval[float64](p, `document.querySelector('#compare-source').getBoundingClientRect().right`); right > float64(phone.width) {
		t.Errorf("Compare's B selector ends at x=%.0f, off the %dpx screen", right, phone.width)
	}
	order := eval[map[string]float64](p, `(() => { const r = (s) => document.querySelector(s).getBoundingClientRect();
		return {aHead: r('#compare-a-title').bottom, aTimeline: r('#compare-a-timeline').top, aEnd: r('#compare-a-trace').bottom, bHead: r('#compare-b-title').top, bTimeline: r('#compare-b-timeline').top}; })()`)
	if !(order["aHead"] <= order["aTimeline"] && order["aEnd"] <= order["bHead"] && order["bHead"] <= order["bTimeline"]) {
		t.Errorf("Compare on a phone: A's heading ends at %.0f, its timeline starts at %.0f and its trace ends at %.0f; B's heading starts at %.0f and its timeline at %.0f: each heading must come right before its own side",
			order["aHead"], order["aTimeline"], order["aEnd"], order["bHead"], order["bTimeline"])
	}
	if boxes := eval[[]string](p, nested); len(boxes) > 0 {
		t.Errorf("scroll boxes inside the compare view: %v", boxes)
	}
	png, _ := chromedp.Run(p.ctx, chromedp.FullScreenshot(100))
	writeShot(t, "phone-compare", png)
}

// fastTimers makes the page's message timers (1 to 10 s) fire after 50 ms,
// so a test sees what an 8-second message does without waiting for it; the
// test driver's own waits (30 s) keep their time.
const fastTimers = `{ const st = window.setTimeout; window.setTimeout = (f, ms, ...a) => st(f, ms > 1000 && ms <= 10000 ? 50 : ms, ...a); }`

// TestBadShareLink: an unknown /s/{id} says so until the reader dismisses
// it, and names the lesson shown instead.
func TestBadShareLink(t *testing.T) {
	srv := newServer(t, true)
	p := openAt(t, srv.URL, "/s/nosuchshare", desktop, fastTimers)
	time.Sleep(300 * time.Millisecond) // six times the longest timer
	shown := eval[string](p, `[...document.querySelectorAll('[role=alert], [role=status]')].filter(e => !e.hidden && e.offsetParent).map(e => e.textContent).join(' | ')`)
	if !strings.Contains(shown, "nosuchshare") || !strings.Contains(shown, "instead") {
		t.Errorf("the page shows %q; want the error about nosuchshare, still there, naming the lesson shown instead", shown)
	}
}

// TestEmptyScenario: a scenario with nothing in it gets a hint and the
// form can add a connected app and an event.
func TestEmptyScenario(t *testing.T) {
	srv := newServer(t, false)
	p := openAt(t, srv.URL, "/#s="+fragmentOf(t, `{"schemaVersion": 1, "orgs": [{"name": "Acme"}], "events": []}`), desktop)
	if got := p.text("#answer"); !strings.Contains(got, "no connected app and no events") {
		t.Errorf("an empty scenario shows %q; want a hint to add an app and an event", got)
	}
	p.act("add app", chromedp.Click(chromedp.CSS(`#answer .btn:not(.primary)`)), chromedp.Click(chromedp.CSS(`#form-panel [data-ptr="/apps"]`)))
	var s policy.Scenario
	if err := json.Unmarshal(p.scenarioJSON(), &s); err != nil || len(s.Apps) != 1 || s.Apps[0].Name == "" {
		t.Fatalf("after Add connected app the scenario is %s", p.scenarioJSON())
	}
	p.act("add event", chromedp.Click(chromedp.CSS(`#form-panel [data-ptr="/events"]`)))
	if n := len(p.timeline()); n != 1 {
		t.Errorf("after Add authorize the timeline has %d events; want 1", n)
	}
}

// fragmentOf is a scenario as a fragment link carries it (lib/share.js):
// deflate-raw, then base64url.
func fragmentOf(t testing.TB, doc string) string {
	t.Helper()
	var b bytes.Buffer
	w, err := flate.NewWriter(&b, flate.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(doc))
	w.Close()
	return base64.RawURLEncoding.EncodeToString(b.Bytes())
}

// TestSequenceLanes: a JWT bearer request has no browser lane, and no
// label is cut short.
func TestSequenceLanes(t *testing.T) {
	srv := newServer(t, false)
	p := openAt(t, srv.URL, "/?preset=jwt-bearer-pre-authorization#event=1", desktop)
	lanes := eval[[]string](p, `[...document.querySelectorAll('#detail .seq .seq-lane-name')].map(e => e.textContent)`)
	if !slices.Equal(lanes, []string{"Client app", "Salesforce"}) {
		t.Errorf("the JWT bearer diagram has lanes %v; want [Client app Salesforce]", lanes)
	}
	for _, preset := range []string{"jwt-bearer-pre-authorization", "relay-one-callback-two-orgs", "one-app-two-orgs-callbacks"} {
		p.pickPreset(preset)
		cut := eval[[][]string](p, `[...document.querySelectorAll('#timeline li button')].map(b => {
			b.click();
			return [...document.querySelectorAll('#detail .seq text')].map(e => e.textContent).filter(s => s.endsWith('…'));
		})`)
		for i, labels := range cut {
			if len(labels) > 0 {
				t.Errorf("%s event %d: labels cut short: %q", preset, i+1, labels)
			}
		}
	}
	// The diagram is as wide as its pane: a narrower window redraws it.
	viewBox := `document.querySelector('#detail .seq')?.getAttribute('viewBox') ?? ''`
	wide := eval[string](p, viewBox)
	p.do(chromedp.EmulateViewport(1000, desktop.height, chromedp.EmulateScale(1)))
	p.poll(fmt.Sprintf(`(%s) !== %q`, viewBox, wide), "the diagram redrawn for the narrower pane")
	if narrow := eval[string](p, viewBox); !strings.HasPrefix(wide, "0 0 720 ") || strings.HasPrefix(narrow, "0 0 720 ") {
		t.Errorf("the diagram's viewBox is %q at 1440 px and %q at 1000 px; want 720 wide, then narrower", wide, narrow)
	}
}

// TestFinder: pasting an error opens the lesson that ends in it, on the
// event that does; an empty search lists the lessons by error, and the
// picker groups them by flow, each group sorted by title.
func TestFinder(t *testing.T) {
	srv := newServer(t, false)
	p := openAt(t, srv.URL, "/", desktop)
	pasted := "https://app.acme.test/oauth/callback?error=OAUTH_APP_BLOCKED&error_description=this+app+is+blocked+by+admin&state=xyz"
	p.do(chromedp.Click(chromedp.ID("finder-input")), chromedp.SendKeys(chromedp.ID("finder-input"), pasted))
	p.poll(`!!document.querySelector('#finder-results .finder-hit')`, "search results")
	hit := eval[map[string]string](p, `(b => ({preset: b.dataset.preset, event: b.dataset.event}))(document.querySelector('#finder-results .finder-hit'))`)
	doc, _ := policy.Preset(hit["preset"])
	res := native(t, doc)
	var ev int
	fmt.Sscan(hit["event"], &ev)
	if ev < 1 || ev > len(res.Results) || res.Results[ev-1].Error != "OAUTH_APP_BLOCKED" {
		t.Fatalf("the first hit for the pasted error is %+v; want a lesson's event that answers OAUTH_APP_BLOCKED", hit)
	}
	p.act("open the hit", chromedp.Click(chromedp.CSS(`#finder-results .finder-hit`)))
	if got := eval[string](p, `document.body.dataset.preset + ' ' + document.querySelector('#timeline li.selected').dataset.event`); got != fmt.Sprintf("%s %d", hit["preset"], ev-1) {
		t.Errorf("the page shows %q; want preset %s on event %d", got, hit["preset"], ev)
	}
	// Empty: by error, sorted by title.
	p.do(chromedp.Evaluate[chromedp.Void](`(i => { i.value = ''; i.focus(); i.dispatchEvent(new Event('input')); })(document.querySelector('#finder-input'))`))
	groups := eval[map[string][]string](p, `Object.fromEntries([...document.querySelectorAll('#finder-results .finder-group')].map(g => [g.querySelector('h3').textContent, [...g.querySelectorAll('.hit-title')].map(e => e.textContent)]))`)
	if len(groups["OAUTH_APP_ACCESS_DENIED"]) == 0 {
		t.Errorf("the empty search lists no lesson under OAUTH_APP_ACCESS_DENIED: %v", groups)
	}
	for sym, titles := range groups {
		if !sortedByTitle(titles) {
			t.Errorf("lessons under %s are not sorted by title: %q", sym, titles)
		}
	}
	// The picker: by flow, by title.
	picker := eval[map[string][]string](p, `Object.fromEntries([...document.querySelectorAll('#preset optgroup')].map(g => [g.label, [...g.querySelectorAll('option')].map(o => o.textContent)]))`)
	if len(picker) < 3 {
		t.Errorf("the preset picker has %d groups; want them grouped by flow: %v", len(picker), picker)
	}
	n := 0
	for flow, titles := range picker {
		n += len(titles)
		if !sortedByTitle(titles) {
			t.Errorf("presets of %s are not sorted by title: %q", flow, titles)
		}
	}
	if n != len(policy.Presets()) {
		t.Errorf("the picker's groups hold %d presets; want all %d", n, len(policy.Presets()))
	}
}

// sortedByTitle: in alphabetical order, ignoring case, as a reader sorts.
func sortedByTitle(titles []string) bool {
	return slices.IsSortedFunc(titles, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
}

// TestDeepLinks: ?preset=NAME#event=N opens that lesson on that event, and
// the address follows what the page shows.
func TestDeepLinks(t *testing.T) {
	srv := newServer(t, false)
	p := openAt(t, srv.URL, "/?preset=blocked-app#event=3", desktop)
	if got := eval[string](p, `document.body.dataset.preset + ' ' + document.querySelector('#timeline li.selected').dataset.event`); got != "blocked-app 2" {
		t.Errorf("?preset=blocked-app#event=3 shows %q; want blocked-app on event 3", got)
	}
	p.selectEvent(1)
	if got := eval[string](p, `location.pathname + location.search + location.hash`); got != "/?preset=blocked-app#event=2" {
		t.Errorf("after selecting event 2 the address is %q", got)
	}
	p.pickPreset("pkce-required-missing")
	if got := eval[string](p, `location.search`); got != "?preset=pkce-required-missing" {
		t.Errorf("after picking a preset the address is %q", eval[string](p, `location.href`))
	}
	p.setField("/title", "Edited")
	if got := eval[string](p, `location.search`); got != "" {
		t.Errorf("an edited scenario still claims %q in the address", got)
	}
}

// TestSettingLabelsFromPartOfForm: before the form is drawn (the first
// result), a setting is named from the part of the form that holds it,
// drawn off the page alone. For every preset and every pointer the form
// holds (and one past each list), that name is the one the whole form
// gives.
func TestSettingLabelsFromPartOfForm(t *testing.T) {
	srv := newServer(t, false)
	p := openPage(t, srv.URL, "/")
	checked := 0
	for _, ps := range policy.Presets() {
		p.pickPreset(ps.Name)
		type pair struct {
			Ptr  string
			Form *struct {
				Label string
				Exact bool
			}
			Part *struct {
				Label string
				Exact bool
			}
		}
		got := eval[[]pair](p, `(() => {
			const ptrs = new Set();
			for (const el of document.querySelectorAll('#form-panel [data-ptr], #form-panel [data-field]')) ptrs.add(el.dataset.ptr ?? el.dataset.field);
			for (const ptr of [...ptrs]) ptrs.add(ptr + '/99/name');
			for (const extra of ['', '/apps', '/apps/7', '/orgs/7/users', '/events/0/use', '/title', 'not-a-pointer']) ptrs.add(extra);
			return [...ptrs].map((ptr) => ({ ptr, ...window.__caplab.labelsOf(ptr) }));
		})()`)
		if len(got) < 20 {
			t.Fatalf("%s: only %d pointers in the form", ps.Name, len(got))
		}
		for _, g := range got {
			form, part := "(none)", "(none)"
			if g.Form != nil {
				form = fmt.Sprintf("%s (exact %t)", g.Form.Label, g.Form.Exact)
			}
			if g.Part != nil {
				part = fmt.Sprintf("%s (exact %t)", g.Part.Label, g.Part.Exact)
			}
			if form != part {
				t.Errorf("%s: %s: part of the form names it %q; want %q (the whole form)", ps.Name, g.Ptr, part, form)
			}
			checked++
		}
	}
	t.Logf("%d pointers named alike", checked)
}
