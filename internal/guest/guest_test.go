package guest

import (
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestBuildReproducesEmbeddedELF(t *testing.T) {
	path, err := Build(t.TempDir())
	if errors.Is(err, ErrNoBinutils) {
		t.Skipf("cannot check tinyguest.elf against its source: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, ELF) {
		t.Fatalf("Build output (%d bytes) differs from the embedded tinyguest.elf (%d bytes); "+
			"run go generate ./internal/guest after changing testdata/guest", len(got), len(ELF))
	}
}

func TestBuildWithoutBinutils(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := Build(t.TempDir())
	if !errors.Is(err, ErrNoBinutils) {
		t.Fatalf("Build with empty PATH: err = %v, want ErrNoBinutils", err)
	}
	if !strings.Contains(err.Error(), "binutils") {
		t.Errorf("error %q does not mention binutils", err)
	}
}

func TestBuildOutsideSourceTree(t *testing.T) {
	t.Chdir(t.TempDir())
	_, err := Build(t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "go.mod") {
		t.Fatalf("Build outside the source tree: err = %v, want one naming go.mod", err)
	}
}

// TestELFLayout checks what Firecracker's loader relies on: a 64-bit x86 executable with one
// PT_LOAD segment at LoadAddress holding the entry point, and no PT_NOTE (which could carry
// a PVH entry and change the boot protocol).
func TestELFLayout(t *testing.T) {
	f, err := elf.NewFile(bytes.NewReader(ELF))
	if err != nil {
		t.Fatal(err)
	}
	if f.Class != elf.ELFCLASS64 || f.Machine != elf.EM_X86_64 || f.Type != elf.ET_EXEC {
		t.Fatalf("class %v machine %v type %v, want ELFCLASS64 EM_X86_64 ET_EXEC",
			f.Class, f.Machine, f.Type)
	}
	if len(f.Progs) != 1 {
		t.Fatalf("%d program headers, want 1", len(f.Progs))
	}
	p := f.Progs[0]
	if p.Type != elf.PT_LOAD || p.Paddr != LoadAddress || p.Off != 0 ||
		p.Filesz != uint64(len(ELF)) {
		t.Fatalf("program header %+v, want PT_LOAD of the whole file at %#x", p.ProgHeader,
			LoadAddress)
	}
	if f.Entry <= p.Paddr || f.Entry >= p.Paddr+p.Filesz {
		t.Fatalf("entry %#x outside the loaded segment", f.Entry)
	}
	for _, s := range []string{Banner + "\n", TickPrefix, ByeLine + "\n"} {
		if !bytes.Contains(ELF, append([]byte(s), 0)) {
			t.Errorf("ELF lacks the string %q", s)
		}
	}
}

func TestLastTick(t *testing.T) {
	tests := []struct {
		name    string
		console string
		want    int
		wantOK  bool
	}{
		{"empty", "", 0, false},
		{"banner only", Banner + "\n", 0, false},
		{"one tick", Banner + "\ntick 1\n", 1, true},
		{"several", Banner + "\ntick 1\ntick 2\ntick 3\n", 3, true},
		{"highest wins", "tick 9\ntick 10\ntick 2\n", 10, true},
		{"restored count", "tick 7\ntick 8\n", 8, true},
		{"crlf", "tick 4\r\ntick 5\r\n", 5, true},
		{"partial last line", "tick 11\ntick 1", 11, true},
		{"only partial", "tick 12", 0, false},
		{"bye after ticks", "tick 3\nbye\n", 3, true},
		{"noise", "tick\ntick \ntick x\ntick 0\ntick -1\ntick 1 2\nxtick 5\n", 0, false},
		{"overflow", "tick 99999999999999999999999\ntick 6\n", 6, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := LastTick([]byte(tt.console))
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("LastTick(%q) = %d, %v; want %d, %v",
					tt.console, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

// TestRealFirecracker boots the guest on the Firecracker binary named by
// SMARTVM_TEST_FIRECRACKER and reads the banner and the first three ticks from its console.
func TestRealFirecracker(t *testing.T) {
	env := os.Getenv("SMARTVM_TEST_FIRECRACKER")
	if env == "" {
		t.Skip("SKIPPED real Firecracker run: set SMARTVM_TEST_FIRECRACKER")
	}
	for _, fc := range strings.Split(env, ":") { // one path or several
		t.Run(filepath.Base(fc), func(t *testing.T) { bootReal(t, fc) })
	}
}

// bootReal boots the guest on the Firecracker binary fc.
func bootReal(t *testing.T, fc string) {
	dir := t.TempDir()
	kernel := filepath.Join(dir, "tinyguest.elf")
	cfg := filepath.Join(dir, "config.json")
	logPath := filepath.Join(dir, "firecracker.log")
	writeFile(t, kernel, ELF)
	// Firecracker requires the "drives" key in a config file, even when it is empty.
	writeFile(t, cfg, fmt.Appendf(nil, `{
  "boot-source": {"kernel_image_path": %q, "boot_args": "console=ttyS0"},
  "machine-config": {"vcpu_count": 1, "mem_size_mib": 128},
  "drives": []
}`, kernel))
	// Older Firecracker releases refuse a --log-path that does not exist yet.
	writeFile(t, logPath, nil)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, fc, "--no-api", "--config-file", cfg,
		"--log-path", logPath, "--id", "smartvm-guest-test")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", fc, err)
	}

	console := readUntilTick(stdout, 3)
	cancel()
	_ = cmd.Wait() // killed on purpose; the exit status says nothing

	want := Banner + "\n" + TickPrefix + "1\n" + TickPrefix + "2\n" + TickPrefix + "3\n"
	if !bytes.HasPrefix(console, []byte(want)) {
		fcLog, _ := os.ReadFile(logPath)
		t.Fatalf("console = %q, want it to start with %q\nstderr: %s\nlog: %s",
			console, want, stderr.Bytes(), fcLog)
	}
}

// readUntilTick reads the console until it shows tick n or the reader ends (the process
// exited or was killed by its context).
func readUntilTick(r interface{ Read([]byte) (int, error) }, n int) []byte {
	var console []byte
	buf := make([]byte, 4096)
	for {
		k, err := r.Read(buf)
		console = append(console, buf[:k]...)
		if last, ok := LastTick(console); ok && last >= n {
			return console
		}
		if err != nil {
			return console
		}
	}
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
