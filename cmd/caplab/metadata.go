package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/caplab/caplab/cmd/caplab/internal/metadata"
)

func (c *cli) importMetadata(args []string) int {
	fs := c.newFlags("import-metadata")
	name := fs.String("name", "", "app name when the XML has no <label>")
	pos, err := parseInterspersed(fs, args)
	if err != nil || len(pos) != 1 {
		fmt.Fprintln(c.stderr, "caplab: usage: caplab import-metadata FILE.connectedApp-meta.xml [--name NAME]")
		return exitUsage
	}
	data, err := c.readInput(pos[0])
	if err != nil {
		fmt.Fprintln(c.stderr, "caplab:", err)
		return exitFail
	}
	if *name == "" {
		*name = strings.TrimSuffix(filepath.Base(pos[0]), ".connectedApp-meta.xml")
	}
	res, err := metadata.ImportConnectedApp(data, *name)
	if err != nil {
		fmt.Fprintf(c.stderr, "%s: %v\n", pos[0], err)
		return exitUsage
	}
	for _, n := range res.Notes {
		fmt.Fprintf(c.stderr, "%s: note: %s: %s\n", pos[0], n.Field, n.Message)
	}
	enc := json.NewEncoder(c.stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(res); err != nil {
		fmt.Fprintln(c.stderr, "caplab:", err)
		return exitFail
	}
	return exitOK
}
