package spec

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// These tests build their own spec folders and run without the real
// specifications.

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestDirFromEnv(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "firecracker-v9.9.9.yaml"), "swagger: \"2.0\"\n")
	writeFile(t, filepath.Join(dir, "firecracker-v1.2.yaml"), "ignored: two-part name\n")
	writeFile(t, filepath.Join(dir, "notes.yaml"), "ignored\n")
	t.Setenv(EnvDir, dir)

	got, err := Dir()
	if err != nil || got != dir {
		t.Fatalf("Dir() = %q, %v; want %q", got, err, dir)
	}
	if v := Versions(); !slices.Equal(v, []string{"9.9.9"}) {
		t.Fatalf("Versions() = %v, want [9.9.9]", v)
	}
}

func TestDirFromEnvMissing(t *testing.T) {
	empty := t.TempDir()
	for _, dir := range []string{filepath.Join(empty, "absent"), empty} {
		t.Setenv(EnvDir, dir)
		_, err := Dir()
		if err == nil || !strings.Contains(err.Error(), dir) {
			t.Errorf("Dir() with %s=%s: err = %v, want an error naming the folder", EnvDir, dir, err)
		}
		if v := Versions(); v != nil {
			t.Errorf("Versions() = %v, want nil", v)
		}
		if _, err := Load("1.7.0"); err == nil {
			t.Errorf("Load with %s=%s succeeded, want error", EnvDir, dir)
		}
	}
}

func TestDirWalksUpToModuleRoot(t *testing.T) {
	t.Setenv(EnvDir, "")
	base := t.TempDir()
	writeFile(t, filepath.Join(base, "repo", "go.mod"), "module example.com/x\n")
	deep := filepath.Join(base, "repo", "a", "b")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(deep)

	_, err := Dir()
	if err == nil || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("Dir() without shared folder: err = %v, want not found", err)
	}

	want := filepath.Join(base, "shared", "firecracker-api")
	writeFile(t, filepath.Join(want, "firecracker-v1.2.3.yaml"), "swagger: \"2.0\"\n")
	got, err := Dir()
	if err != nil {
		t.Fatal(err)
	}
	// TempDir may sit behind a symlink; compare resolved paths.
	gotR, _ := filepath.EvalSymlinks(got)
	wantR, _ := filepath.EvalSymlinks(want)
	if gotR != wantR {
		t.Fatalf("Dir() = %q, want %q", got, want)
	}
}

func TestDirWithoutModule(t *testing.T) {
	t.Setenv(EnvDir, "")
	t.Chdir(t.TempDir())
	_, err := Dir()
	if err == nil || !strings.Contains(err.Error(), "go.mod") {
		t.Fatalf("Dir() outside a module: err = %v, want an error about go.mod", err)
	}
}

func TestChooseVersion(t *testing.T) {
	have := []version{{1, 7, 0}, {1, 14, 2}, {1, 16, 1}}
	cases := map[string]string{
		"1.7.0":      "1.7.0",
		"v1.7.0":     "1.7.0",
		"1.7.9":      "1.7.0",
		"1.8.3":      "1.7.0",
		"1.14.0":     "1.14.2",
		"1.14.1":     "1.14.2",
		"1.14.2":     "1.14.2",
		"1.14":       "1.14.2",
		"1.15.0":     "1.14.2",
		"1.16.1-dev": "1.16.1",
		"1.17.0":     "1.16.1",
		"2.0.0":      "1.16.1",
		"1.6.0":      "",
		"0.25.0":     "",
	}
	for in, want := range cases {
		v, err := parseVersion(in)
		if err != nil {
			t.Errorf("parseVersion(%q): %v", in, err)
			continue
		}
		got, err := chooseVersion(v, have)
		switch {
		case want == "" && !errors.Is(err, errNoSpec):
			t.Errorf("chooseVersion(%s) = %s, %v; want errNoSpec", in, got, err)
		case want != "" && (err != nil || got.String() != want):
			t.Errorf("chooseVersion(%s) = %s, %v; want %s", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "1", "a.b.c", "1.2.3.4", "1.-2.0"} {
		if _, err := parseVersion(bad); err == nil {
			t.Errorf("parseVersion(%q) succeeded, want error", bad)
		}
	}
}
