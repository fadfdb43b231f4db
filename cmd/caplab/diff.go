package main

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/caplab/caplab/policy"
)

// diff evaluates two scenarios and reports the first event whose answer
// differs and the first trace step where the runs part. Exit 0 when they
// answer alike, 1 when they differ, as diff(1) does.
func (c *cli) diff(args []string) int {
	fs := c.newFlags("diff")
	format := fs.String("format", "text", "output format: text or json")
	now := fs.String("now", "", "clock when a scenario has no \"now\" (RFC 3339)")
	pos, err := parseInterspersed(fs, args)
	if err != nil || !oneOf(c.stderr, "format", *format, "json", "text") {
		return exitUsage
	}
	if len(pos) != 2 {
		fmt.Fprintln(c.stderr, "caplab: usage: caplab diff A B [--format text|json]")
		return exitUsage
	}
	opt, ok := c.options(*now)
	if !ok {
		return exitUsage
	}
	var results [2]*policy.Result
	for i, name := range pos {
		data, code := c.fileOrPreset(name)
		if code != exitOK {
			return code
		}
		s, err := policy.Decode(data)
		if err != nil {
			c.reportDecodeError(name, err)
			return exitUsage
		}
		results[i] = policy.Evaluate(s, opt)
	}
	d := policy.Diff(results[0], results[1])
	if *format == "json" {
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		enc.Encode(d)
	} else {
		writeDiffText(c.stdout, pos[0], pos[1], d)
	}
	if d.Same {
		return exitOK
	}
	return exitFail
}

// fileOrPreset reads a file, or a preset written "preset:NAME".
func (c *cli) fileOrPreset(name string) ([]byte, int) {
	if p, ok := strings.CutPrefix(name, "preset:"); ok {
		data, found := policy.Preset(p)
		if !found {
			fmt.Fprintf(c.stderr, "caplab: no preset %q\n", p)
			return nil, exitUsage
		}
		return data, exitOK
	}
	data, err := c.readInput(name)
	if err != nil {
		fmt.Fprintln(c.stderr, "caplab:", err)
		return nil, exitFail
	}
	return data, exitOK
}
