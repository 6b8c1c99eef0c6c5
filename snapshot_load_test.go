package smartvm_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"code.foss.global/push.rocks/smartvm"
	"code.foss.global/push.rocks/smartvm/config"
	"code.foss.global/push.rocks/smartvm/internal/fctest"
)

// TestLoadSnapshotOverrides loads a snapshot with a network interface and a vsock device
// on the simulator as 1.16, moving both host resources with the overrides: the TAP named
// in the snapshot does not exist, so without an override the load is refused first.
func TestLoadSnapshotOverrides(t *testing.T) {
	for _, target := range fctest.Targets(t) {
		if !target.Simulated || !target.Version.AtLeast(1, 16) {
			continue // real Firecracker would need the TAPs to exist on this host
		}
		t.Run(target.Name, func(t *testing.T) {
			rig, svm, reqs := newAPIRig(t, target, smartvm.Options{})
			ctx := rig.Ctx(time.Minute)
			dir := t.TempDir()
			cfg := rig.TinyVM()
			cfg.NetworkInterfaces = []config.NetworkInterface{{IfaceID: "eth0",
				HostDevName: "svgone0"}}
			cfg.Vsock = &config.Vsock{GuestCID: 5}
			vm := startVM(t, ctx, svm, cfg)
			if err := vm.Pause(ctx); err != nil {
				t.Fatal(err)
			}
			p := smartvm.SnapshotParams{SnapshotPath: filepath.Join(dir, "s"),
				MemFilePath: filepath.Join(dir, "m")}
			if _, err := vm.CreateSnapshot(ctx, p); err != nil {
				t.Fatal(err)
			}
			vm.Cleanup(ctx)

			load := smartvm.SnapshotLoadOptions{SnapshotPath: p.SnapshotPath, Resume: true}
			next := createVM(t, ctx, svm, rig.TinyVM())
			err := next.LoadSnapshot(ctx, load)
			errCode(t, "load without the snapshot's TAP", err, smartvm.CodeInvalidConfig)
			if !strings.Contains(err.Error(), "svgone0") {
				t.Errorf("error does not name the missing TAP: %v", err)
			}
			load.NetworkOverrides = map[string]string{"eth0": "lo"} // exists on any host
			load.VsockOverride = filepath.Join(dir, "moved.sock")
			load.ClockRealtime = true
			next = createVM(t, ctx, svm, rig.TinyVM())
			mark := reqs.mark()
			if err := next.LoadSnapshot(ctx, load); err != nil {
				t.Fatal(err)
			}
			if got := reqs.since(mark); !slices.Contains(got, "PUT /snapshot/load") {
				t.Errorf("load sent %v", got)
			}
			if next.VsockUDSPath() != load.VsockOverride {
				t.Errorf("VsockUDSPath = %q, want the override", next.VsockUDSPath())
			}
			got, err := next.GetVMConfig(ctx)
			if err != nil || len(got.NetworkInterfaces) != 1 ||
				got.NetworkInterfaces[0].HostDevName != "lo" || got.Vsock == nil ||
				got.Vsock.UdsPath != load.VsockOverride {
				t.Errorf("config after load with overrides = %+v, %v", got, err)
			}
			if err := next.Cleanup(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(load.VsockOverride); !os.IsNotExist(err) {
				t.Errorf("overridden vsock socket left after Cleanup: %v", err)
			}
		})
	}
}

// TestLoadSnapshotFailure makes the simulator refuse /snapshot/load: the error must name
// the step, and the VM must end failed with its process, files and the vsock directory
// recreated for the snapshot gone (the rig checks processes and files).
func TestLoadSnapshotFailure(t *testing.T) {
	target := fctest.Targets(t)[0]
	rig, svm, _ := newAPIRig(t, target, smartvm.Options{
		FirecrackerArgs: []string{"--sim-fail", "PUT /snapshot/load"}})
	ctx := rig.Ctx(time.Minute)
	dir := t.TempDir()
	cfg := rig.TinyVM()
	cfg.Vsock = &config.Vsock{GuestCID: 3}
	vm := startVM(t, ctx, svm, cfg)
	vsockDir := filepath.Dir(vm.VsockUDSPath())
	if err := vm.Pause(ctx); err != nil {
		t.Fatal(err)
	}
	p := smartvm.SnapshotParams{SnapshotPath: filepath.Join(dir, "s"),
		MemFilePath: filepath.Join(dir, "m")}
	if _, err := vm.CreateSnapshot(ctx, p); err != nil {
		t.Fatal(err)
	}
	vm.Cleanup(ctx)
	next := createVM(t, ctx, svm, rig.TinyVM())
	err := next.LoadSnapshot(ctx, smartvm.SnapshotLoadOptions{SnapshotPath: p.SnapshotPath})
	errCode(t, "refused load", err, smartvm.CodeAPIError)
	if !strings.Contains(err.Error(), "PUT /snapshot/load") {
		t.Errorf("error does not name the step: %v", err)
	}
	if next.State() != smartvm.StateFailed || next.PID() == 0 {
		t.Errorf("after a failed load: state %s, pid %d", next.State(), next.PID())
	}
	if _, err := os.Stat(vsockDir); !os.IsNotExist(err) {
		t.Errorf("vsock directory recreated for the load is left: %v", err)
	}
}
