package noetldb

import (
	"go/ast"
	"go/doc"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// Every package has a package doc, and every exported name of a non-main
// package has a doc comment: users read them on pkg.go.dev.
func TestEveryExportedNameIsDocumented(t *testing.T) {
	dirs := map[string]bool{}
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") && path != "." {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") {
			dirs[filepath.Dir(path)] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) < 8 {
		t.Fatalf("found only %d package directories; the walk is broken", len(dirs))
	}
	for dir := range dirs {
		fset := token.NewFileSet()
		pkgs, err := parser.ParseDir(fset, dir, func(fi fs.FileInfo) bool {
			return !strings.HasSuffix(fi.Name(), "_test.go")
		}, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		for name, pkg := range pkgs {
			p := doc.New(pkg, dir, doc.AllDecls)
			if strings.TrimSpace(p.Doc) == "" {
				t.Errorf("%s: package %s has no package doc", dir, name)
			}
			if name == "main" {
				continue
			}
			missing := undocumented(p)
			for _, m := range missing {
				t.Errorf("%s: exported %s has no doc comment", dir, m)
			}
		}
	}
}

func undocumented(p *doc.Package) []string {
	var out []string
	check := func(name, docText string) {
		if ast.IsExported(name) && strings.TrimSpace(docText) == "" {
			out = append(out, name)
		}
	}
	values := func(vs []*doc.Value) {
		for _, v := range vs {
			if strings.TrimSpace(v.Doc) != "" {
				continue
			}
			// A grouped declaration is documented by its group comment or
			// by a comment on each spec.
			for _, spec := range v.Decl.Specs {
				vs := spec.(*ast.ValueSpec)
				for _, n := range vs.Names {
					if ast.IsExported(n.Name) && vs.Doc == nil && vs.Comment == nil {
						out = append(out, n.Name)
					}
				}
			}
		}
	}
	values(p.Consts)
	values(p.Vars)
	for _, f := range p.Funcs {
		check(f.Name, f.Doc)
	}
	for _, typ := range p.Types {
		check(typ.Name, typ.Doc)
		if !ast.IsExported(typ.Name) {
			continue
		}
		values(typ.Consts)
		values(typ.Vars)
		for _, f := range typ.Funcs {
			check(f.Name, f.Doc)
		}
		for _, m := range typ.Methods {
			if ast.IsExported(m.Name) && strings.TrimSpace(m.Doc) == "" {
				out = append(out, typ.Name+"."+m.Name)
			}
		}
		// Exported methods of exported interfaces.
		if ts, ok := typ.Decl.Specs[0].(*ast.TypeSpec); ok {
			if it, ok := ts.Type.(*ast.InterfaceType); ok {
				for _, m := range it.Methods.List {
					for _, n := range m.Names {
						if ast.IsExported(n.Name) && m.Doc == nil && m.Comment == nil {
							out = append(out, typ.Name+"."+n.Name)
						}
					}
				}
			}
		}
	}
	return out
}
