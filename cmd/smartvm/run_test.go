package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"code.foss.global/push.rocks/smartvm/internal/fctest"
)

// runInPTY runs `smartvm run` with a pseudo-terminal as its stdin and stdout, waits for
// three ticks, checks that the terminal is in raw mode, types a key and Ctrl-C, and
// checks the exit status, the restored terminal and that nothing is left behind.
func runInPTY(t *testing.T, fcArgs []string) {
	e := newEnv(t)
	p := openPTY(t)
	args := append([]string{"run", "--kernel", kernel(t, e.dataDir)}, fcArgs...)
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	cmd := e.command(ctx, args...)
	p.attach(cmd)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p.waitFor(t, "tick 3")
	if p.canonical(t) {
		t.Error("the terminal is not in raw mode while the VM runs")
	}
	p.master.Write([]byte("x"))
	sent := time.Now()
	p.master.Write([]byte{0x03})
	status := exitCode(t, cmd.Wait())
	t.Logf("exited %v after Ctrl-C\nterminal:\n%s\nstderr:\n%s", time.Since(sent), p.String(),
		stderr.String())
	if status != 0 {
		t.Errorf("exit status %d after Ctrl-C, want 0", status)
	}
	if !p.canonical(t) {
		t.Error("the terminal was not restored to canonical mode")
	}
	if !strings.Contains(stderr.String(), "Ctrl-C: stopping VM") {
		t.Errorf("stderr does not mention the stop:\n%s", stderr.String())
	}
	if !strings.Contains(p.String(), "smartvm tiny guest\r\n") {
		t.Errorf("the guest's \\n was not turned into \\r\\n:\n%q", p.String())
	}
}

func TestRunCtrlCInTerminal(t *testing.T) {
	for _, v := range fctest.SimVersions {
		t.Run("sim-"+v, func(t *testing.T) {
			t.Parallel()
			runInPTY(t, simArgs(t, v))
		})
	}
}

// startRun starts `smartvm run` without a terminal and waits until the guest ticks.
func startRun(t *testing.T, e *env, args ...string) (*exec.Cmd, *syncBuffer, *bytes.Buffer) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	t.Cleanup(cancel)
	cmd := e.command(ctx, args...)
	out, errb := &syncBuffer{}, &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = out, errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(cmdTimeout)
	for !strings.Contains(out.String(), "tick 2\n") {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("no ticks; stdout:\n%s\nstderr:\n%s", out.String(), errb.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return cmd, out, errb
}

func TestRunSignals(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			args := append([]string{"run", "--kernel", kernel(t, e.dataDir)},
				simArgs(t, "1.16.1")...)
			cmd, out, errb := startRun(t, e, args...)
			cmd.Process.Signal(sig)
			if status := exitCode(t, cmd.Wait()); status != 0 {
				t.Errorf("exit status %d after %v, want 0\nstderr:\n%s", status, sig, errb)
			}
			if !strings.HasSuffix(out.String(), "bye\n") {
				t.Errorf("the guest did not shut down; stdout:\n%s", out.String())
			}
		})
	}
}

// TestRunKilledWhenGuestIgnoresStop: a guest that ignores Ctrl-Alt-Del is terminated
// after --stop-timeout and run exits with 130.
func TestRunKilledWhenGuestIgnoresStop(t *testing.T) {
	e := newEnv(t)
	args := append([]string{"run", "--kernel", kernel(t, e.dataDir), "--stop-timeout",
		"300ms", "--firecracker-arg", "--sim-ignore-ctrl-alt-del"}, simArgs(t, "1.14.2")...)
	cmd, _, errb := startRun(t, e, args...)
	cmd.Process.Signal(syscall.SIGTERM)
	if status := exitCode(t, cmd.Wait()); status != 130 {
		t.Errorf("exit status %d, want 130\nstderr:\n%s", status, errb)
	}
	if !strings.Contains(errb.String(), "Firecracker was terminated") {
		t.Errorf("stderr does not say the VM was terminated:\n%s", errb)
	}
}

// TestRunReportsFirecrackerExitStatus: when Firecracker dies by itself, run exits with
// its status (128+signal) and says so.
func TestRunReportsFirecrackerExitStatus(t *testing.T) {
	e := newEnv(t)
	args := append([]string{"run", "--kernel", kernel(t, e.dataDir)}, simArgs(t, "1.7.0")...)
	cmd, _, errb := startRun(t, e, args...)
	pids := fctest.ProcessesWith(e.dataDir)
	var fc []int
	for _, pid := range pids {
		if pid != cmd.Process.Pid {
			fc = append(fc, pid)
		}
	}
	if len(fc) != 1 {
		t.Fatalf("want one Firecracker process, found %v", fc)
	}
	syscall.Kill(fc[0], syscall.SIGKILL)
	status := exitCode(t, cmd.Wait())
	if status != 128+int(syscall.SIGKILL) {
		t.Errorf("exit status %d, want %d", status, 128+int(syscall.SIGKILL))
	}
	wantError(t, result{stderr: errb.String(), status: status}, status, "PROCESS_EXITED")
}

func TestRunSeedConfigFile(t *testing.T) {
	e := newEnv(t)
	cfg := `{"id": "seeded", "bootSource": {"kernelImagePath": "` + kernel(t, e.dataDir) +
		`", "bootArgs": "console=ttyS0"}, "machineConfig": {"vcpuCount": 1, "memSizeMib": 64}}`
	file := filepath.Join(e.dataDir, "vm.json")
	if err := os.WriteFile(file, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"run", "--config", file, "--memory", "96"}, simArgs(t, "1.16.1")...)
	cmd, _, errb := startRun(t, e, args...)
	// The VM id comes from the file: its socket is named after it.
	if _, err := os.Stat(filepath.Join(e.dataDir, "sockets", "seeded.sock")); err != nil {
		t.Errorf("no socket for the config file's id: %v", err)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	if status := exitCode(t, cmd.Wait()); status != 0 {
		t.Errorf("exit status %d\nstderr:\n%s", status, errb)
	}
}

func TestRunConfigErrors(t *testing.T) {
	e := newEnv(t)
	bad := filepath.Join(e.dataDir, "bad.json")
	os.WriteFile(bad, []byte(`{"bootSource": {"kernelPath": "/x"}}`), 0o600)
	sim := simArgs(t, "1.16.1")
	r := e.run(append([]string{"run", "--config", bad}, sim...)...)
	wantError(t, r, 1, "INVALID_CONFIG")
	if !strings.Contains(r.stderr, "kernelPath") {
		t.Errorf("the unknown key is not named:\n%s", r.stderr)
	}
	r = e.run(append([]string{"run", "--kernel", "/nonexistent/vmlinux"}, sim...)...)
	wantError(t, r, 1, "INVALID_CONFIG")
	if !strings.Contains(r.stderr, "bootSource.kernelImagePath") {
		t.Errorf("the bad field is not named:\n%s", r.stderr)
	}
}

// syncBuffer is a bytes.Buffer safe for one writer and concurrent readers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestRunSecondCtrlCKills: when the guest ignores the stop request, a second Ctrl-C
// kills the VM at once instead of waiting out --stop-timeout.
func TestRunSecondCtrlCKills(t *testing.T) {
	e := newEnv(t)
	p := openPTY(t)
	args := append([]string{"run", "--kernel", kernel(t, e.dataDir), "--stop-timeout", "1h",
		"--firecracker-arg", "--sim-ignore-ctrl-alt-del"}, simArgs(t, "1.16.1")...)
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	cmd := e.command(ctx, args...)
	p.attach(cmd)
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p.waitFor(t, "tick 1")
	p.master.Write([]byte{0x03})
	for !strings.Contains(stderr.String(), "Ctrl-C: stopping") {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(400 * time.Millisecond) // past the window in which repeats are ignored
	p.master.Write([]byte{0x03})
	if status := exitCode(t, cmd.Wait()); status != 130 {
		t.Errorf("exit status %d, want 130\nstderr:\n%s", status, stderr)
	}
	if !strings.Contains(stderr.String(), "killing VM") {
		t.Errorf("stderr does not say the VM is killed:\n%s", stderr)
	}
}

// TestRunNetInNamespace boots with --net inside a new network namespace, so that the
// bridge, TAP and NAT rules smartvm creates vanish with it, and checks that the VM's
// lease is released.
func TestRunNetInNamespace(t *testing.T) {
	unshare, err := exec.LookPath("unshare")
	if err != nil || os.Geteuid() != 0 {
		t.Skip("needs root and unshare(1) to make a network namespace")
	}
	e := newEnv(t)
	args := append([]string{"-n", smartvmBin(t), "run", "--net", "--log-level", "info",
		"--kernel", kernel(t, e.dataDir)}, simArgs(t, "1.14.2")...)
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, unshare, args...)
	cmd.Env = e.vars
	out, errb := &syncBuffer{}, &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for !strings.Contains(out.String(), "tick 2\n") && ctx.Err() == nil {
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	if status := exitCode(t, cmd.Wait()); status != 0 {
		t.Fatalf("exit status %d\nstderr:\n%s", status, errb)
	}
	if !strings.Contains(errb.String(), "tap attached") {
		t.Errorf("no TAP was attached:\n%s", errb)
	}
	data, err := os.ReadFile(filepath.Join(e.dataDir, "network", "leases.json"))
	var leases struct {
		VMs map[string]any `json:"vms"`
	}
	if err == nil {
		err = json.Unmarshal(data, &leases)
	}
	if err != nil || len(leases.VMs) != 0 {
		t.Errorf("lease not released (%v):\n%s", err, data)
	}
}
