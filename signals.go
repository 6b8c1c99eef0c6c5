package smartvm

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// CleanupOnSignal is opt-in crash safety for programs that own their VMs: when one of
// sigs (default SIGINT and SIGTERM) arrives, it stops every VM (waiting at most
// Options.StopGrace plus a second), cleans everything up, and then re-raises the signal
// with its default action, so the process ends as it would have. The returned function
// uninstalls the handler. Firecracker processes die with their manager even without
// this (see package proc); this also removes sockets, files, TAPs and NAT rules.
func (s *SmartVM) CleanupOnSignal(sigs ...os.Signal) (stop func()) {
	if len(sigs) == 0 {
		sigs = []os.Signal{syscall.SIGINT, syscall.SIGTERM}
	}
	ch := make(chan os.Signal, 1)
	done := make(chan struct{})
	signal.Notify(ch, sigs...)
	go func() {
		select {
		case sig := <-ch:
			s.opts.Logger.Warn("signal received, cleaning up all VMs", "signal", sig)
			ctx, cancel := context.WithTimeout(context.Background(),
				s.opts.StopGrace+5*time.Second)
			s.StopAll(ctx)
			s.Cleanup(ctx)
			cancel()
			signal.Reset(sig)
			if p, err := os.FindProcess(os.Getpid()); err == nil {
				p.Signal(sig)
			}
		case <-done:
		}
	}()
	return func() {
		signal.Stop(ch)
		select {
		case <-done:
		default:
			close(done)
		}
	}
}
