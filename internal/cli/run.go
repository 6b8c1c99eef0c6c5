package cli

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	smartvm "code.foss.global/push.rocks/smartvm"
	"code.foss.global/push.rocks/smartvm/config"
	"code.foss.global/push.rocks/smartvm/errdefs"
)

// runFlags are all flags of `run`.
type runFlags struct {
	vm          vmFlags
	fc          fcFlags
	stopTimeout time.Duration
}

const runLong = `Boot a microVM in the foreground with its serial console on this terminal.

Everything typed goes to the guest's serial port (the terminal is put into raw mode),
except Ctrl-C, which never reaches the guest: it asks the guest to shut down
(Ctrl-Alt-Del), waits --stop-timeout, then terminates Firecracker. A second Ctrl-C
kills it at once. SIGINT, SIGTERM and SIGHUP do the same as Ctrl-C. When the VM is
gone, its socket, files, TAP devices and address lease are removed; the bridge that
--net creates stays for the next VM.

Without --kernel, run uses the quickstart kernel and Ubuntu rootfs from Firecracker's
CI bucket, downloaded once into the data directory; that rootfs is a read-only
squashfs. The Firecracker binary is --firecracker, else $SMARTVM_FIRECRACKER, else
the cached release, else firecracker on PATH, else a download of the release.

Exit status:
  0    the guest shut down and Firecracker exited cleanly, also after Ctrl-C
  1    smartvm failed (the message says why); nothing is left running
  2    wrong command line
  130  interrupted, and the guest did not shut down in time, so Firecracker was
       terminated (or the interrupt came while the VM was starting)
  N    Firecracker exited by itself with failure status N (128+signal if killed)`

func (a *app) runCommand() *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "run [flags]",
		Short: "Boot a microVM with its console on this terminal",
		Long:  runLong,
		Example: `  smartvm run
  smartvm run --kernel ./vmlinux --rootfs ./rootfs.ext4 --memory 512 --net
  smartvm run --config vm.json --vcpus 2`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.run(cmd, &f)
		},
	}
	f.vm.register(cmd.Flags())
	f.fc.register(cmd.Flags())
	for _, name := range []string{"kernel", "initrd", "rootfs", "drive", "firecracker"} {
		cmd.MarkFlagFilename(name)
	}
	cmd.MarkFlagFilename("config", "json")
	cmd.Flags().DurationVar(&f.stopTimeout, "stop-timeout", smartvm.DefaultStopGrace,
		"how long Ctrl-C waits for the guest to shut down before terminating Firecracker")
	return cmd
}

func (a *app) run(cmd *cobra.Command, f *runFlags) (err error) {
	ctx := cmd.Context()
	if f.stopTimeout <= 0 {
		return usageError("--stop-timeout must be positive")
	}
	cfg, bin, err := a.prepareRun(ctx, cmd, f)
	if err != nil {
		return err
	}
	svm, err := smartvm.New(smartvm.Options{DataDir: a.dataDir,
		FirecrackerBinaryPath: bin.Path, FirecrackerArgs: f.fc.args, Logger: a.log,
		StopGrace: f.stopTimeout})
	if err != nil {
		return err
	}
	tty, err := openTerminal(a.stdin)
	if err != nil {
		return errdefs.Wrap(err, errdefs.InvalidConfig, "put the terminal into raw mode")
	}
	defer tty.Close()
	vm, err := svm.CreateVM(ctx, cfg, smartvm.WithConsoleInput(tty.Input()),
		smartvm.WithConsoleOutput(a.stdout))
	if err != nil {
		return err
	}
	defer func() {
		if cerr := vm.Cleanup(context.Background()); cerr != nil && err == nil {
			err = cerr
		}
	}()
	// Said before Start: once the VM runs, its console owns the terminal's lines.
	a.notef("starting VM %s; press Ctrl-C to stop it", vm.ID())
	if err := a.start(ctx, vm, tty); err != nil {
		return err
	}
	select {
	case <-vm.Exited():
		err := vm.Wait(context.Background())
		if err == nil {
			a.notef("VM %s exited: the guest shut down", vm.ID())
		}
		return exitResult(err)
	case why := <-tty.Interrupts():
		return a.stopVM(vm, tty, why)
	}
}

// prepareRun builds the VM config and finds Firecracker, downloading what is missing.
// Until the terminal takes over, SIGINT and SIGTERM cancel the downloads.
func (a *app) prepareRun(ctx context.Context, cmd *cobra.Command, f *runFlags) (*config.VM,
	fcBinary, error) {
	ctx, stop := interruptible(ctx)
	defer stop()
	cfg, err := f.vm.buildConfig(ctx, cmd.Flags(), a.imageManager(true))
	if err != nil {
		return nil, fcBinary{}, err
	}
	if err := cfg.Validate(); err != nil { // before a Firecracker download, not after
		return nil, fcBinary{}, err
	}
	bin, err := a.findFirecracker(ctx, f.fc, true)
	if err != nil {
		return nil, fcBinary{}, err
	}
	a.log.Info("using firecracker", "path", bin.Path, "version", bin.Version,
		"source", bin.Source)
	return cfg, bin, nil
}

// repeatWindow is how soon after the first interrupt a second one counts as a repeat of
// the first (tools such as timeout(1) signal a whole process group) rather than a
// request to kill.
const repeatWindow = 250 * time.Millisecond

// start boots vm; an interrupt while it starts cancels the start.
func (a *app) start(ctx context.Context, vm *smartvm.MicroVM, tty *terminal) error {
	startCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var interrupted atomic.Bool
	done := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		select {
		case <-tty.Interrupts():
			interrupted.Store(true)
			cancel()
		case <-done:
		}
	}()
	err := vm.Start(startCtx)
	close(done)
	<-watched
	if interrupted.Load() {
		a.notef("interrupted while starting; VM %s removed", vm.ID())
		return withStatus(ExitKilled, nil)
	}
	return err
}

// stopVM stops vm after an interrupt: Ctrl-Alt-Del, then the escalation of
// MicroVM.Stop; a second interrupt kills at once.
func (a *app) stopVM(vm *smartvm.MicroVM, tty *terminal, why string) error {
	a.notef("%s: stopping VM %s (Ctrl-C again to kill it now)", why, vm.ID())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stopped := make(chan struct{})
	first := time.Now()
	go func() {
		for {
			select {
			case <-tty.Interrupts():
				if time.Since(first) < repeatWindow {
					continue // the same signal sent to the whole process group, say
				}
				a.notef("killing VM %s", vm.ID())
				cancel()
				return
			case <-stopped:
				return
			}
		}
	}()
	err := vm.Stop(ctx)
	close(stopped)
	if err != nil {
		return err
	}
	if werr := vm.Wait(context.Background()); werr != nil {
		a.notef("the guest did not shut down in time; Firecracker was terminated")
		return withStatus(ExitKilled, nil)
	}
	a.notef("VM %s stopped", vm.ID())
	return nil
}

// exitResult turns the result of Wait on a VM that ended by itself into the exit
// status: 0 for a clean exit, else Firecracker's status with the error printed.
func exitResult(err error) error {
	if err == nil {
		return nil
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return err
	}
	status := ee.ExitCode()
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		status = 128 + int(ws.Signal())
	}
	if status <= 0 {
		status = ExitError
	}
	return withStatus(status, err)
}

// notef prints a status line of smartvm's own on stderr.
func (a *app) notef(format string, args ...any) {
	fmt.Fprintf(a.stderr, "smartvm: "+format+"\n", args...)
}

// noArgs refuses positional arguments with a usage error.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageError("%s takes no arguments, got %q", cmd.CommandPath(), args[0])
	}
	return nil
}
