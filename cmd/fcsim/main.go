// Command fcsim is a Firecracker simulator: it speaks Firecracker's API on a Unix socket,
// follows Firecracker's rules and error texts for a chosen release, and runs a simulated
// guest that prints the smartvm tiny guest's console output. It takes Firecracker's
// command-line flags plus --sim-* switches; run it with --help for the list.
package main

import (
	"context"
	"os"
	"syscall"
	"time"
	"unsafe"

	"code.foss.global/push.rocks/smartvm/simulator"
)

func main() {
	code, sig := simulator.Run(context.Background(), os.Args[1:], os.Getenv,
		os.Stdout, os.Stderr)
	if sig != 0 {
		dieBySignal(sig)
	}
	os.Exit(code)
}

// sigaction is the kernel's struct for rt_sigaction on linux/amd64 and arm64.
type sigaction struct {
	handler  uintptr
	flags    uint64
	restorer uintptr
	mask     uint64
}

// dieBySignal ends the process by sig with the default action, as Firecracker does when
// it aborts. The Go runtime's own handler is replaced first, since it would turn SIGABRT
// into a goroutine dump and exit status 2.
func dieBySignal(sig syscall.Signal) {
	act := sigaction{} // SIG_DFL
	_, _, _ = syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, uintptr(sig),
		uintptr(unsafe.Pointer(&act)), 0, 8, 0, 0)
	_ = syscall.Kill(os.Getpid(), sig)
	for { // the signal may arrive asynchronously
		time.Sleep(time.Second)
	}
}
