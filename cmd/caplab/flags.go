package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

// newFlags is a flag set that reports errors to stderr and lets flags
// follow positional arguments ("eval FILE --format text").
func (c *cli) newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("caplab "+name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	return fs
}

// parseInterspersed parses flags anywhere in args and returns the positionals.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// oneOf checks an enumerated flag value.
func oneOf(w io.Writer, flagName, v string, allowed ...string) bool {
	for _, a := range allowed {
		if v == a {
			return true
		}
	}
	fmt.Fprintf(w, "caplab: --%s must be one of %s; got %q\n", flagName, strings.Join(allowed, ", "), v)
	return false
}
