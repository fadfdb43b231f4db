package sitebuild

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/caplab/caplab/policy"
	"github.com/caplab/caplab/wasm/protocol"
)

// Boot is boot.<hash>.json: what the page needs before the engine runs,
// computed at build time by the same engine source that main.wasm is
// compiled from, through the same protocol. The page shows the answer for
// the preset it opens at once (DefaultPreset's from FirstBoot, in
// index.html), and the engine takes over when it runs.
// Only DefaultPreset's answers are in it (the page opens that one unless
// the address names another); each other preset's are in a file of their
// own, answers-<name>.<hash>.json (Files), fetched when the address names
// it.
type Boot struct {
	Version   int                        `json:"version"`   // protocol version
	Info      json.RawMessage            `json:"info"`      // the info op's result
	Presets   json.RawMessage            `json:"presets"`   // the presets op's result
	Scenarios map[string]json.RawMessage `json:"scenarios"` // the preset op's result, by preset name
	Answers   map[string]BootAnswers     `json:"answers"`   // DefaultPreset's
	Files     map[string]string          `json:"files"`     // every other preset's answers: name → "/answers-<name>.<hash>.json"
}

// BootAnswers are the engine's two answers to a preset's scenario, as the
// page asks for them: evaluate without fixes, then fixes.
type BootAnswers struct {
	Result json.RawMessage `json:"result"`
	Fixes  json.RawMessage `json:"fixes"`
}

// DefaultPreset is the preset the page opens when the address names none
// (app.js's DEFAULT_PRESET; a test keeps the two equal).
const DefaultPreset = "web-server-self-authorize"

// bootClock is the clock of the build-time answers. Every preset sets its
// own "now", so it is never read; a fixed value keeps the file (and its
// hash) the same for the same sources.
var bootClock = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// ComputeBoot asks the engine, natively, what the page would ask it:
// the boot file with every preset's answers in Answers (Build moves all but
// DefaultPreset's to files of their own).
func ComputeBoot() (*Boot, error) {
	bt := &Boot{Version: 1, Scenarios: map[string]json.RawMessage{}, Answers: map[string]BootAnswers{}, Files: map[string]string{}}
	var err error
	if bt.Info, err = ask(map[string]any{"op": "info"}); err != nil {
		return nil, err
	}
	if bt.Presets, err = ask(map[string]any{"op": "presets"}); err != nil {
		return nil, err
	}
	for _, p := range policy.Presets() {
		scenario, err := ask(map[string]any{"op": "preset", "name": p.Name})
		if err != nil {
			return nil, err
		}
		var a BootAnswers
		if a.Result, err = ask(map[string]any{"op": "evaluate", "scenario": scenario, "noFixes": true}); err != nil {
			return nil, fmt.Errorf("preset %s: %w", p.Name, err)
		}
		if a.Fixes, err = ask(map[string]any{"op": "fixes", "scenario": scenario}); err != nil {
			return nil, fmt.Errorf("preset %s: %w", p.Name, err)
		}
		bt.Scenarios[p.Name] = scenario
		bt.Answers[p.Name] = a
	}
	if _, ok := bt.Answers[DefaultPreset]; !ok {
		return nil, fmt.Errorf("there is no preset %s (DefaultPreset)", DefaultPreset)
	}
	return bt, nil
}

// ask sends one request of the page's protocol and returns its result.
func ask(req map[string]any) (json.RawMessage, error) {
	req["version"] = 1
	in, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	var resp struct {
		OK     bool              `json:"ok"`
		Result json.RawMessage   `json:"result"`
		Errors []json.RawMessage `json:"errors"`
	}
	out := protocol.Handle(in, bootClock)
	if err := json.Unmarshal(out, &resp); err != nil {
		return nil, err
	}
	if !resp.OK {
		return nil, fmt.Errorf("the engine refused %s: %s", req["op"], out)
	}
	return resp.Result, nil
}

// boot writes boot.<hash>.json and answers-<name>.<hash>.json.
func (b *build) boot() error {
	bt, err := ComputeBoot()
	if err != nil {
		return err
	}
	for name, a := range bt.Answers {
		if name == DefaultPreset {
			continue
		}
		data, err := json.Marshal(a)
		if err != nil {
			return err
		}
		file, err := b.writeHashed("", "answers-"+name, ".json", data)
		if err != nil {
			return err
		}
		bt.Files[name] = "/" + file
		delete(bt.Answers, name)
	}
	data, err := json.Marshal(bt)
	if err != nil {
		return err
	}
	if _, err = b.writeHashed("/boot.json", "boot", ".json", data); err != nil {
		return err
	}
	// json.Marshal writes <, > and & as \u escapes, so the text cannot end
	// the <script> element it goes in.
	b.firstBoot, err = json.Marshal(FirstBoot{Version: bt.Version, Info: bt.Info,
		Scenarios: map[string]json.RawMessage{DefaultPreset: bt.Scenarios[DefaultPreset]},
		Answers:   map[string]BootAnswers{DefaultPreset: bt.Answers[DefaultPreset]}})
	return err
}

// FirstBoot is the part of Boot that index.html carries itself, in
// <script type="application/json" id="boot-first">: the engine's info and
// DefaultPreset's scenario and answers. With it the page draws its first
// result in the first frame, before any request of its own; the rest
// (every preset, for the pickers) comes with boot.<hash>.json.
type FirstBoot struct {
	Version   int                        `json:"version"`
	Info      json.RawMessage            `json:"info"`
	Scenarios map[string]json.RawMessage `json:"scenarios"`
	Answers   map[string]BootAnswers     `json:"answers"`
}
