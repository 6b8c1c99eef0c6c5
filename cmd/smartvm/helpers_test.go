package main_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"code.foss.global/push.rocks/smartvm/internal/fctest"
	"code.foss.global/push.rocks/smartvm/internal/guest"
)

// cmdTimeout bounds every run of the binary, so that a hang fails instead of blocking.
const cmdTimeout = 60 * time.Second

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := fctest.Main(m)
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// smartvmBin builds the smartvm binary once per test process.
func smartvmBin(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "smartvm-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "smartvm")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// result is what one run of the binary produced.
type result struct {
	stdout, stderr string
	status         int
}

// env is a test's environment: a short data directory (socket paths must stay under
// 108 bytes), the environment for the binary, and a leak check at the end.
type env struct {
	t       *testing.T
	dataDir string
	vars    []string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	dir, err := os.MkdirTemp("", "svcli-")
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, dataDir: dir}
	// Nothing from the caller's environment may choose the binary or the cache.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SMARTVM_") {
			e.vars = append(e.vars, kv)
		}
	}
	e.vars = append(e.vars, "SMARTVM_DATA_DIR="+dir)
	t.Cleanup(func() {
		e.checkNoLeftovers()
		os.RemoveAll(dir)
	})
	return e
}

// setenv adds KEY=value to the binary's environment.
func (e *env) setenv(kv ...string) { e.vars = append(e.vars, kv...) }

// command prepares a run of the binary.
func (e *env) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, smartvmBin(e.t), args...)
	cmd.Env = e.vars
	cmd.WaitDelay = time.Second
	return cmd
}

// run runs the binary to its end.
func (e *env) run(args ...string) result {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	cmd := e.command(ctx, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String(), status: exitCode(e.t, err)}
	e.t.Logf("smartvm %s → %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.status,
		r.stdout, r.stderr)
	return r
}

// exitCode returns the exit status of a finished command.
func exitCode(t *testing.T, err error) int {
	t.Helper()
	if err == nil {
		return 0
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	t.Fatalf("run smartvm: %v", err)
	return -1
}

// checkNoLeftovers fails the test if a process still names the data directory or a VM
// left a socket or a file behind.
func (e *env) checkNoLeftovers() {
	if pids := fctest.ProcessesWith(e.dataDir); len(pids) > 0 {
		e.t.Errorf("processes left behind: %v", pids)
		for _, pid := range pids {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	for _, sub := range []string{"sockets", "vms", "snapshots"} {
		entries, _ := os.ReadDir(filepath.Join(e.dataDir, sub))
		for _, en := range entries {
			e.t.Errorf("left behind: %s/%s", sub, en.Name())
		}
	}
}

// simArgs returns the flags that run the simulator as Firecracker version v.
func simArgs(t *testing.T, v string) []string {
	return []string{"--firecracker", fctest.SimBinary(t), "--firecracker-arg", "--sim-version",
		"--firecracker-arg", v}
}

// kernel writes the tiny guest into dir and returns its path.
func kernel(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "tinyguest.elf")
	if err := os.WriteFile(p, guest.ELF, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// wantError checks that a failed run printed "error: CODE: ..." and a hint, and no Go
// stack trace.
func wantError(t *testing.T, r result, status int, code string) {
	t.Helper()
	if r.status != status {
		t.Errorf("exit status %d, want %d", r.status, status)
	}
	if !strings.HasPrefix(r.stderr, "error: "+code+": ") && !strings.Contains(r.stderr,
		"\nerror: "+code+": ") {
		t.Errorf("stderr lacks \"error: %s: \":\n%s", code, r.stderr)
	}
	if !strings.Contains(r.stderr, "\nhint: ") {
		t.Errorf("stderr lacks a hint line:\n%s", r.stderr)
	}
	if strings.Contains(r.stderr, "goroutine ") || strings.Contains(r.stderr, "panic:") {
		t.Errorf("stderr holds a Go stack trace:\n%s", r.stderr)
	}
}

// pty is the master side of a pseudo-terminal with everything read from it kept.
type pty struct {
	master, slave *os.File
	mu            sync.Mutex
	out           bytes.Buffer
	changed       chan struct{}
}

// openPTY opens a pseudo-terminal pair through /dev/ptmx and starts reading the master.
func openPTY(t *testing.T) *pty {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals: %v", err)
	}
	fd := int(m.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatalf("unlock pty: %v", err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("pty number: %v", err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open pty slave: %v", err)
	}
	p := &pty{master: m, slave: s, changed: make(chan struct{}, 1)}
	go p.read()
	t.Cleanup(func() {
		s.Close()
		m.Close()
	})
	return p
}

func (p *pty) read() {
	buf := make([]byte, 4096)
	for {
		n, err := p.master.Read(buf)
		p.mu.Lock()
		p.out.Write(buf[:n])
		p.mu.Unlock()
		select {
		case p.changed <- struct{}{}:
		default:
		}
		if err != nil {
			return
		}
	}
}

// String returns everything read so far.
func (p *pty) String() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// waitFor waits until the output contains s.
func (p *pty) waitFor(t *testing.T, s string) {
	t.Helper()
	deadline := time.After(cmdTimeout)
	for !strings.Contains(p.String(), s) {
		select {
		case <-p.changed:
		case <-deadline:
			t.Fatalf("terminal never showed %q; it shows:\n%s", s, p.String())
		}
	}
}

// attach makes the slave the command's controlling terminal and its stdin and stdout.
func (p *pty) attach(cmd *exec.Cmd) {
	cmd.Stdin, cmd.Stdout = p.slave, p.slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
}

// canonical reports whether the terminal is in canonical (cooked) mode with echo.
func (p *pty) canonical(t *testing.T) bool {
	t.Helper()
	tio, err := unix.IoctlGetTermios(int(p.slave.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	return tio.Lflag&unix.ICANON != 0 && tio.Lflag&unix.ECHO != 0
}
