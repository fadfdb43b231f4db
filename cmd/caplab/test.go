package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/caplab/caplab/policy"
)

// test runs scenario files and checks each event's "expect", so an ISV can
// keep scenarios as regression tests in CI.
func (c *cli) test(args []string) int {
	flags := c.newFlags("test")
	presets := flags.Bool("presets", false, "also run every built-in preset")
	now := flags.String("now", "", "clock when a scenario has no \"now\" (RFC 3339)")
	pos, err := parseInterspersed(flags, args)
	if err != nil {
		return exitUsage
	}
	if len(pos) == 0 && !*presets {
		fmt.Fprintln(c.stderr, "caplab: usage: caplab test FILE|DIR... [--presets]")
		return exitUsage
	}
	opt, ok := c.options(*now)
	if !ok {
		return exitUsage
	}
	type input struct {
		name string
		data []byte
	}
	var inputs []input
	for _, p := range pos {
		files, err := scenarioFiles(p)
		if err != nil {
			fmt.Fprintln(c.stderr, "caplab:", err)
			return exitFail
		}
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				fmt.Fprintln(c.stderr, "caplab:", err)
				return exitFail
			}
			inputs = append(inputs, input{f, data})
		}
	}
	if *presets {
		for _, p := range policy.Presets() {
			data, _ := policy.Preset(p.Name)
			inputs = append(inputs, input{"preset:" + p.Name, data})
		}
	}
	passed, failed, invalid := 0, 0, 0
	for _, in := range inputs {
		s, err := policy.Decode(in.data)
		if err != nil {
			c.reportDecodeError(in.name, err)
			invalid++
			continue
		}
		res := policy.Evaluate(s, opt)
		checked := 0
		for i, r := range res.Results {
			if r.Expect == nil {
				continue
			}
			checked++
			if r.Expect.Met {
				passed++
				continue
			}
			failed++
			fmt.Fprintf(c.stdout, "FAIL %s event %d%s (%s):\n", in.name, i, idSuffix(r.ID), r.Do)
			for _, m := range r.Expect.Mismatches {
				fmt.Fprintf(c.stdout, "    %s\n", m)
			}
			if step := decidingStep(r); step != nil {
				fmt.Fprintf(c.stdout, "    decided by %s: %s\n", step.Rule, step.Because)
			}
		}
		if checked == 0 {
			fmt.Fprintf(c.stderr, "caplab: %s: no event carries an \"expect\"\n", in.name)
		}
	}
	fmt.Fprintf(c.stdout, "%d passed, %d failed\n", passed, failed+invalid)
	switch {
	case invalid > 0:
		return exitUsage
	case failed > 0:
		return exitFail
	}
	return exitOK
}

func idSuffix(id string) string {
	if id == "" {
		return ""
	}
	return " " + id
}

// decidingStep is the trace step that denied the event, if any.
func decidingStep(r policy.EventResult) *policy.TraceStep {
	for i := range r.Trace {
		if r.Trace[i].Outcome == policy.StepFail {
			return &r.Trace[i]
		}
	}
	return nil
}

// scenarioFiles expands a FILE or DIR into the scenario files (*.json) it holds.
func scenarioFiles(path string) ([]string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return []string{path}, nil
	}
	var files []string
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".json") {
			files = append(files, p)
		}
		return nil
	})
	if err == nil && len(files) == 0 {
		err = fmt.Errorf("%s: no *.json scenario files", path)
	}
	return files, err
}
