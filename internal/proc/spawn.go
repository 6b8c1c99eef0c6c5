// Package proc starts child processes that die with the current process.
//
// Linux's parent-death signal (PR_SET_PDEATHSIG, Go's SysProcAttr.Pdeathsig) is tied to the
// OS thread that forked the child, not to the process: if that thread exits, the child is
// killed even though the parent lives on. Go may retire a thread whenever a goroutine that
// locked it returns. So every child is forked from one goroutine that locks its thread and
// never returns; the thread then lives exactly as long as the process, and the children's
// SIGKILL fires when, and only when, the process dies — including by SIGKILL.
package proc

import (
	"os/exec"
	"runtime"
	"sync"
	"syscall"
)

type startReq struct {
	cmd  *exec.Cmd
	done chan error
}

var (
	once sync.Once
	reqs chan startReq
)

func spawner() {
	runtime.LockOSThread()
	// This goroutine never returns, so its thread is never retired.
	for r := range reqs {
		r.done <- r.cmd.Start()
	}
}

// Start starts cmd in its own process group with SIGKILL as its parent-death signal. The
// process group keeps a terminal's Ctrl-C away from the child, so that the caller decides
// how to stop it. cmd.SysProcAttr is replaced.
func Start(cmd *exec.Cmd) error {
	once.Do(func() {
		reqs = make(chan startReq)
		go spawner()
	})
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Setpgid:   true,
		Pdeathsig: syscall.SIGKILL,
	}
	done := make(chan error, 1)
	reqs <- startReq{cmd: cmd, done: done}
	return <-done
}
