package smartvm_test

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"code.foss.global/push.rocks/smartvm"
	"code.foss.global/push.rocks/smartvm/config"
	"code.foss.global/push.rocks/smartvm/internal/fctest"
)

// configRoutes are the calls Start makes for a VM with every device.
var configRoutes = []string{
	"PUT /logger", "PUT /metrics", "PUT /machine-config", "PUT /boot-source",
	"PUT /drives/rootfs", "PUT /network-interfaces/eth0", "PUT /vsock", "PUT /balloon",
	"PUT /entropy", "PUT /mmds/config", "PUT /mmds", "PUT /actions",
}

// fullVM adds a drive, a network interface (on a TAP name the simulator accepts without
// the device, like Firecracker running as root), vsock, balloon, entropy, MMDS, logger and
// metrics to the tiny guest.
func fullVM(t *testing.T, rig *fctest.Rig) *config.VM {
	cfg := rig.TinyVM()
	dir := t.TempDir()
	disk := filepath.Join(dir, "disk.img")
	if err := os.WriteFile(disk, make([]byte, 1<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg.Drives = []config.Drive{{DriveID: "rootfs", PathOnHost: disk, IsRootDevice: true}}
	cfg.NetworkInterfaces = []config.NetworkInterface{{IfaceID: "eth0", HostDevName: "svfault0"}}
	cfg.MMDS = &config.MMDS{Version: "V2", Metadata: map[string]any{"k": "v"}}
	cfg.Vsock = &config.Vsock{GuestCID: 3}
	cfg.Balloon = &config.Balloon{AmountMib: 0, DeflateOnOom: true}
	cfg.Entropy = &config.Entropy{}
	cfg.Logger = &config.Logger{LogPath: filepath.Join(dir, "fc.log"), Level: "Info"}
	cfg.Metrics = &config.Metrics{MetricsPath: filepath.Join(dir, "metrics.json")}
	for _, f := range []string{cfg.Logger.LogPath, cfg.Metrics.MetricsPath} {
		if err := os.WriteFile(f, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return cfg
}

// TestStartFaults injects a failure at each step of Start and checks the error code, that
// the message names the step, and that the rig finds no process or file left.
func TestStartFaults(t *testing.T) {
	sim := fctest.Targets(t)[0]
	type fault struct {
		name     string
		args     []string
		opts     smartvm.Options
		code     smartvm.Code
		mentions string
	}
	var faults []fault
	for _, route := range configRoutes {
		faults = append(faults, fault{name: "fail " + route,
			args: []string{"--sim-fail", route}, code: smartvm.CodeAPIError, mentions: route})
	}
	faults = append(faults,
		fault{name: "crash after socket", args: []string{"--sim-crash-at", "1"},
			code: smartvm.CodeStartFailed, mentions: "GET /version"},
		fault{name: "crash at drives", args: []string{"--sim-crash-at", "6"},
			code: smartvm.CodeStartFailed, mentions: "PUT /drives/rootfs"},
		fault{name: "no socket", args: []string{"--sim-no-socket"},
			opts: smartvm.Options{SocketTimeout: 300 * time.Millisecond},
			code: smartvm.CodeSocketTimeout, mentions: "socket"},
		fault{name: "slow answers", args: []string{"--sim-delay", "2s"},
			opts: smartvm.Options{RequestTimeout: 200 * time.Millisecond},
			code: smartvm.CodeAPITimeout, mentions: "GET /version"},
	)
	for _, f := range faults {
		t.Run(strings.ReplaceAll(f.name, "/", "_"), func(t *testing.T) {
			t.Parallel()
			f.opts.FirecrackerArgs = f.args
			rig := fctest.NewRig(t, sim, f.opts)
			ctx := rig.Ctx(30 * time.Second)
			vm, err := rig.SVM.CreateVM(ctx, fullVM(t, rig))
			if err != nil {
				t.Fatal(err)
			}
			err = vm.Start(ctx)
			if smartvm.ErrorCode(err) != f.code {
				t.Fatalf("Start = %v, want code %s", err, f.code)
			}
			if !strings.Contains(err.Error(), f.mentions) {
				t.Errorf("error %q does not name %q", err, f.mentions)
			}
			if vm.State() != smartvm.StateFailed {
				t.Errorf("state = %s, want failed", vm.State())
			}
			if pids := fctest.ProcessesWith(rig.DataDir); len(pids) > 0 {
				t.Errorf("processes left after failed Start: %v", pids)
			}
			if _, err := os.Stat(vm.SocketPath()); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("socket left after failed Start: %v", err)
			}
			if _, err := os.Stat(vm.Dir()); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("VM dir left after failed Start: %v", err)
			}
		})
	}
}

// TestInvalidConfigs checks that each broken rule is reported, all at once, and that
// nothing is spawned or written.
func TestInvalidConfigs(t *testing.T) {
	rig := fctest.NewRig(t, fctest.Targets(t)[0], smartvm.Options{})
	ctx := rig.Ctx(10 * time.Second)
	cfg := rig.TinyVM()
	cfg.ID = "bad id!"
	cfg.MachineConfig = config.MachineConfig{VcpuCount: 33, MemSizeMib: 0, HugePages: "1G"}
	cfg.BootSource.InitrdPath = "relative/initrd"
	cfg.Drives = []config.Drive{
		{DriveID: "a", PathOnHost: "/nonexistent/disk", IsRootDevice: true},
		{DriveID: "a", PathOnHost: cfg.BootSource.KernelImagePath, IsRootDevice: true,
			CacheType: "Sometimes"},
	}
	cfg.NetworkInterfaces = []config.NetworkInterface{
		{IfaceID: "eth0", HostDevName: "tap0", GuestMAC: "zz:00:00:00:00:00",
			RxRateLimiter: &config.RateLimiter{Bandwidth: &config.TokenBucket{Size: 10}}},
		{IfaceID: "eth0", HostDevName: "tap1"},
	}
	cfg.Vsock = &config.Vsock{GuestCID: 2, UdsPath: "/" + strings.Repeat("x", 120)}
	_, err := rig.SVM.CreateVM(ctx, cfg)
	if !errors.Is(err, smartvm.ErrInvalidConfig) {
		t.Fatalf("CreateVM = %v, want INVALID_CONFIG", err)
	}
	want := []string{"id", "vcpuCount", "memSizeMib", "hugePages", "initrdPath",
		"drives[0].pathOnHost", "drives[1].driveId", "root devices", "cacheType",
		"guestMac", "ifaceId \"eth0\": duplicate", "refillTime", "guestCid", "udsPath"}
	problems := config.Problems(err)
	for _, w := range want {
		found := false
		for _, p := range problems {
			found = found || strings.Contains(p, w)
		}
		if !found {
			t.Errorf("no problem mentions %q; got %q", w, problems)
		}
	}
	if rig.SVM.VMCount() != 0 || rig.Spec.Checked() != 0 {
		t.Fatalf("invalid config registered a VM or sent requests")
	}
	if pids := fctest.ProcessesWith(rig.DataDir); len(pids) > 0 {
		t.Fatalf("processes spawned for an invalid config: %v", pids)
	}
}

// TestDuplicateID refuses a second VM with the same id.
func TestDuplicateID(t *testing.T) {
	rig := fctest.NewRig(t, fctest.Targets(t)[0], smartvm.Options{})
	ctx := rig.Ctx(10 * time.Second)
	cfg := rig.TinyVM()
	cfg.ID = "twin"
	if _, err := rig.SVM.CreateVM(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := rig.SVM.CreateVM(ctx, cfg); !errors.Is(err, smartvm.ErrInvalidConfig) {
		t.Fatalf("duplicate id: %v", err)
	}
}

// TestSocketInUse checks that a VM id running in one SmartVM cannot be started by another
// on the same data directory, and that the loser's Cleanup leaves the winner's files; that
// a socket some other process serves is refused; and that a stale socket is replaced.
func TestSocketInUse(t *testing.T) {
	rig := fctest.NewRig(t, fctest.Targets(t)[0], smartvm.Options{})
	ctx := rig.Ctx(30 * time.Second)
	cfg := withID(rig.TinyVM(), "shared")
	first, err := rig.SVM.CreateVM(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Start(ctx); err != nil {
		t.Fatal(err)
	}
	other := newSVM(t, rig)
	second, err := other.CreateVM(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	err = second.Start(ctx)
	if !errors.Is(err, smartvm.ErrStartFailed) || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("Start of an id another SmartVM runs = %v", err)
	}
	if err := second.Cleanup(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(first.SocketPath()); err != nil || first.State() != smartvm.StateRunning {
		t.Fatalf("the loser's Cleanup disturbed the winner: %v, %s", err, first.State())
	}
	if _, err := first.GetInfo(ctx); err != nil {
		t.Fatalf("winner no longer answers: %v", err)
	}

	// A socket that some other process serves.
	lis, err := net.Listen("unix", filepath.Join(rig.DataDir, "sockets", "foreign.sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer lis.Close()
	foreign, err := rig.SVM.CreateVM(ctx, withID(rig.TinyVM(), "foreign"))
	if err != nil {
		t.Fatal(err)
	}
	err = foreign.Start(ctx)
	if !errors.Is(err, smartvm.ErrStartFailed) || !strings.Contains(err.Error(), "live") {
		t.Fatalf("Start on a live foreign socket = %v", err)
	}
	if err := foreign.Cleanup(ctx); err != nil {
		t.Fatal(err)
	}
	lis.Close()

	// A stale socket: bound, then abandoned without unlinking.
	stale := filepath.Join(rig.DataDir, "sockets", "stale.sock")
	sl, err := net.ListenUnix("unix", &net.UnixAddr{Name: stale, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	sl.SetUnlinkOnClose(false)
	sl.Close()
	again, err := rig.SVM.CreateVM(ctx, withID(rig.TinyVM(), "stale"))
	if err != nil {
		t.Fatal(err)
	}
	if err := again.Start(ctx); err != nil {
		t.Fatalf("Start over a stale socket: %v", err)
	}
	if err := again.Console().WaitFor(ctx, "tick 1"); err != nil {
		t.Fatal(err)
	}
}

// newSVM returns a second SmartVM on the rig's data directory, cleaned up with the test.
func newSVM(t *testing.T, rig *fctest.Rig) *smartvm.SmartVM {
	svm, err := smartvm.New(smartvm.Options{DataDir: rig.DataDir,
		FirecrackerBinaryPath: rig.Target.Binary, FirecrackerArgs: rig.Target.Args})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svm.Cleanup(context.Background()) })
	return svm
}

func withID(cfg *config.VM, id string) *config.VM {
	cfg.ID = id
	return cfg
}
