package policy

import (
	"go/ast"
	"go/parser"
	gotoken "go/token"
	"path/filepath"
	"strings"
	"testing"
)

// TestStringsLiveInStringsGo: every error code and description the engine
// answers with is a constant of strings.go (the README promises it): no
// err*/desc* constant elsewhere, and no string literal in the code or
// description of a denial (r.fail, r.failOn, denial{err, desc}).
func TestStringsLiveInStringsGo(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := gotoken.NewFileSet()
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		if name != "strings.go" {
			for _, id := range errorConstants(f) {
				t.Errorf("%s: constant %s is an error code or description: declare it in strings.go", fset.Position(id.Pos()), id.Name)
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			for _, e := range denialStrings(n) {
				checked++
				ast.Inspect(e, func(m ast.Node) bool {
					if lit, ok := m.(*ast.BasicLit); ok && lit.Kind == gotoken.STRING {
						t.Errorf("%s: the string %s is part of a denial's code or description: make it a constant in strings.go", fset.Position(lit.Pos()), lit.Value)
					}
					return true
				})
			}
			return true
		})
	}
	if checked < 50 {
		t.Errorf("checked %d denial codes and descriptions; want the engine's (more than 50)", checked)
	}
}

// errorConstants are a file's package-level constants named err… or desc….
func errorConstants(f *ast.File) []*ast.Ident {
	var out []*ast.Ident
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != gotoken.CONST {
			continue
		}
		for _, spec := range gd.Specs {
			for _, id := range spec.(*ast.ValueSpec).Names {
				if strings.HasPrefix(id.Name, "err") || strings.HasPrefix(id.Name, "desc") {
					out = append(out, id)
				}
			}
		}
	}
	return out
}

// denialStrings are the code and description expressions of a denial made
// at n: the last two arguments before the fixes of r.fail(because,
// setting, code, desc, …) and r.failOn(channel, status, because, setting,
// code, desc, …), or the err and desc fields of a denial literal.
func denialStrings(n ast.Node) []ast.Expr {
	switch x := n.(type) {
	case *ast.CallExpr:
		sel, ok := x.Fun.(*ast.SelectorExpr)
		if !ok {
			return nil
		}
		switch {
		case sel.Sel.Name == "fail" && len(x.Args) >= 4:
			return x.Args[2:4]
		case sel.Sel.Name == "failOn" && len(x.Args) >= 6:
			return x.Args[4:6]
		}
	case *ast.CompositeLit:
		if id, ok := x.Type.(*ast.Ident); ok && id.Name == "denial" {
			var out []ast.Expr
			for _, e := range x.Elts {
				if kv, ok := e.(*ast.KeyValueExpr); ok {
					if k, ok := kv.Key.(*ast.Ident); ok && (k.Name == "err" || k.Name == "desc") {
						out = append(out, kv.Value)
					}
				}
			}
			return out
		}
	}
	return nil
}
