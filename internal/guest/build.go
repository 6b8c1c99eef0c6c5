package guest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// ErrNoBinutils is returned (wrapped) by Build when the GNU assembler or linker is missing.
var ErrNoBinutils = errors.New("building the tiny guest needs GNU binutils (as and ld) in PATH; " +
	"install binutils (Debian/Ubuntu: apt-get install binutils)")

// sourceRel is where the guest source lives, relative to the repository root.
var sourceRel = filepath.Join("testdata", "guest")

// Build assembles testdata/guest/guest.S with GNU as and links it with guest.ld into dir,
// and returns the path of the resulting ELF, dir/tinyguest.elf. The output is reproducible:
// it equals ELF when the source has not changed since go generate.
//
// Build finds the source by walking up from the working directory to the repository root,
// so it works from tests and go generate inside the smartvm source tree, not from an
// installed binary. It fails with an error wrapping ErrNoBinutils when as or ld is missing.
func Build(dir string) (string, error) {
	src, err := sourceDir()
	if err != nil {
		return "", err
	}
	for _, tool := range []string{"as", "ld"} {
		if _, err := exec.LookPath(tool); err != nil {
			return "", fmt.Errorf("build tiny guest: %s not found: %w", tool, ErrNoBinutils)
		}
	}
	obj := filepath.Join(dir, "guest.o")
	out := filepath.Join(dir, "tinyguest.elf")
	if err := run("as", "--64", "-o", obj, filepath.Join(src, "guest.S")); err != nil {
		return "", err
	}
	err = run("ld", "-m", "elf_x86_64", "--build-id=none",
		"-T", filepath.Join(src, "guest.ld"), "-o", out, obj)
	if err != nil {
		return "", err
	}
	return out, nil
}

// run runs a binutils command and folds its output into the error.
func run(name string, args ...string) error {
	var outBuf bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdout = &outBuf
	cmd.Stderr = &outBuf
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(outBuf.String())
		return fmt.Errorf("build tiny guest: %s %s: %w: %s",
			name, strings.Join(args, " "), err, msg)
	}
	return nil
}

// sourceDir walks up from the working directory to the directory holding go.mod and
// returns its testdata/guest, which must contain guest.S.
func sourceDir() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("build tiny guest: working directory: %w", err)
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			src := filepath.Join(d, sourceRel)
			if _, err := os.Stat(filepath.Join(src, "guest.S")); err != nil {
				return "", fmt.Errorf("build tiny guest: source missing: %w", err)
			}
			return src, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("build tiny guest: no go.mod above %s; "+
				"run from inside the smartvm source tree", wd)
		}
	}
}
