package smartvm_test

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"code.foss.global/push.rocks/smartvm"
	"code.foss.global/push.rocks/smartvm/internal/fctest"
)

// TestRestoreVM snapshots a paused VM and restores it with SmartVM.RestoreVM, which needs
// no config: the restored guest's counter goes on from where the original stopped.
func TestRestoreVM(t *testing.T) {
	for _, target := range fctest.Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			t.Parallel()
			rig := fctest.NewRig(t, target, smartvm.Options{})
			ctx := rig.Ctx(60 * time.Second)
			vm := rig.StartVM(ctx, rig.TinyVM())
			waitTick(t, vm, 2)
			if err := vm.Pause(ctx); err != nil {
				t.Fatal(err)
			}
			last := lastTick(vm)
			dir := t.TempDir()
			snap := smartvm.SnapshotParams{SnapshotPath: filepath.Join(dir, "vm.snap"),
				MemFilePath: filepath.Join(dir, "vm.mem")}
			if _, err := vm.CreateSnapshot(ctx, snap); err != nil {
				t.Fatal(err)
			}
			if err := vm.Cleanup(ctx); err != nil {
				t.Fatal(err)
			}
			restored, err := rig.SVM.RestoreVM(ctx, "restored",
				smartvm.SnapshotLoadOptions{SnapshotPath: snap.SnapshotPath, Resume: true})
			if err != nil {
				t.Fatal(err)
			}
			if got := waitTick(t, restored, last); got <= last {
				t.Fatalf("restored counter %d, want past %d", got, last)
			}
			if first := firstTick(restored); first != last+1 {
				t.Errorf("restored guest started at tick %d, want %d", first, last+1)
			}
			if err := restored.Stop(ctx); err != nil {
				t.Fatal(err)
			}
			if code, ok := restored.ExitCode(); !ok || code != 0 {
				t.Errorf("ExitCode = %d, %v; want 0, true", code, ok)
			}
		})
	}
}

// TestConsoleInputReader gives the VM a console input that never returns from Read (not
// a file): Stop and Wait must still return.
func TestConsoleInputReader(t *testing.T) {
	rig := fctest.NewRig(t, fctest.Targets(t)[0], smartvm.Options{})
	ctx := rig.Ctx(30 * time.Second)
	pr, pw := io.Pipe()
	defer pw.Close()
	vm := rig.StartVM(ctx, rig.TinyVM(), smartvm.WithConsoleInput(pr))
	waitTick(t, vm, 0)
	if err := vm.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := vm.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := vm.ExitCode(); !ok {
		t.Fatal("ExitCode not known after Wait")
	}
}

// firstTick returns the first tick the console shows.
func firstTick(vm *smartvm.MicroVM) int {
	var n int
	for _, line := range strings.Split(vm.Console().String(), "\n") {
		if _, err := fmt.Sscanf(line, "tick %d", &n); err == nil {
			return n
		}
	}
	return 0
}
