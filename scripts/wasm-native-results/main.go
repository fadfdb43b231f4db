// Command wasm-native-results writes what the native engine answers for
// every preset, with a fixed clock, so that scripts/wasm-node-test.mjs can
// check that the WebAssembly build answers exactly the same.
//
//	go run ./scripts/wasm-native-results [-o build/wasm-native-results.json]
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/caplab/caplab/policy"
)

// Now is the clock both sides are given (it matters for scenarios without
// their own "now").
const Now = "2026-01-15T12:00:00Z"

type Case struct {
	Name     string              `json:"name"`
	Scenario string              `json:"scenario"` // the document text sent as is
	Result   *policy.Result      `json:"result,omitempty"`
	Errors   []policy.FieldError `json:"errors,omitempty"`
}

type DiffCase struct {
	NameA string            `json:"nameA"`
	NameB string            `json:"nameB"`
	TextA string            `json:"a"`
	TextB string            `json:"b"`
	Diff  policy.DiffReport `json:"diff"`
}

type Output struct {
	Now           string              `json:"now"`
	EngineVersion string              `json:"engineVersion"`
	Presets       []policy.PresetInfo `json:"presets"`
	Cases         []Case              `json:"cases"`
	Lint          []Case              `json:"lint"`
	Diffs         []DiffCase          `json:"diffs"`
}

func main() {
	out := flag.String("o", filepath.Join("build", "wasm-native-results.json"), "output file")
	flag.Parse()
	if err := run(*out); err != nil {
		fmt.Fprintln(os.Stderr, "wasm-native-results:", err)
		os.Exit(1)
	}
}

func run(path string) error {
	now, _ := time.Parse(time.RFC3339, Now)
	opt := policy.Options{Now: now}
	o := Output{Now: Now, EngineVersion: policy.EngineVersion, Presets: policy.Presets()}
	var texts []string
	for _, p := range o.Presets {
		doc, ok := policy.Preset(p.Name)
		if !ok {
			return fmt.Errorf("preset %s listed but missing", p.Name)
		}
		texts = append(texts, string(doc))
		res, err := policy.EvaluateJSON(doc, opt)
		if err != nil {
			return fmt.Errorf("preset %s: %v", p.Name, err)
		}
		o.Cases = append(o.Cases, Case{Name: p.Name, Scenario: string(doc), Result: res})
		// The same scenario without its own clock: the engine uses Now.
		var m map[string]any
		if err := json.Unmarshal(doc, &m); err != nil {
			return err
		}
		delete(m, "now")
		noClock, _ := json.MarshalIndent(m, "", "  ")
		res, err = policy.EvaluateJSON(noClock, opt)
		if err != nil {
			return fmt.Errorf("preset %s without now: %v", p.Name, err)
		}
		o.Cases = append(o.Cases, Case{Name: p.Name + " (no now)", Scenario: string(noClock), Result: res})
	}
	for i, text := range []string{
		"{\n  \"schemaVersion\": 1,\n  \"orgs\": [}\n",
		"{\n  \"schemaVersion\": 2,\n  \"orgs\": [{\"name\": \"A\", \"type\": \"moon\"}],\n  \"events\": [{\"do\": \"fly\"}]\n}",
		"{\"schemaVersion\": 1, \"orgs\": [{\"name\": \"Ünïcødé\", \"users\": [{\"username\": \"a@b.test\", \"profile\": \"missing\"}]}], \"events\": [], \"extra\": 1}",
		"[]",
	} {
		o.Lint = append(o.Lint, Case{Name: fmt.Sprintf("lint %d", i), Scenario: text, Errors: policy.Lint([]byte(text))})
	}
	for i := 0; i+1 < len(texts); i++ {
		ra, _ := policy.EvaluateJSON([]byte(texts[i]), opt)
		rb, _ := policy.EvaluateJSON([]byte(texts[i+1]), opt)
		o.Diffs = append(o.Diffs, DiffCase{NameA: o.Presets[i].Name, NameB: o.Presets[i+1].Name, TextA: texts[i], TextB: texts[i+1], Diff: policy.Diff(ra, rb)})
	}
	b, err := json.Marshal(o)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return err
	}
	fmt.Printf("wrote %s: %d presets, %d evaluations, %d lint cases, %d diffs\n", path, len(o.Presets), len(o.Cases), len(o.Lint), len(o.Diffs))
	return nil
}
