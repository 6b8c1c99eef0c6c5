package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"

	smartvm "code.foss.global/push.rocks/smartvm"
	"code.foss.global/push.rocks/smartvm/config"
	"code.foss.global/push.rocks/smartvm/errdefs"
	"code.foss.global/push.rocks/smartvm/images"
	"code.foss.global/push.rocks/smartvm/internal/guest"
)

// demoWait bounds each wait for the guest's console.
const demoWait = 30 * time.Second

// demoMemory is the demo VM's memory in MiB, and so the size of its snapshot.
const demoMemory = 128

const demoLong = `Boot smartvm's built-in tiny guest (a few hundred bytes of x86-64 code that prints
"tick N" lines), then pause it, snapshot it, restore the snapshot into a new VM, show
the counter continuing where it stopped, stop that VM gracefully and print how long
each step took. It needs only a Firecracker binary and /dev/kvm: no kernel, no
rootfs, no network. It leaves no process, socket or file behind.`

// demo is one run of the demo: its files, its VMs and its measurements.
type demo struct {
	a      *app
	svm    *smartvm.SmartVM
	dir    string // <data-dir>/snapshots/demo-<id>
	id     string
	kernel string
	rows   []timingRow
}

// timingRow is one line of the timing table.
type timingRow struct {
	step string
	d    time.Duration
}

func (a *app) demoCommand() *cobra.Command {
	var fc fcFlags
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Boot, pause, snapshot and restore a built-in tiny guest (offline)",
		Long:  demoLong,
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := interruptible(cmd.Context())
			defer stop()
			err := a.runDemo(ctx, fc)
			if err != nil && ctx.Err() != nil && cmd.Context().Err() == nil {
				a.notef("interrupted; the demo's VMs and files were removed")
				return withStatus(ExitKilled, nil)
			}
			return err
		},
	}
	fc.register(cmd.Flags())
	return cmd
}

func (a *app) runDemo(ctx context.Context, fc fcFlags) (err error) {
	if images.HostArch() != "x86_64" {
		return errdefs.New(errdefs.InvalidConfig,
			"the demo guest is x86_64 code; this host is %s", images.HostArch())
	}
	bin, err := a.findFirecracker(ctx, fc, true)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "Firecracker %s: %s\n", bin.Version, bin.Path)
	svm, err := smartvm.New(smartvm.Options{DataDir: a.dataDir,
		FirecrackerBinaryPath: bin.Path, FirecrackerArgs: fc.args, Logger: a.log})
	if err != nil {
		return err
	}
	short := uuid.NewString()[:8]
	d := &demo{a: a, svm: svm, id: "demo-" + short,
		dir: filepath.Join(images.SnapshotsDir(a.dataDir), "demo-"+short)}
	defer func() {
		err = errors.Join(err, d.cleanup())
	}()
	if err := d.writeKernel(); err != nil {
		return err
	}
	last, err := d.bootAndSnapshot(ctx)
	if err != nil {
		return err
	}
	if err := d.restore(ctx, last); err != nil {
		return err
	}
	d.printTimings()
	return nil
}

// writeKernel writes the embedded guest into the demo's directory.
func (d *demo) writeKernel() error {
	if err := os.MkdirAll(d.dir, 0o700); err != nil {
		return errdefs.Wrap(err, errdefs.InvalidConfig, "create %s", d.dir)
	}
	d.kernel = filepath.Join(d.dir, "tinyguest.elf")
	if err := os.WriteFile(d.kernel, guest.ELF, 0o600); err != nil {
		return errdefs.Wrap(err, errdefs.InvalidConfig, "write the demo guest")
	}
	return nil
}

// config is the tiny guest's VM config.
func (d *demo) config(suffix string) *config.VM {
	return &config.VM{ID: d.id + "-" + suffix,
		BootSource:    config.BootSource{KernelImagePath: d.kernel, BootArgs: "console=ttyS0"},
		MachineConfig: config.MachineConfig{VcpuCount: 1, MemSizeMib: demoMemory}}
}

// bootAndSnapshot boots VM A, waits for three ticks, pauses it, snapshots it and
// discards it. It returns the last tick before the snapshot.
func (d *demo) bootAndSnapshot(ctx context.Context) (int, error) {
	out := newPrefixWriter(d.a.stdout, "  A | ")
	vmA, err := d.svm.CreateVM(ctx, d.config("a"), smartvm.WithConsoleOutput(out))
	if err != nil {
		return 0, err
	}
	defer vmA.Cleanup(context.Background())
	d.step("booting VM A (%s, %d MiB) from the embedded tiny guest", vmA.ID(), demoMemory)
	if err := vmA.Start(ctx); err != nil {
		return 0, err
	}
	if err := waitTicks(ctx, vmA, 3); err != nil {
		return 0, err
	}
	d.bootTimings(ctx, vmA)

	t0 := time.Now()
	if err := vmA.Pause(ctx); err != nil {
		return 0, err
	}
	d.record("pause", time.Since(t0))
	paused, _ := guest.LastTick(vmA.Console().Bytes())
	d.step("paused VM A at tick %d; waiting 1 s", paused)
	if err := sleep(ctx, time.Second); err != nil {
		return 0, err
	}
	last, _ := guest.LastTick(vmA.Console().Bytes())
	if last > paused+1 { // one tick may have been on its way when Pause returned
		return 0, errdefs.New(errdefs.InvalidState,
			"VM A kept ticking while paused: tick %d, then %d", paused, last)
	}
	d.step("no ticks while paused (still at tick %d)", last)

	p := smartvm.SnapshotParams{SnapshotPath: filepath.Join(d.dir, "vm.snap"),
		MemFilePath: filepath.Join(d.dir, "vm.mem"), Type: smartvm.SnapshotFull}
	t0 = time.Now()
	if _, err := vmA.CreateSnapshot(ctx, p); err != nil {
		return 0, err
	}
	d.record(fmt.Sprintf("snapshot create (Full, %d MiB)", demoMemory), time.Since(t0))
	d.step("snapshot written to %s", d.dir)
	out.mute()
	if err := vmA.Cleanup(ctx); err != nil {
		return 0, err
	}
	d.step("VM A discarded")
	return last, nil
}

// bootTimings records the steps of VM A's Start.
func (d *demo) bootTimings(ctx context.Context, vm *smartvm.MicroVM) {
	t := vm.Timings()
	d.record("spawn Firecracker", t.Spawn)
	d.record("spawn → API socket ready", t.SocketReady)
	d.record("configuration calls", t.Config)
	d.record("InstanceStart call", t.InstanceStart)
	if first, err := vm.FirstConsoleByteAfter(ctx); err == nil {
		d.record("InstanceStart → first console byte",
			first-(t.Spawn+t.SocketReady+t.Config))
	}
}

// restore loads the snapshot into VM B, checks that the counter continues after last,
// and stops VM B gracefully.
func (d *demo) restore(ctx context.Context, last int) error {
	d.step("restoring the snapshot into VM B (%s-b)", d.id)
	t0 := time.Now()
	vmB, err := d.svm.RestoreVM(ctx, d.id+"-b", smartvm.SnapshotLoadOptions{
		SnapshotPath: filepath.Join(d.dir, "vm.snap"), Resume: true},
		smartvm.WithConsoleOutput(newPrefixWriter(d.a.stdout, "  B | ")))
	if err != nil {
		return err
	}
	defer vmB.Cleanup(context.Background())
	loadedAt := time.Now()
	loaded := loadedAt.Sub(t0)
	t := vmB.Timings()
	d.record("restore: spawn → API socket ready", t.Spawn+t.SocketReady)
	d.record("restore: load snapshot and resume", t.Config)
	d.record("restore total (LoadSnapshot)", loaded)
	if err := waitTicks(ctx, vmB, 1); err != nil {
		return err
	}
	if fb := vmB.Console().FirstByte(); fb.After(loadedAt) {
		d.record("restore → first console byte", fb.Sub(loadedAt))
	}
	first, _ := firstTick(vmB.Console().Bytes())
	if first <= last {
		return errdefs.New(errdefs.SnapshotIncompatible,
			"VM B started counting at tick %d, not after %d", first, last)
	}
	if err := waitTicks(ctx, vmB, first+2); err != nil {
		return err
	}
	d.step("the counter continued: tick %d before the snapshot, tick %d after", last, first)
	return d.stop(ctx, vmB)
}

// stop stops vm gracefully and checks that the guest said goodbye and Firecracker
// exited with status 0.
func (d *demo) stop(ctx context.Context, vm *smartvm.MicroVM) error {
	d.step("stopping VM B (Ctrl-Alt-Del)")
	t0 := time.Now()
	if err := vm.Stop(ctx); err != nil {
		return err
	}
	d.record("graceful stop (Ctrl-Alt-Del → exit)", time.Since(t0))
	if err := vm.Wait(ctx); err != nil {
		return err
	}
	if err := vm.Console().WaitFor(ctx, guest.ByeLine+"\n"); err != nil {
		return errdefs.New(errdefs.ProcessExited,
			"VM B exited without the guest's %q line", guest.ByeLine)
	}
	d.step("VM B stopped cleanly: the guest said %q, Firecracker exited with status 0",
		guest.ByeLine)
	return vm.Cleanup(ctx)
}

// cleanup removes the demo's directory; the VMs clean up after themselves.
func (d *demo) cleanup() error {
	if err := os.RemoveAll(d.dir); err != nil {
		return errdefs.Wrap(err, errdefs.CleanupFailed, "remove %s", d.dir)
	}
	return nil
}

func (d *demo) step(format string, args ...any) {
	fmt.Fprintf(d.a.stdout, "==> "+format+"\n", args...)
}

func (d *demo) record(step string, dur time.Duration) {
	d.rows = append(d.rows, timingRow{step, dur})
}
