package config

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"code.foss.global/push.rocks/smartvm/errdefs"
)

// files holds real files that a valid VM points at.
type files struct {
	dir, kernel, initrd, rootfs, data string
}

func newFiles(t *testing.T) files {
	t.Helper()
	dir := t.TempDir()
	f := files{dir: dir, kernel: filepath.Join(dir, "vmlinux"),
		initrd: filepath.Join(dir, "initrd.img"), rootfs: filepath.Join(dir, "rootfs.ext4"),
		data: filepath.Join(dir, "data.img")}
	for _, p := range []string{f.kernel, f.initrd, f.rootfs, f.data} {
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// minimalVM is the smallest valid VM.
func minimalVM(f files) *VM {
	return &VM{
		BootSource:    BootSource{KernelImagePath: f.kernel},
		MachineConfig: MachineConfig{VcpuCount: 1, MemSizeMib: 128},
	}
}

// fullVM sets every field that Validate accepts and that Firecracker 1.16 supports.
func fullVM(f files) *VM {
	return &VM{
		ID: "vm-1",
		BootSource: BootSource{KernelImagePath: f.kernel, InitrdPath: f.initrd,
			BootArgs: "console=ttyS0 reboot=k panic=1"},
		MachineConfig: MachineConfig{VcpuCount: 2, MemSizeMib: 256, Smt: true,
			CPUTemplate: "T2", TrackDirtyPages: true, HugePages: "None"},
		Drives: []Drive{
			{DriveID: "rootfs", PathOnHost: f.rootfs, IsRootDevice: true,
				CacheType: "Writeback", IoEngine: "Sync",
				RateLimiter: &RateLimiter{
					Bandwidth: &TokenBucket{Size: 1 << 20, RefillTime: 1000, OneTimeBurst: 4096},
					Ops:       &TokenBucket{Size: 100, RefillTime: 1000}}},
			{DriveID: "data_1", PathOnHost: f.data, IsReadOnly: true, Partuuid: "abcd-01",
				IoEngine: "Async"},
		},
		NetworkInterfaces: []NetworkInterface{
			{IfaceID: "eth0", HostDevName: "tap0", GuestMAC: "02:00:0a:00:00:02",
				RxRateLimiter: &RateLimiter{Bandwidth: &TokenBucket{Size: 5000,
					RefillTime: 100}},
				TxRateLimiter: &RateLimiter{Ops: &TokenBucket{Size: 10, RefillTime: 10}},
				MTU:           1400},
			{IfaceID: "eth1", HostDevName: "tap1"},
		},
		Vsock: &Vsock{GuestCID: 3, UdsPath: "/tmp/vm-1-vsock.sock"},
		Balloon: &Balloon{AmountMib: 64, DeflateOnOom: true, StatsPollingIntervalS: 5,
			FreePageHinting: true, FreePageReporting: true},
		MMDS: &MMDS{Version: "V2", NetworkInterfaces: []string{"eth0"},
			IPv4Address: "169.254.170.2", ImdsCompat: true,
			Metadata: map[string]any{"latest": map[string]any{"meta-data": map[string]any{
				"instance-id": "i-1", "count": float64(3), "tags": []any{"a", true, nil}}}}},
		Logger: &Logger{LogPath: "/var/log/fc.log", Level: "Debug", ShowLevel: true,
			ShowLogOrigin: true, Module: "vmm"},
		Metrics: &Metrics{MetricsPath: "/var/log/fc.metrics"},
		Entropy: &Entropy{RateLimiter: &RateLimiter{Bandwidth: &TokenBucket{Size: 64,
			RefillTime: 10}}},
		NoNetworkBootArgs: true,
	}
}

// requireCode fails unless err carries code.
func requireCode(t *testing.T, err error, code errdefs.Code) {
	t.Helper()
	if got := errdefs.CodeOf(err); got != code {
		t.Fatalf("err = %v (code %q), want code %s", err, got, code)
	}
}

// problemsOf validates vm and returns its problems, failing on a wrong error shape.
func problemsOf(t *testing.T, vm *VM) []string {
	t.Helper()
	err := vm.Validate()
	if err == nil {
		return nil
	}
	requireCode(t, err, errdefs.InvalidConfig)
	p := Problems(err)
	if len(p) == 0 {
		t.Fatalf("Validate error %v lists no problems", err)
	}
	return p
}

// wantProblems fails unless Validate reports exactly want, in order.
func wantProblems(t *testing.T, vm *VM, want ...string) {
	t.Helper()
	got := problemsOf(t, vm)
	if !slices.Equal(got, want) {
		t.Errorf("problems:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "),
			strings.Join(want, "\n  "))
	}
}
