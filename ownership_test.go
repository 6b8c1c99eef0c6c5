package smartvm_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"code.foss.global/push.rocks/smartvm"
	"code.foss.global/push.rocks/smartvm/api"
	"code.foss.global/push.rocks/smartvm/config"
	"code.foss.global/push.rocks/smartvm/internal/fctest"
)

// TestCleanupRacesStart runs Start and Cleanup on fresh VMs at once: whichever wins, no
// Firecracker may survive and a VM may not end "stopped" while its process runs.
func TestCleanupRacesStart(t *testing.T) {
	rig := fctest.NewRig(t, fctest.Targets(t)[0], smartvm.Options{})
	ctx := rig.Ctx(60 * time.Second)
	for range 20 {
		vm, err := rig.SVM.CreateVM(ctx, rig.TinyVM())
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); vm.Start(ctx) }()
		go func() { defer wg.Done(); vm.Cleanup(ctx) }()
		wg.Wait()
		vm.Cleanup(ctx)
		if _, ok := vm.ExitCode(); vm.PID() != 0 && !ok {
			t.Fatalf("VM %s is %s but Firecracker %d still runs", vm.ID(), vm.State(), vm.PID())
		}
	}
}

// TestStopDuringStart stops a VM whose Start is slowed down: Stop cancels the Start, which
// fails, and nothing is left running.
func TestStopDuringStart(t *testing.T) {
	rig := fctest.NewRig(t, fctest.Targets(t)[0], smartvm.Options{
		FirecrackerArgs: []string{"--sim-delay", "300ms"}})
	ctx := rig.Ctx(30 * time.Second)
	vm, err := rig.SVM.CreateVM(ctx, rig.TinyVM())
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan error, 1)
	go func() { started <- vm.Start(ctx) }()
	for vm.PID() == 0 {
		time.Sleep(time.Millisecond)
	}
	if err := rig.SVM.StopAll(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-started; err == nil {
		t.Fatal("Start succeeded although Stop cancelled it")
	}
	if vm.State() != smartvm.StateFailed {
		t.Fatalf("state = %s, want failed", vm.State())
	}
	if _, ok := vm.ExitCode(); !ok {
		t.Fatal("Firecracker still runs after StopAll")
	}
}

// TestFailedStaysFailed kills Firecracker under a running VM: the VM is failed, and Stop
// does not turn that into stopped.
func TestFailedStaysFailed(t *testing.T) {
	rig := fctest.NewRig(t, fctest.Targets(t)[0], smartvm.Options{})
	ctx := rig.Ctx(30 * time.Second)
	vm := rig.StartVM(ctx, rig.TinyVM())
	syscall.Kill(vm.PID(), syscall.SIGKILL)
	<-vm.Exited() // Stop at once: the reaper may not have recorded the state yet
	if err := vm.Stop(ctx); err != nil || vm.State() != smartvm.StateFailed {
		t.Fatalf("Stop = %v, state %s; want nil, failed", err, vm.State())
	}
	if code, _ := vm.ExitCode(); code != 128+int(syscall.SIGKILL) {
		t.Fatalf("ExitCode = %d", code)
	}
}

// TestConsoleEndsWithoutProcess waits on the console of a VM whose Start failed before a
// process existed: it must end with io.EOF, not block.
func TestConsoleEndsWithoutProcess(t *testing.T) {
	rig := fctest.NewRig(t, fctest.Targets(t)[0], smartvm.Options{})
	ctx := rig.Ctx(10 * time.Second)
	svm, err := smartvm.New(smartvm.Options{DataDir: rig.DataDir,
		FirecrackerBinaryPath: filepath.Join(rig.DataDir, "no-such-firecracker")})
	if err != nil {
		t.Fatal(err)
	}
	vm, err := svm.CreateVM(ctx, rig.TinyVM())
	if err != nil {
		t.Fatal(err)
	}
	if err := vm.Start(ctx); smartvm.ErrorCode(err) != smartvm.CodeBinaryNotFound {
		t.Fatalf("Start = %v", err)
	}
	if err := vm.Console().WaitFor(ctx, "never"); !errors.Is(err, io.EOF) {
		t.Fatalf("WaitFor = %v, want io.EOF", err)
	}
	vm.Cleanup(ctx)
}

// TestFaultMessageOnOuterError checks that Firecracker's fault_message and status reach
// the error a method returns.
func TestFaultMessageOnOuterError(t *testing.T) {
	rig := fctest.NewRig(t, fctest.Targets(t)[0], smartvm.Options{
		FirecrackerArgs: []string{"--sim-fail", "PATCH /vm"}})
	ctx := rig.Ctx(30 * time.Second)
	vm := rig.StartVM(ctx, rig.TinyVM())
	err := vm.Pause(ctx)
	var e *smartvm.Error
	if !errors.As(err, &e) || e.StatusCode != 400 || e.Details["fault_message"] == "" ||
		api.FaultMessage(err) == "" {
		t.Fatalf("Pause = %#v, want status 400 and the fault_message on the outer error", err)
	}
}

// TestVsockPathOwnership checks what Start and Cleanup do around a user-given vsock path:
// a regular file there is refused, not replaced; files that merely share the socket's
// prefix survive Cleanup.
func TestVsockPathOwnership(t *testing.T) {
	rig := fctest.NewRig(t, fctest.Targets(t)[0], smartvm.Options{})
	ctx := rig.Ctx(30 * time.Second)
	dir := t.TempDir()
	path := filepath.Join(dir, "agent")
	os.WriteFile(path, []byte("not a socket"), 0o600)
	cfg := rig.TinyVM()
	cfg.Vsock = &config.Vsock{GuestCID: 3, UdsPath: path}
	vm, err := rig.SVM.CreateVM(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := vm.Start(ctx); smartvm.ErrorCode(err) != smartvm.CodeInvalidConfig {
		t.Fatalf("Start over a regular file at udsPath = %v", err)
	}
	if data, _ := os.ReadFile(path); string(data) != "not a socket" {
		t.Fatal("the file at udsPath was replaced")
	}
	vm.Cleanup(ctx)
	os.Remove(path)
	keep := []string{path + "_settings.json", path + "_data"}
	for _, k := range keep {
		os.WriteFile(k, []byte("user data"), 0o600)
	}
	vm, err = rig.SVM.CreateVM(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := vm.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := vm.Cleanup(ctx); err != nil {
		t.Fatal(err)
	}
	for _, k := range keep {
		if _, err := os.Stat(k); err != nil {
			t.Errorf("Cleanup removed %s, which only shares the socket's prefix", k)
		}
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("vsock socket left after Cleanup: %v", err)
	}
}

// TestStopNeverStarted checks that Stop on a created VM ends its console.
func TestStopNeverStarted(t *testing.T) {
	rig := fctest.NewRig(t, fctest.Targets(t)[0], smartvm.Options{})
	ctx := rig.Ctx(10 * time.Second)
	vm, err := rig.SVM.CreateVM(ctx, rig.TinyVM())
	if err != nil {
		t.Fatal(err)
	}
	if err := vm.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := vm.Console().WaitFor(ctx, "never"); !errors.Is(err, io.EOF) {
		t.Fatalf("WaitFor after Stop of a never-started VM = %v, want io.EOF", err)
	}
}
