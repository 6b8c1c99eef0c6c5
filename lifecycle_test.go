package smartvm_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"code.foss.global/push.rocks/smartvm"
	"code.foss.global/push.rocks/smartvm/internal/fctest"
	"code.foss.global/push.rocks/smartvm/internal/guest"
)

// waitTick waits until the console shows a tick above n and returns the last tick.
func waitTick(t *testing.T, vm *smartvm.MicroVM, n int) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	var last int
	err := vm.Console().WaitFunc(ctx, func(b []byte) bool {
		last, _ = guest.LastTick(b)
		return last > n
	})
	if err != nil {
		t.Fatalf("no tick after %d: %v; console %q", n, err, vm.Console().String())
	}
	return last
}

func lastTick(vm *smartvm.MicroVM) int {
	n, _ := guest.LastTick(vm.Console().Bytes())
	return n
}

// TestLifecycle boots the tiny guest, pauses, resumes and stops it gracefully on every
// target, then checks that nothing is left behind (the rig checks processes and files).
func TestLifecycle(t *testing.T) {
	for _, target := range fctest.Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			t.Parallel()
			testLifecycle(t, target)
		})
	}
}

func testLifecycle(t *testing.T, target fctest.Target) {
	rig := fctest.NewRig(t, target, smartvm.Options{})
	ctx := rig.Ctx(60 * time.Second)
	vm := rig.StartVM(ctx, rig.TinyVM())
	if vm.State() != smartvm.StateRunning {
		t.Fatalf("state after Start = %s", vm.State())
	}
	if err := vm.Console().WaitFor(ctx, guest.Banner+"\n"); err != nil {
		t.Fatalf("no banner: %v", err)
	}
	if got := vm.Version(); got != target.Version {
		t.Errorf("Version() = %s, want %s", got, target.Version)
	}
	waitTick(t, vm, 1)

	if err := vm.Pause(ctx); err != nil {
		t.Fatal(err)
	}
	paused := lastTick(vm)
	time.Sleep(1200 * time.Millisecond)
	if got := lastTick(vm); got != paused {
		t.Fatalf("ticks went on while paused: %d → %d", paused, got)
	}
	info, err := vm.GetInfo(ctx)
	if err != nil || info.State != "Paused" {
		t.Fatalf("GetInfo while paused = %+v, %v", info, err)
	}
	if err := vm.Pause(ctx); err != nil {
		t.Fatalf("second Pause: %v", err)
	}
	if err := vm.Resume(ctx); err != nil {
		t.Fatal(err)
	}
	waitTick(t, vm, paused)

	if err := vm.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := vm.Wait(ctx); err != nil {
		t.Fatalf("firecracker did not exit cleanly: %v", err)
	}
	if !strings.Contains(vm.Console().String(), guest.ByeLine+"\n") {
		t.Errorf("guest did not see Ctrl-Alt-Del; console %q", vm.Console().String())
	}
	if vm.State() != smartvm.StateStopped {
		t.Errorf("state after Stop = %s", vm.State())
	}
	if err := vm.Cleanup(ctx); err != nil {
		t.Fatal(err)
	}
	if err := vm.Cleanup(ctx); err != nil {
		t.Fatalf("second Cleanup: %v", err)
	}
	if rig.SVM.VMCount() != 0 {
		t.Errorf("VMCount after Cleanup = %d", rig.SVM.VMCount())
	}
}

// TestStopEscalates uses a guest that ignores Ctrl-Alt-Del: Stop must fall back to
// SIGTERM and still reap the process.
func TestStopEscalates(t *testing.T) {
	target := fctest.Targets(t)[0]
	rig := fctest.NewRig(t, target, smartvm.Options{StopGrace: time.Second,
		FirecrackerArgs: []string{"--sim-ignore-ctrl-alt-del"}})
	ctx := rig.Ctx(30 * time.Second)
	vm := rig.StartVM(ctx, rig.TinyVM())
	waitTick(t, vm, 0)
	begin := time.Now()
	if err := vm.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("Stop with an unresponsive guest took %s (grace 1s)", time.Since(begin))
	err := vm.Wait(ctx)
	if smartvm.ErrorCode(err) != smartvm.CodeProcessExited ||
		!strings.Contains(err.Error(), "terminated") {
		t.Fatalf("Wait = %v, want exit by SIGTERM", err)
	}
	if strings.Contains(vm.Console().String(), guest.ByeLine) {
		t.Fatal("guest was meant to ignore Ctrl-Alt-Del")
	}
	if vm.State() != smartvm.StateStopped {
		t.Fatalf("state = %s", vm.State())
	}
}

// TestStopConcurrent calls Stop from many goroutines at once and again afterwards.
func TestStopConcurrent(t *testing.T) {
	rig := fctest.NewRig(t, fctest.Targets(t)[0], smartvm.Options{})
	ctx := rig.Ctx(30 * time.Second)
	vm := rig.StartVM(ctx, rig.TinyVM())
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = vm.Stop(ctx)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if err := vm.Stop(ctx); err != nil {
		t.Fatalf("Stop after stop: %v", err)
	}
	if strings.Count(vm.Console().String(), guest.ByeLine) != 1 {
		t.Fatalf("console %q", vm.Console().String())
	}
}

// TestInvalidState checks that operations refused by the state send nothing.
func TestInvalidState(t *testing.T) {
	rig := fctest.NewRig(t, fctest.Targets(t)[0], smartvm.Options{})
	ctx := rig.Ctx(30 * time.Second)
	vm, err := rig.SVM.CreateVM(ctx, rig.TinyVM())
	if err != nil {
		t.Fatal(err)
	}
	for name, op := range map[string]func() error{
		"Pause":  func() error { return vm.Pause(ctx) },
		"Resume": func() error { return vm.Resume(ctx) },
		"Wait":   func() error { return vm.Wait(ctx) },
		"GetInfo": func() error {
			_, err := vm.GetInfo(ctx)
			return err
		},
	} {
		if err := op(); !errors.Is(err, smartvm.ErrInvalidState) {
			t.Errorf("%s before Start = %v, want INVALID_STATE", name, err)
		}
	}
	if n := rig.Spec.Checked(); n != 0 {
		t.Fatalf("%d requests sent before Start", n)
	}
	if err := vm.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := vm.Start(ctx); !errors.Is(err, smartvm.ErrInvalidState) {
		t.Fatalf("second Start = %v", err)
	}
}
