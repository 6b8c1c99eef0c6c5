package simulator

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"code.foss.global/push.rocks/smartvm/api"
)

var (
	buildOnce sync.Once
	fcsimPath string
	buildErr  error
)

// fcsimBinary builds cmd/fcsim once per test run.
func fcsimBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "fcsim-test-")
		if err != nil {
			buildErr = err
			return
		}
		fcsimPath = filepath.Join(dir, "fcsim")
		goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
		out, err := exec.Command(goTool, "build", "-o", fcsimPath,
			"code.foss.global/push.rocks/smartvm/cmd/fcsim").CombinedOutput()
		if err != nil {
			buildErr = errors.New(string(out))
		}
	})
	if buildErr != nil {
		t.Fatalf("build fcsim: %v", buildErr)
	}
	return fcsimPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if fcsimPath != "" {
		_ = os.RemoveAll(filepath.Dir(fcsimPath))
	}
	os.Exit(code)
}

// proc is one fcsim process.
type proc struct {
	cmd            *exec.Cmd
	stdout, stderr *syncBuffer
	done           chan struct{}
	dir, sock      string
}

func startBinary(t *testing.T, env []string, args ...string) *proc {
	t.Helper()
	dir := t.TempDir()
	p := &proc{stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan struct{}),
		dir: dir, sock: filepath.Join(dir, "api.sock")}
	p.cmd = exec.Command(fcsimBinary(t), append([]string{"--api-sock", p.sock}, args...)...)
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.done
	})
	return p
}

func (p *proc) waitSocket(t *testing.T) *api.Client {
	t.Helper()
	if err := api.WaitSocket(context.Background(), p.sock, 10*time.Second, p.done); err != nil {
		t.Fatalf("socket: %v (stderr %q)", err, p.stderr.String())
	}
	return api.NewClient(p.sock)
}

func (p *proc) wait(t *testing.T) *os.ProcessState {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		t.Fatalf("process did not exit; stdout %q", p.stdout.String())
	}
	return p.cmd.ProcessState
}

func runBinary(t *testing.T, env []string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(fcsimBinary(t), args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errOut syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	return out.String(), errOut.String(), cmd.ProcessState.ExitCode()
}

func TestBinaryArguments(t *testing.T) {
	cases := []struct {
		env            []string
		args           []string
		stdout, stderr string
		code           int
	}{
		{nil, []string{"--version"}, "Firecracker v1.16.1\n\n", "", 0},
		{[]string{"SMARTVM_SIM_VERSION=1.7.0"}, []string{"--version"},
			"Firecracker v1.7.0\n\n", "", 0},
		{[]string{"SMARTVM_SIM_VERSION=1.7.0"}, []string{"--sim-version", "1.14.2", "--version"},
			"Firecracker v1.14.2\n\n", "", 0},
		{nil, []string{"--sim-version", "1.14.2", "--snapshot-version"}, "v8.0.0\n", "", 0},
		{nil, []string{"--api-sock=/x"}, "",
			"Error: ParseArguments(UnexpectedArgument(\"api-sock=/x\"))\n", 153},
		{nil, []string{"--id"}, "", "Error: ParseArguments(MissingValue(\"id\"))\n", 153},
		{nil, []string{"--no-api"}, "",
			"Error: ParseArguments(MissingArgument(\"config-file\"))\n", 153},
		{nil, []string{"--sim-version", "1.7.0", "--enable-pci"}, "",
			"Error: ParseArguments(UnexpectedArgument(\"enable-pci\"))\n", 153},
		{nil, []string{"--level", "loud", "--sim-no-socket"}, "",
			"Error: InvalidLogLevel(LevelFilterFromStrError(\"loud\"))\n", 152},
	}
	for _, c := range cases {
		out, errOut, code := runBinary(t, c.env, c.args...)
		if out != c.stdout || errOut != c.stderr || code != c.code {
			t.Errorf("%v %v: got (%q, %q, %d), want (%q, %q, %d)", c.env, c.args, out, errOut,
				code, c.stdout, c.stderr, c.code)
		}
	}
}

var consoleLine = regexp.MustCompile(`^(smartvm tiny guest|tick [1-9][0-9]*|bye)$`)

func TestBinaryLifecycleAndSignals(t *testing.T) {
	kernel := fakeKernel(t, t.TempDir())
	for _, viaCAD := range []bool{true, false} {
		p := startBinary(t, []string{"SMARTVM_SIM_TICK=20ms"}, "--log-path",
			filepath.Join(t.TempDir(), "log"))
		c := p.waitSocket(t)
		ctx := context.Background()
		if err := c.Put(ctx, "/boot-source", map[string]string{
			"kernel_image_path": kernel}); err != nil {
			t.Fatal(err)
		}
		start := map[string]string{"action_type": "InstanceStart"}
		if err := c.Put(ctx, "/actions", start); err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(10 * time.Second); !strings.Contains(
			p.stdout.String(), "tick 2\n"); time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("no ticks on stdout: %q", p.stdout.String())
			}
		}
		if viaCAD {
			_ = c.Put(ctx, "/actions", map[string]string{"action_type": "SendCtrlAltDel"})
			st := p.wait(t)
			if st.ExitCode() != 0 || !strings.HasSuffix(p.stdout.String(), "\nbye\n") {
				t.Fatalf("after Ctrl-Alt-Del: %v, stdout %q", st, p.stdout.String())
			}
		} else {
			_ = p.cmd.Process.Signal(syscall.SIGTERM)
			st := p.wait(t).Sys().(syscall.WaitStatus)
			if !st.Signaled() || st.Signal() != syscall.SIGTERM {
				t.Fatalf("SIGTERM: wait status %v, want killed by SIGTERM", st)
			}
		}
		for _, l := range strings.Split(strings.TrimSuffix(p.stdout.String(), "\n"), "\n") {
			if !consoleLine.MatchString(l) {
				t.Fatalf("stdout carries a non-guest line %q", l)
			}
		}
		if !socketExists(p.sock) {
			t.Fatalf("API socket removed on exit")
		}
	}
}

func TestBinaryFailureExits(t *testing.T) {
	p := startBinary(t, []string{"SMARTVM_SIM_CRASH_AT=1"})
	c := p.waitSocket(t)
	if err := c.Get(context.Background(), "/", nil); err == nil {
		t.Fatalf("the crashing request was answered")
	}
	if st := p.wait(t); st.ExitCode() != 1 || !strings.Contains(p.stderr.String(),
		"simulated crash") {
		t.Fatalf("crash-at: %v, stderr %q", st, p.stderr.String())
	}

	kernel := fakeKernel(t, t.TempDir())
	p = startBinary(t, nil, "--sim-version", "1.7.0")
	c = p.waitSocket(t)
	ctx := context.Background()
	for _, step := range []struct {
		path string
		body any
	}{{"/boot-source", map[string]string{"kernel_image_path": kernel}},
		{"/balloon", map[string]any{"amount_mib": 0, "deflate_on_oom": false,
			"stats_polling_interval_s": 1}},
		{"/actions", map[string]string{"action_type": "InstanceStart"}}} {
		if err := c.Put(ctx, step.path, step.body); err != nil {
			t.Fatal(err)
		}
	}
	_ = c.Patch(ctx, "/balloon/statistics", map[string]int{"stats_polling_interval_s": 5})
	st := p.wait(t).Sys().(syscall.WaitStatus)
	if !st.Signaled() || st.Signal() != syscall.SIGABRT {
		t.Fatalf("1.7.0 balloon statistics panic: wait status %v, want SIGABRT", st)
	}
}
