package smartvm

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"code.foss.global/push.rocks/smartvm/internal/proc"
)

// vmm is one running Firecracker process.
type vmm struct {
	cmd    *exec.Cmd
	stderr *proc.Ring
	exited chan struct{} // closed once the process is reaped
	err    error         // cmd.Wait's result; read only after exited is closed
	spawn  time.Time
}

type spawnSpec struct {
	binary  string
	args    []string
	env     []string
	stdin   io.Reader
	console *Console
}

// spawnVMM starts Firecracker with its stdout going to the console. The process is reaped
// by a goroutine that closes exited, then closes the console.
func spawnVMM(s spawnSpec) (*vmm, error) {
	cmd := exec.Command(s.binary, s.args...)
	cmd.Env = append(os.Environ(), s.env...)
	cmd.Stdin = s.stdin
	// A terminal reader never returns on its own; do not let it hold up the reaper.
	cmd.WaitDelay = 500 * time.Millisecond
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("console pipe: %w", err)
	}
	v := &vmm{cmd: cmd, stderr: proc.NewRing(8 << 10), exited: make(chan struct{})}
	cmd.Stderr = v.stderr
	v.spawn = time.Now()
	if err := proc.Start(cmd); err != nil {
		return nil, fmt.Errorf("spawn %s: %w", s.binary, err)
	}
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		io.Copy(s.console, stdout)
	}()
	go func() {
		<-copied // Wait must not run before the pipe is drained
		v.err = cmd.Wait()
		s.console.close()
		close(v.exited)
	}()
	return v, nil
}

func (v *vmm) pid() int { return v.cmd.Process.Pid }

// alive reports whether the process has not been reaped yet.
func (v *vmm) alive() bool {
	select {
	case <-v.exited:
		return false
	default:
		return true
	}
}

// signal sends sig to the process; an already reaped process is not an error.
func (v *vmm) signal(sig syscall.Signal) error {
	err := v.cmd.Process.Signal(sig)
	if err == nil || errors.Is(err, os.ErrProcessDone) {
		return nil
	}
	return err
}

// waitExit waits up to d for the process to be reaped.
func (v *vmm) waitExit(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-v.exited:
		return true
	case <-t.C:
		return false
	}
}

// kill sends SIGKILL and waits for the reaper. A process stuck in the kernel may take a
// moment; kill gives up after 10 s rather than hang.
func (v *vmm) kill() {
	v.signal(syscall.SIGKILL)
	v.waitExit(10 * time.Second)
}

// stderrTail returns the last lines Firecracker wrote to stderr.
func (v *vmm) stderrTail() string {
	return strings.TrimSpace(string(v.stderr.Bytes()))
}

// exitStatus describes how the process ended; call after exited is closed.
func (v *vmm) exitStatus() string {
	if v.err == nil {
		return "exit status 0"
	}
	return v.err.Error()
}
