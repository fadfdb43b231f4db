package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/caplab/caplab/policy"
)

func (c *cli) presets(args []string) int {
	switch len(args) {
	case 0:
		tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
		for _, p := range policy.Presets() {
			fmt.Fprintf(tw, "%s\t%s\n", p.Name, p.Title)
		}
		tw.Flush()
		return exitOK
	case 1:
		data, ok := policy.Preset(args[0])
		if !ok {
			fmt.Fprintf(c.stderr, "caplab: no preset %q (caplab presets lists them)\n", args[0])
			return exitUsage
		}
		c.stdout.Write(data)
		return exitOK
	}
	fmt.Fprintln(c.stderr, "caplab: usage: caplab presets [NAME]")
	return exitUsage
}
