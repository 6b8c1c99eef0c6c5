package smartvm_test

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"code.foss.global/push.rocks/smartvm"
	"code.foss.global/push.rocks/smartvm/errdefs"
)

var updateDocs = flag.Bool("update-docs", false, "rewrite the generated tables in README.md")

// codesTable renders the error codes and their hints.
func codesTable() string {
	var b strings.Builder
	b.WriteString("| code | what to do |\n|---|---|\n")
	for _, c := range errdefs.Codes() {
		fmt.Fprintf(&b, "| `%s` | %s |\n", c, c.Hint())
	}
	return b.String()
}

// TestREADMETables checks that README.md carries the tables generated from the code:
// the MicroVM methods with their states and versions, and the error codes. Run
// go test -run TestREADMETables -update-docs . to regenerate them.
func TestREADMETables(t *testing.T) {
	data, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	for _, sec := range []struct{ name, table string }{
		{"methods", smartvm.MarkdownTable()},
		{"codes", codesTable()},
	} {
		start, end := "<!-- "+sec.name+":start -->\n", "<!-- "+sec.name+":end -->"
		i, j := strings.Index(readme, start), strings.Index(readme, end)
		if i < 0 || j < i {
			t.Fatalf("README.md lacks the %s markers", sec.name)
		}
		got := readme[i+len(start) : j]
		if got == sec.table {
			continue
		}
		if *updateDocs {
			readme = readme[:i+len(start)] + sec.table + readme[j:]
			continue
		}
		t.Errorf("README.md %s table is stale; run go test -run TestREADMETables "+
			"-update-docs .\nwant:\n%s\ngot:\n%s", sec.name, sec.table, got)
	}
	if *updateDocs {
		if err := os.WriteFile("README.md", []byte(readme), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestREADMEExample checks that the README's library program is Example, which the
// compiler checks.
func TestREADMEExample(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	_, body, ok := strings.Cut(string(src), "func Example() {\n")
	if !ok || !strings.Contains(string(readme), "func main() {\n"+body) {
		t.Fatal("README.md's library program differs from Example in example_test.go")
	}
}
