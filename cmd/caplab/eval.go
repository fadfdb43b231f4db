package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/caplab/caplab/policy"
)

func (c *cli) eval(args []string) int {
	fs := c.newFlags("eval")
	format := fs.String("format", "json", "output format: json or text")
	preset := fs.String("preset", "", "evaluate a built-in preset instead of FILE")
	now := fs.String("now", "", "clock at the first event when the scenario has no \"now\" (RFC 3339)")
	pos, err := parseInterspersed(fs, args)
	if err != nil || !oneOf(c.stderr, "format", *format, "json", "text") {
		return exitUsage
	}
	data, name, code := c.scenarioInput(pos, *preset)
	if code != exitOK {
		return code
	}
	opt, ok := c.options(*now)
	if !ok {
		return exitUsage
	}
	s, err := policy.Decode(data)
	if err != nil {
		c.reportDecodeError(name, err)
		return exitUsage
	}
	res := policy.Evaluate(s, opt)
	if *format == "text" {
		writeText(c.stdout, s, res)
		return exitOK
	}
	enc := json.NewEncoder(c.stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(res); err != nil {
		fmt.Fprintln(c.stderr, "caplab:", err)
		return exitFail
	}
	return exitOK
}

// scenarioInput reads the single FILE argument or a preset.
func (c *cli) scenarioInput(pos []string, preset string) ([]byte, string, int) {
	switch {
	case preset != "" && len(pos) == 0:
		data, ok := policy.Preset(preset)
		if !ok {
			fmt.Fprintf(c.stderr, "caplab: no preset %q (caplab presets lists them)\n", preset)
			return nil, "", exitUsage
		}
		return data, "preset:" + preset, exitOK
	case preset == "" && len(pos) == 1:
		data, err := c.readInput(pos[0])
		if err != nil {
			fmt.Fprintln(c.stderr, "caplab:", err)
			return nil, "", exitFail
		}
		return data, pos[0], exitOK
	}
	fmt.Fprintln(c.stderr, "caplab: give exactly one scenario FILE (or --preset NAME)")
	return nil, "", exitUsage
}

func (c *cli) options(now string) (policy.Options, bool) {
	if now == "" {
		return policy.Options{Now: time.Now().UTC()}, true
	}
	t, err := time.Parse(time.RFC3339, now)
	if err != nil {
		fmt.Fprintf(c.stderr, "caplab: --now must be RFC 3339 (2026-03-01T09:00:00Z); got %q\n", now)
		return policy.Options{}, false
	}
	return policy.Options{Now: t}, true
}

// reportDecodeError prints one line per problem: FILE:LINE:COL: PATH: MESSAGE.
func (c *cli) reportDecodeError(name string, err error) {
	var de *policy.DecodeError
	if !errors.As(err, &de) {
		fmt.Fprintf(c.stderr, "%s: %v\n", name, err)
		return
	}
	for _, fe := range de.Errors {
		fmt.Fprintln(c.stderr, formatFieldError(name, fe))
	}
}

func formatFieldError(name string, fe policy.FieldError) string {
	loc := name
	if fe.Line > 0 {
		loc = fmt.Sprintf("%s:%d:%d", name, fe.Line, fe.Column)
	}
	path := fe.Path
	if path == "" {
		path = "(document)"
	}
	return fmt.Sprintf("%s: %s: %s", loc, path, fe.Message)
}
