package images

import (
	"archive/tar"
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var testWant = map[string]string{"rel/firecracker-x": "firecracker", "rel/jailer-x": "jailer"}

func TestExtractTar(t *testing.T) {
	fc := tarEntry{name: "rel/firecracker-x", typ: tar.TypeReg, body: "FC"}
	jl := tarEntry{name: "rel/jailer-x", typ: tar.TypeReg, body: "JL"}
	cases := []struct {
		name    string
		entries []tarEntry
		maxFile int64
		wantErr string // "" means success
	}{
		{"plain", []tarEntry{{name: "rel/", typ: tar.TypeDir}, fc, jl}, 100, ""},
		{"dot slash prefix", []tarEntry{{name: "./rel/firecracker-x", typ: tar.TypeReg,
			body: "FC"}, {name: "./rel/jailer-x", typ: tar.TypeReg, body: "JL"}}, 100, ""},
		{"other files skipped", []tarEntry{{name: "rel/README", typ: tar.TypeReg,
			body: "x"}, fc, jl}, 100, ""},
		{"absolute path", []tarEntry{fc, jl, {name: "/etc/x", typ: tar.TypeReg}}, 100,
			"unsafe path"},
		{"dot-dot inside", []tarEntry{{name: "rel/../../x", typ: tar.TypeReg}, fc, jl}, 100,
			"unsafe path"},
		{"hard link", []tarEntry{fc, jl, {name: "rel/h", typ: tar.TypeLink,
			linkname: "rel/jailer-x"}}, 100, "is a link"},
		{"wanted name as symlink", []tarEntry{{name: "rel/firecracker-x",
			typ: tar.TypeSymlink, linkname: "/bin/sh"}, jl}, 100, "is a link"},
		{"char device", []tarEntry{fc, jl, {name: "rel/null", typ: tar.TypeChar}}, 100,
			"only regular files"},
		{"fifo", []tarEntry{{name: "rel/p", typ: tar.TypeFifo}, fc, jl}, 100,
			"only regular files"},
		{"too big", []tarEntry{fc, jl}, 1, "over the limit"},
		{"duplicate", []tarEntry{fc, fc, jl}, 100, "twice"},
		{"missing", []tarEntry{fc}, 100, "lacks"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			os.Mkdir(out, 0o755)
			err := extractTar(bytes.NewReader(buildTar(t, tc.entries)), out, testWant,
				tc.maxFile, 1<<20)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				for name, body := range map[string]string{"firecracker": "FC", "jailer": "JL"} {
					if b, err := os.ReadFile(filepath.Join(out, name)); string(b) != body {
						t.Errorf("%s = %q, %v; want %q", name, b, err, body)
					}
				}
				if es, _ := os.ReadDir(out); len(es) != 2 {
					t.Errorf("extracted %d files, want 2", len(es))
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestExtractTarTotalLimit(t *testing.T) {
	big := tarEntry{name: "rel/big", typ: tar.TypeReg, body: strings.Repeat("x", 64<<10)}
	data := buildTar(t, []tarEntry{big, {name: "rel/firecracker-x", typ: tar.TypeReg},
		{name: "rel/jailer-x", typ: tar.TypeReg}})
	err := extractTar(bytes.NewReader(data), t.TempDir(), testWant, 100, 16<<10)
	if err == nil || !strings.Contains(err.Error(), errTooLarge.Error()) {
		t.Fatalf("err = %v, want %v", err, errTooLarge)
	}
}

// FuzzExtract feeds arbitrary bytes to the tar extractor: it must not panic, and it must
// write nothing outside its output folder and nothing but the wanted names inside it.
// Tar inputs are kilobytes long, so the fuzzer's default 60s minimization of each new
// input stalls progress; run it as
//
//	go test -run '^$' -fuzz FuzzExtract -fuzzminimizetime 3s ./images/
func FuzzExtract(f *testing.F) {
	fc := tarEntry{name: "rel/firecracker-x", typ: tar.TypeReg, body: "FC"}
	jl := tarEntry{name: "rel/jailer-x", typ: tar.TypeReg, body: "JL"}
	seeds := [][]tarEntry{
		{fc, jl},
		{{name: "../x", typ: tar.TypeReg, body: "x"}, fc, jl},
		{{name: "rel/firecracker-x", typ: tar.TypeSymlink, linkname: "../../x"}, jl},
		{{name: "/abs", typ: tar.TypeReg, body: "x"}},
		{{name: "rel/", typ: tar.TypeDir}, fc, fc},
	}
	for _, s := range seeds {
		f.Add(buildTar(f, s))
	}
	f.Add([]byte{})
	f.Add([]byte("not a tar"))
	// One folder per worker process, reused: random temporary names per run would make
	// the instrumented os code's coverage vary and keep the fuzzer minimizing.
	parent, err := os.MkdirTemp("", "fuzz-extract-")
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { os.RemoveAll(parent) })
	out := filepath.Join(parent, "out")
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.RemoveAll(out); err != nil {
			t.Fatal(err)
		}
		if err := os.Mkdir(out, 0o755); err != nil {
			t.Fatal(err)
		}
		_ = extractTar(bytes.NewReader(data), out, testWant, 1<<16, 1<<20)
		err := filepath.WalkDir(parent, func(p string, d fs.DirEntry, err error) error {
			if err != nil || p == parent || p == out {
				return err
			}
			rel, _ := filepath.Rel(out, p)
			if rel != "firecracker" && rel != "jailer" {
				t.Errorf("extraction wrote %s", p)
			}
			if !d.Type().IsRegular() {
				t.Errorf("extraction made a non-regular file %s (%v)", p, d.Type())
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
