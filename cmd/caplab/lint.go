package main

import (
	"fmt"

	"github.com/caplab/caplab/policy"
)

func (c *cli) lint(args []string) int {
	fs := c.newFlags("lint")
	pos, err := parseInterspersed(fs, args)
	if err != nil || len(pos) != 1 {
		fmt.Fprintln(c.stderr, "caplab: usage: caplab lint FILE")
		return exitUsage
	}
	data, err := c.readInput(pos[0])
	if err != nil {
		fmt.Fprintln(c.stderr, "caplab:", err)
		return exitFail
	}
	problems := policy.Lint(data)
	for _, fe := range problems {
		fmt.Fprintln(c.stderr, formatFieldError(pos[0], fe))
	}
	if len(problems) > 0 {
		return exitUsage
	}
	fmt.Fprintf(c.stdout, "%s: ok\n", pos[0])
	return exitOK
}
