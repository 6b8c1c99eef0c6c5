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
	cmd.WaitDelay = 2 * time.Second // never let a stuck pipe hold up the reaper
	switch in := s.stdin.(type) {
	case nil:
	case *os.File:
		cmd.Stdin = in
	default:
		pr, err := pumpStdin(in)
		if err != nil {
			return nil, err
		}
		cmd.Stdin = pr
		defer pr.Close() // the child holds its own copy after Start
	}
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

// pumpStdin returns the read end of a pipe that a goroutine fills from r. os/exec would
// otherwise copy a reader that is not a file itself and make Wait wait for that copy,
// which never ends while the reader blocks (a terminal, say). The pump ends at the
// reader's next Read after the VMM has gone.
func pumpStdin(r io.Reader) (*os.File, error) {
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("console input pipe: %w", err)
	}
	go func() {
		io.Copy(pw, r)
		pw.Close()
	}()
	return pr, nil
}

// exitCode returns the exit status, or 128+signal for a killed process; call after
// exited is closed.
func (v *vmm) exitCode() int {
	var ee *exec.ExitError
	if v.err == nil {
		return 0
	}
	if errors.As(v.err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return ee.ExitCode()
	}
	return -1
}

// fileTail returns up to n bytes from the end of the regular file at path, or "".
func fileTail(path string, n int64) string {
	// Only a regular file: reading a FIFO (a user's logger may be one) could block.
	if fi, err := os.Lstat(path); err != nil || !fi.Mode().IsRegular() {
		return ""
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return ""
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > n {
		f.Seek(-n, io.SeekEnd)
	}
	data, _ := io.ReadAll(io.LimitReader(f, n))
	return strings.TrimSpace(string(data))
}
