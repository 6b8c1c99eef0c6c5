package proc

import (
	"bytes"
	"os/exec"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestRingKeepsTail(t *testing.T) {
	r := NewRing(8)
	r.Write([]byte("abc"))
	r.Write([]byte("defghij"))
	if got := string(r.Bytes()); got != "cdefghij" {
		t.Fatalf("Bytes = %q, want the last 8 bytes", got)
	}
	r.Write(bytes.Repeat([]byte("x"), 20))
	if got := string(r.Bytes()); got != "xxxxxxxx" || r.Total() != 30 {
		t.Fatalf("after a long write: %q, total %d", got, r.Total())
	}
}

// TestStartFromExitingGoroutine starts a child from a locked goroutine that then exits:
// the child lives on in a process group of its own with SIGKILL as its parent-death
// signal. (Whether Go retires the exited goroutine's thread at once varies by release;
// the child does not depend on it, because the spawner's thread forked it. That the
// child dies with the whole process is shown by the root package's TestManagerKilled.)
func TestStartFromExitingGoroutine(t *testing.T) {
	cmd := exec.Command("sleep", "30")
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		runtime.LockOSThread() // never unlocked: the thread may exit with the goroutine
		if err := Start(cmd); err != nil {
			t.Error(err)
		}
	}()
	wg.Wait()
	if t.Failed() {
		return
	}
	defer cmd.Wait()
	defer cmd.Process.Kill()
	time.Sleep(200 * time.Millisecond) // let the exited goroutine's thread go
	if err := cmd.Process.Signal(syscall.Signal(0)); err != nil {
		t.Fatalf("child died with the starting goroutine's thread: %v", err)
	}
	pgid, err := syscall.Getpgid(cmd.Process.Pid)
	if err != nil || pgid != cmd.Process.Pid {
		t.Fatalf("child process group = %d, %v; want its own (%d)", pgid, err,
			cmd.Process.Pid)
	}
	if cmd.SysProcAttr.Pdeathsig != syscall.SIGKILL {
		t.Fatalf("Pdeathsig = %v", cmd.SysProcAttr.Pdeathsig)
	}
}
