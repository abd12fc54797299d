package lint

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// allowed lists, for each internal package, the internal packages it may
// import. Dependencies point one way (ARCHITECTURE.md, decision 6):
// cmd → app → server → front-ends → services → cluster; coord → raft →
// transport, storage. Front-ends never import each other.
var allowed = map[string][]string{
	"app":             {"config", "server", "resp"},
	"config":          {},
	"server":          {"config", "resp", "cache", "storage", "storage/vfs", "etcdapi", "coord", "kafka", "queue", "raft", "transport", "kafkatest"}, // kafkatest in tests only
	"kafkatest":       {},
	"etcdapi":         {"coord"},
	"resp":            {"cache"},
	"cache":           {},
	"storage":         {"storage/vfs"},
	"storage/vfs":     {},
	"raft":            {"transport", "storage"},
	"transport":       {},
	"coord":           {"raft", "storage", "transport"},
	"benchcoord":      {},
	"benchqueue":      {"config", "server"},
	"kafka":           {"queue", "kafkatest"},           // kafkatest in tests only
	"queue":           {"raft", "storage", "transport"}, // the last two in tests only
	"queue/partition": {"raft", "storage", "queue/batch", "queue/producer"},
	"queue/batch":     {},
	"queue/producer":  {},
	"queue/group":     {},
	"clustertest":     {"config", "server", "coord", "raft", "transport", "storage", "queue", "kafkatest"},
	"lint":            {},
	"e2e":             {"app", "config", "server", "resp", "cache", "storage", "storage/vfs"},
}

func TestDependenciesPointOneWay(t *testing.T) {
	root := filepath.Join("..")
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		rel = filepath.ToSlash(rel)
		// Subpackages (storage/vfs/errorfs) follow their parent's rules.
		pkg := rel
		for {
			if _, ok := allowed[pkg]; ok || !strings.Contains(pkg, "/") {
				break
			}
			pkg = pkg[:strings.LastIndex(pkg, "/")]
		}
		allow, ok := allowed[pkg]
		if !ok {
			t.Errorf("package internal/%s is not in the dependency map: add it to allowed in %s", rel, "internal/lint/deps_test.go")
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			p := strings.Trim(imp.Path.Value, `"`)
			dep, ok := strings.CutPrefix(p, "triad/internal/")
			if !ok {
				continue
			}
			if dep == rel || strings.HasPrefix(dep, rel+"/") || strings.HasPrefix(rel, dep+"/") {
				continue // own subpackages and ancestors
			}
			if !slices.ContainsFunc(allow, func(a string) bool { return dep == a || strings.HasPrefix(dep, a+"/") }) {
				t.Errorf("%s imports internal/%s, which breaks the one-way dependencies (internal/%s may import %v)", path, dep, pkg, allow)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
