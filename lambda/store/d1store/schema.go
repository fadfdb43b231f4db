package d1store

import (
	"embed"
	"io/fs"
	"slices"
	"strings"
)

// Migrations are the schema's migration files, in the layout `wrangler d1
// migrations apply` reads (worker/wrangler.json points its migrations_dir
// here), so the deployed database and the tests' get the same schema.
//
//go:embed migrations/*.sql
var Migrations embed.FS

// Schema is every migration's SQL statements, in order.
func Schema() ([]string, error) {
	names, err := fs.Glob(Migrations, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	var out []string
	for _, n := range names {
		b, err := Migrations.ReadFile(n)
		if err != nil {
			return nil, err
		}
		out = append(out, splitStatements(string(b))...)
	}
	return out, nil
}

// splitStatements splits a migration into statements: the files hold no
// semicolon inside a statement (no triggers, no string literals with one).
func splitStatements(sql string) []string {
	var out []string
	var b strings.Builder
	for line := range strings.SplitSeq(sql, "\n") {
		if t := strings.TrimSpace(line); t == "" || strings.HasPrefix(t, "--") {
			continue
		}
		b.WriteString(line)
		b.WriteString("\n")
	}
	for s := range strings.SplitSeq(b.String(), ";") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
