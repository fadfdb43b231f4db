// Command caplab predicts how Salesforce answers Connected App OAuth
// requests, tests scenarios, and serves the playground and live orgs.
package main

import (
	"fmt"
	"io"
	"os"
)

// Exit codes: 0 ran, 1 failure (or a mismatch/difference), 2 bad input.
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

const usage = `caplab: the Connected App policy lab

Usage:
  caplab eval FILE [--format json|text] [--preset NAME] [--now RFC3339]
  caplab lint FILE
  caplab presets [NAME]
  caplab test FILE|DIR... [--presets]
  caplab diff A B [--format text|json]
  caplab import-metadata FILE.connectedApp-meta.xml [--name NAME]
  caplab install-url --my-domain DOMAIN --app-id 0Ci... --org-id 00D...
  caplab id18 ID...
  caplab serve [--addr 127.0.0.1:8080] [--data .caplab] [--site build/site] [--org-ports 8100-8999]
  caplab org FILE [--addr 127.0.0.1:9000] [--mode salesforce|rfc] [--preset NAME]

FILE may be - for standard input.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// cli carries the streams so commands are testable in-process.
type cli struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := &cli{stdin: stdin, stdout: stdout, stderr: stderr}
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "eval":
		return c.eval(rest)
	case "lint":
		return c.lint(rest)
	case "presets":
		return c.presets(rest)
	case "test":
		return c.test(rest)
	case "diff":
		return c.diff(rest)
	case "import-metadata":
		return c.importMetadata(rest)
	case "install-url":
		return c.installURL(rest)
	case "id18":
		return c.id18(rest)
	case "serve":
		return serveCmd(rest)
	case "org":
		return c.org(rest)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	fmt.Fprintf(stderr, "caplab: unknown command %q\n\n%s", cmd, usage)
	return exitUsage
}

// readInput reads FILE or standard input for "-".
func (c *cli) readInput(name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(io.LimitReader(c.stdin, maxInputSize+1))
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, maxInputSize+1))
}

// maxInputSize bounds what the CLI reads; the decoder has its own, smaller limit.
const maxInputSize = 4 << 20
