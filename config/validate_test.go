package config

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"code.foss.global/push.rocks/smartvm/errdefs"
)

func TestValidateAcceptsValid(t *testing.T) {
	f := newFiles(t)
	for name, vm := range map[string]*VM{"minimal": minimalVM(f), "full": fullVM(f)} {
		if err := vm.Validate(); err != nil {
			t.Errorf("%s: Validate = %v", name, err)
		}
	}
}

// rule is one Validate rule: mutate breaks (or, with no want, exercises the boundary of)
// a valid VM, and want is the exact list of problems expected.
type rule struct {
	name   string
	mutate func(vm *VM, f files)
	want   []string
}

func runRules(t *testing.T, rules []rule) {
	t.Helper()
	for _, r := range rules {
		t.Run(r.name, func(t *testing.T) {
			f := newFiles(t)
			vm := fullVM(f)
			r.mutate(vm, f)
			want := make([]string, len(r.want))
			for i, w := range r.want {
				want[i] = strings.ReplaceAll(w, "$DIR", f.dir)
			}
			wantProblems(t, vm, want...)
		})
	}
}

func TestValidateID(t *testing.T) {
	long := strings.Repeat("a", 65)
	runRules(t, []rule{
		{"charset underscore", func(vm *VM, _ files) { vm.ID = "vm_1" },
			[]string{`id "vm_1": only letters, digits and '-' are allowed`}},
		{"charset slash", func(vm *VM, _ files) { vm.ID = "../x" },
			[]string{`id "../x": only letters, digits and '-' are allowed`}},
		{"charset unicode", func(vm *VM, _ files) { vm.ID = "vmé" },
			[]string{`id "vmé": only letters, digits and '-' are allowed`}},
		{"too long", func(vm *VM, _ files) { vm.ID = long },
			[]string{fmt.Sprintf("id %q: longer than 64 characters", long)}},
		{"64 is fine", func(vm *VM, _ files) { vm.ID = long[:64] }, nil},
		{"empty is fine", func(vm *VM, _ files) { vm.ID = "" }, nil},
		{"mixed case and digits", func(vm *VM, _ files) { vm.ID = "Ab-09-z" }, nil},
	})
}

func TestCheckID(t *testing.T) {
	if err := CheckID("ok-1"); err != nil {
		t.Errorf("CheckID(ok-1) = %v", err)
	}
	err := CheckID("no way")
	requireCode(t, err, errdefs.InvalidConfig)
	if p := Problems(err); len(p) != 1 || !strings.Contains(p[0], `"no way"`) {
		t.Errorf("problems %q", p)
	}
	if p := Problems(CheckID("")); len(p) != 1 {
		t.Errorf("CheckID(\"\") problems %q, want one", p)
	}
}

func TestValidateMachine(t *testing.T) {
	runRules(t, []rule{
		{"vcpu 0", func(vm *VM, _ files) { vm.MachineConfig.VcpuCount = 0 },
			[]string{"machineConfig.vcpuCount 0: must be 1 to 32"}},
		{"vcpu 33", func(vm *VM, _ files) {
			vm.MachineConfig.VcpuCount, vm.MachineConfig.Smt = 33, false
		}, []string{"machineConfig.vcpuCount 33: must be 1 to 32"}},
		{"vcpu 32", func(vm *VM, _ files) { vm.MachineConfig.VcpuCount = 32 }, nil},
		{"smt odd", func(vm *VM, _ files) { vm.MachineConfig.VcpuCount = 3 },
			[]string{"machineConfig.vcpuCount 3: must be 1 or even with smt"}},
		{"smt 1", func(vm *VM, _ files) { vm.MachineConfig.VcpuCount = 1 }, nil},
		{"odd without smt", func(vm *VM, _ files) {
			vm.MachineConfig.VcpuCount, vm.MachineConfig.Smt = 3, false
		}, nil},
		{"memory 0", func(vm *VM, _ files) {
			vm.MachineConfig.MemSizeMib, vm.Balloon = 0, nil
		}, []string{"machineConfig.memSizeMib 0: must be positive"}},
		{"memory negative", func(vm *VM, _ files) {
			vm.MachineConfig.MemSizeMib, vm.Balloon = -5, nil
		}, []string{"machineConfig.memSizeMib -5: must be positive"}},
		{"cpu template", func(vm *VM, _ files) { vm.MachineConfig.CPUTemplate = "T3" },
			[]string{`machineConfig.cpuTemplate "T3": must be one of ` +
				`C3, T2, T2S, T2CL, T2A, V1N1, None`}},
		{"cpu template case", func(vm *VM, _ files) { vm.MachineConfig.CPUTemplate = "t2" },
			[]string{`machineConfig.cpuTemplate "t2": must be one of ` +
				`C3, T2, T2S, T2CL, T2A, V1N1, None`}},
		{"huge pages", func(vm *VM, _ files) { vm.MachineConfig.HugePages = "1G" },
			[]string{`machineConfig.hugePages "1G": must be one of None, 2M`}},
		{"huge pages 2M", func(vm *VM, _ files) {
			vm.MachineConfig.HugePages = "2M"
			vm.Balloon = nil
		}, nil},
		{"huge pages with balloon", func(vm *VM, _ files) { vm.MachineConfig.HugePages = "2M" },
			[]string{"balloon: Firecracker does not support a balloon with huge pages"}},
		{"huge pages odd memory", func(vm *VM, _ files) {
			vm.MachineConfig.HugePages, vm.MachineConfig.MemSizeMib, vm.Balloon = "2M", 255, nil
		}, []string{"machineConfig.memSizeMib 255: must be a multiple of 2 with 2M huge pages"}},
	})
}

func TestValidatePaths(t *testing.T) {
	runRules(t, []rule{
		{"kernel missing field", func(vm *VM, _ files) { vm.BootSource.KernelImagePath = "" },
			[]string{"bootSource.kernelImagePath: required"}},
		{"kernel relative", func(vm *VM, _ files) { vm.BootSource.KernelImagePath = "vmlinux" },
			[]string{`bootSource.kernelImagePath "vmlinux": must be an absolute path`}},
		{"kernel missing file", func(vm *VM, f files) {
			vm.BootSource.KernelImagePath = filepath.Join(f.dir, "nope")
		}, []string{`bootSource.kernelImagePath "$DIR/nope": no such file or directory`}},
		{"kernel directory", func(vm *VM, f files) { vm.BootSource.KernelImagePath = f.dir },
			[]string{`bootSource.kernelImagePath "$DIR": is a directory`}},
		{"initrd optional", func(vm *VM, _ files) { vm.BootSource.InitrdPath = "" }, nil},
		{"initrd relative", func(vm *VM, _ files) { vm.BootSource.InitrdPath = "./initrd" },
			[]string{`bootSource.initrdPath "./initrd": must be an absolute path`}},
		{"initrd missing file", func(vm *VM, f files) {
			vm.BootSource.InitrdPath = filepath.Join(f.dir, "gone")
		}, []string{`bootSource.initrdPath "$DIR/gone": no such file or directory`}},
		{"initrd directory", func(vm *VM, f files) { vm.BootSource.InitrdPath = f.dir + "/" },
			[]string{`bootSource.initrdPath "$DIR/": is a directory`}},
		{"drive path required", func(vm *VM, _ files) { vm.Drives[1].PathOnHost = "" },
			[]string{"drives[1].pathOnHost: required"}},
		{"drive relative", func(vm *VM, _ files) { vm.Drives[0].PathOnHost = "root.ext4" },
			[]string{`drives[0].pathOnHost "root.ext4": must be an absolute path`}},
		{"drive missing file", func(vm *VM, f files) {
			vm.Drives[1].PathOnHost = filepath.Join(f.dir, "missing.img")
		}, []string{`drives[1].pathOnHost "$DIR/missing.img": no such file or directory`}},
		{"drive under a file", func(vm *VM, f files) {
			vm.Drives[1].PathOnHost = filepath.Join(f.data, "x")
		}, []string{`drives[1].pathOnHost "$DIR/data.img/x": not a directory`}},
		{"drive directory", func(vm *VM, f files) { vm.Drives[0].PathOnHost = f.dir },
			[]string{`drives[0].pathOnHost "$DIR": is a directory`}},
		{"logger relative", func(vm *VM, _ files) { vm.Logger.LogPath = "fc.log" },
			[]string{`logger.logPath "fc.log": must be an absolute path`}},
		{"logger empty", func(vm *VM, _ files) { vm.Logger.LogPath = "" },
			[]string{`logger.logPath "": must be an absolute path`}},
		{"metrics relative", func(vm *VM, _ files) { vm.Metrics.MetricsPath = "m" },
			[]string{`metrics.metricsPath "m": must be an absolute path`}},
	})
}

func TestValidateDrives(t *testing.T) {
	runRules(t, []rule{
		{"two roots", func(vm *VM, _ files) { vm.Drives[1].IsRootDevice = true },
			[]string{"drives: 2 root devices, at most one allowed"}},
		{"no root is fine", func(vm *VM, _ files) { vm.Drives[0].IsRootDevice = false }, nil},
		{"duplicate id", func(vm *VM, _ files) { vm.Drives[1].DriveID = "rootfs" },
			[]string{`drives[1].driveId "rootfs": duplicate`}},
		{"empty id", func(vm *VM, _ files) { vm.Drives[1].DriveID = "" },
			[]string{`drives[1].driveId "": want 1-64 letters, digits or '_'`}},
		{"dash in id", func(vm *VM, _ files) { vm.Drives[1].DriveID = "data-1" },
			[]string{`drives[1].driveId "data-1": want 1-64 letters, digits or '_'`}},
		{"cache type", func(vm *VM, _ files) { vm.Drives[0].CacheType = "WriteThrough" },
			[]string{`drives[0].cacheType "WriteThrough": must be one of Unsafe, Writeback`}},
		{"io engine", func(vm *VM, _ files) { vm.Drives[1].IoEngine = "io_uring" },
			[]string{`drives[1].ioEngine "io_uring": must be one of Sync, Async`}},
		{"bucket size without refill", func(vm *VM, _ files) {
			vm.Drives[0].RateLimiter.Bandwidth.RefillTime = 0
		}, []string{"drives[0].rateLimiter.bandwidth: refillTime must be positive when size is"}},
		{"bucket size 0 without refill", func(vm *VM, _ files) {
			vm.Drives[0].RateLimiter.Ops = &TokenBucket{}
		}, nil},
		{"bucket negative size", func(vm *VM, _ files) {
			vm.Drives[0].RateLimiter.Ops.Size = -1
		}, []string{"drives[0].rateLimiter.ops: values must not be negative"}},
		{"bucket negative refill", func(vm *VM, _ files) {
			vm.Drives[0].RateLimiter.Ops.RefillTime = -1
		}, []string{"drives[0].rateLimiter.ops: values must not be negative",
			"drives[0].rateLimiter.ops: refillTime must be positive when size is"}},
		{"bucket negative burst", func(vm *VM, _ files) {
			vm.Drives[0].RateLimiter.Bandwidth.OneTimeBurst = -1
		}, []string{"drives[0].rateLimiter.bandwidth: values must not be negative"}},
	})
}

func TestValidateInterfaces(t *testing.T) {
	runRules(t, []rule{
		{"duplicate id", func(vm *VM, _ files) { vm.NetworkInterfaces[1].IfaceID = "eth0" },
			[]string{`networkInterfaces[1].ifaceId "eth0": duplicate`}},
		{"bad id", func(vm *VM, _ files) { vm.NetworkInterfaces[1].IfaceID = "eth 1" },
			[]string{`networkInterfaces[1].ifaceId "eth 1": want 1-64 letters, digits or '_'`}},
		{"mac five pairs", func(vm *VM, _ files) {
			vm.NetworkInterfaces[0].GuestMAC = "02:00:00:00:00"
		}, []string{`networkInterfaces[0].guestMac "02:00:00:00:00": ` +
			`want six hex pairs like 02:00:00:00:00:01`}},
		{"mac dashes", func(vm *VM, _ files) {
			vm.NetworkInterfaces[0].GuestMAC = "02-00-00-00-00-01"
		}, []string{`networkInterfaces[0].guestMac "02-00-00-00-00-01": ` +
			`want six hex pairs like 02:00:00:00:00:01`}},
		{"mac not hex", func(vm *VM, _ files) {
			vm.NetworkInterfaces[0].GuestMAC = "02:00:00:00:00:0g"
		}, []string{`networkInterfaces[0].guestMac "02:00:00:00:00:0g": ` +
			`want six hex pairs like 02:00:00:00:00:01`}},
		{"mac upper case", func(vm *VM, _ files) {
			vm.NetworkInterfaces[0].GuestMAC = "AA:BB:CC:DD:EE:0F"
		}, nil},
		{"host dev name too long", func(vm *VM, _ files) {
			vm.NetworkInterfaces[1].HostDevName = "tap0123456789abc"
		}, []string{`networkInterfaces[1].hostDevName "tap0123456789abc": ` +
			`not a valid interface name`}},
		{"host dev name slash", func(vm *VM, _ files) {
			vm.NetworkInterfaces[1].HostDevName = "a/b"
		}, []string{`networkInterfaces[1].hostDevName "a/b": not a valid interface name`}},
		{"mtu too small", func(vm *VM, _ files) { vm.NetworkInterfaces[0].MTU = 67 },
			[]string{"networkInterfaces[0].mtu 67: must be 68 to 65535"}},
		{"mtu too big", func(vm *VM, _ files) { vm.NetworkInterfaces[0].MTU = 65536 },
			[]string{"networkInterfaces[0].mtu 65536: must be 68 to 65535"}},
		{"mtu negative", func(vm *VM, _ files) { vm.NetworkInterfaces[0].MTU = -1 },
			[]string{"networkInterfaces[0].mtu -1: must be 68 to 65535"}},
		{"rx limiter", func(vm *VM, _ files) {
			vm.NetworkInterfaces[0].RxRateLimiter.Bandwidth.RefillTime = 0
		}, []string{"networkInterfaces[0].rxRateLimiter.bandwidth: " +
			"refillTime must be positive when size is"}},
		{"tx limiter", func(vm *VM, _ files) {
			vm.NetworkInterfaces[0].TxRateLimiter.Ops.Size = -10
		}, []string{"networkInterfaces[0].txRateLimiter.ops: values must not be negative"}},
		{"mmds unknown iface", func(vm *VM, _ files) {
			vm.MMDS.NetworkInterfaces = []string{"eth0", "eth9"}
		}, []string{`mmds.networkInterfaces: no interface "eth9"`}},
	})
}

func TestValidateDevices(t *testing.T) {
	runRules(t, []rule{
		{"vsock cid 2", func(vm *VM, _ files) { vm.Vsock.GuestCID = 2 },
			[]string{"vsock.guestCid 2: must be 3 or more"}},
		{"vsock cid 0", func(vm *VM, _ files) { vm.Vsock.GuestCID = 0 },
			[]string{"vsock.guestCid 0: must be 3 or more"}},
		{"vsock path 107 bytes", func(vm *VM, _ files) {
			vm.Vsock.UdsPath = "/" + strings.Repeat("s", 106)
		}, nil},
		{"vsock path 108 bytes", func(vm *VM, _ files) {
			vm.Vsock.UdsPath = "/" + strings.Repeat("s", 107)
		}, []string{"vsock.udsPath /" + strings.Repeat("s", 107) + ": 108 bytes, a Unix " +
			"socket path must be under 108; use a shorter directory (such as the data " +
			"directory) or id"}},
		{"vsock path relative", func(vm *VM, _ files) { vm.Vsock.UdsPath = "v.sock" },
			[]string{`vsock.udsPath "v.sock": must be an absolute path`}},
		{"vsock path empty", func(vm *VM, _ files) { vm.Vsock.UdsPath = "" }, nil},
		{"balloon above memory", func(vm *VM, _ files) { vm.Balloon.AmountMib = 257 },
			[]string{"balloon.amountMib 257: must be 0 to memSizeMib"}},
		{"balloon equal memory", func(vm *VM, _ files) { vm.Balloon.AmountMib = 256 }, nil},
		{"balloon negative", func(vm *VM, _ files) { vm.Balloon.AmountMib = -1 },
			[]string{"balloon.amountMib -1: must be 0 to memSizeMib"}},
		{"balloon stats interval", func(vm *VM, _ files) {
			vm.Balloon.StatsPollingIntervalS = 65536
		}, []string{"balloon.statsPollingIntervalS 65536: must be 0 to 65535"}},
		{"mmds version", func(vm *VM, _ files) { vm.MMDS.Version = "v2" },
			[]string{`mmds.version "v2": must be one of V1, V2`}},
		{"mmds address", func(vm *VM, _ files) { vm.MMDS.IPv4Address = "10.0.0.1" },
			[]string{`mmds.ipv4Address "10.0.0.1": must be a host address in 169.254.0.0/16 (not .0.0 or .255.255)`}},
		{"mmds address garbage", func(vm *VM, _ files) { vm.MMDS.IPv4Address = "x" },
			[]string{`mmds.ipv4Address "x": must be a host address in 169.254.0.0/16 (not .0.0 or .255.255)`}},
		{"logger level", func(vm *VM, _ files) { vm.Logger.Level = "Verbose" },
			[]string{`logger.level "Verbose": must be one of ` +
				`Error, Warning, Info, Debug, Trace, Off`}},
		{"entropy limiter", func(vm *VM, _ files) {
			vm.Entropy.RateLimiter.Bandwidth.RefillTime = 0
		}, []string{"entropy.rateLimiter.bandwidth: refillTime must be positive when size is"}},
	})
}

func TestCheckSocketPath(t *testing.T) {
	if err := CheckSocketPath("api", "/run/x.sock"); err != nil {
		t.Errorf("CheckSocketPath = %v", err)
	}
	err := CheckSocketPath("api", "/"+strings.Repeat("a", 200))
	requireCode(t, err, errdefs.InvalidConfig)
	if !strings.Contains(err.Error(), "api /"+strings.Repeat("a", 200)+": 201 bytes") {
		t.Errorf("error %q does not name the field and length", err)
	}
}

func TestValidateListsAllProblems(t *testing.T) {
	f := newFiles(t)
	vm := fullVM(f)
	vm.ID = "bad id"                                  // 1
	vm.BootSource.KernelImagePath = "vmlinux"         // 2
	vm.MachineConfig.VcpuCount = 0                    // 3
	vm.MachineConfig.MemSizeMib = 0                   // 4 (and the balloon: 5)
	vm.MachineConfig.HugePages = "1G"                 // 6
	vm.Drives[1].IsRootDevice = true                  // 7
	vm.Drives[1].DriveID = "rootfs"                   // 8
	vm.Drives[0].CacheType = "x"                      // 9
	vm.NetworkInterfaces[1].IfaceID = "eth0"          // 10
	vm.NetworkInterfaces[0].GuestMAC = "nope"         // 11
	vm.Vsock.GuestCID = 1                             // 12
	vm.MMDS.NetworkInterfaces = []string{"eth7"}      // 13
	vm.Logger.Level = "Loud"                          // 14
	vm.Drives[0].RateLimiter.Ops.RefillTime = 0       // 15
	vm.Vsock.UdsPath = "/" + strings.Repeat("v", 200) // 16
	err := vm.Validate()
	requireCode(t, err, errdefs.InvalidConfig)
	p := Problems(err)
	if len(p) != 16 {
		t.Fatalf("got %d problems, want 16:\n  %s", len(p), strings.Join(p, "\n  "))
	}
	var e *errdefs.Error
	if !errors.As(err, &e) {
		t.Fatal("not an *errdefs.Error")
	}
	if !strings.HasPrefix(e.Message, "16 problem(s) in VM config: ") {
		t.Errorf("message %q", e.Message)
	}
	for _, prob := range p {
		if !strings.Contains(err.Error(), prob) {
			t.Errorf("Error() lacks problem %q", prob)
		}
	}
	if !errors.Is(err, errdefs.New(errdefs.InvalidConfig, "")) {
		t.Error("errors.Is(INVALID_CONFIG) false")
	}
	wrapped := fmt.Errorf("start: %w", err)
	if len(Problems(wrapped)) != 16 || errdefs.CodeOf(wrapped) != errdefs.InvalidConfig {
		t.Error("problems lost through a wrap")
	}
	if Problems(errors.New("x")) != nil || Problems(nil) != nil {
		t.Error("Problems of a foreign error is not nil")
	}
}

// TestValidateFirecrackerLimits covers configs that pass the spec but that Firecracker
// refuses later (or crashes on): they are caught before anything starts.
func TestValidateFirecrackerLimits(t *testing.T) {
	runRules(t, []rule{
		{"NUL in boot args", func(vm *VM, _ files) { vm.BootSource.BootArgs = "a\x00b" },
			[]string{"bootSource.bootArgs: contains a NUL byte"}},
		{"boot args too long", func(vm *VM, _ files) {
			vm.BootSource.BootArgs = strings.Repeat("x", 2048)
		}, []string{"bootSource.bootArgs: 2048 bytes, Firecracker's kernel command line " +
			"holds fewer than 2048"}},
		{"kernel not a regular file", func(vm *VM, _ files) {
			vm.BootSource.KernelImagePath = "/dev/null"
		}, []string{`bootSource.kernelImagePath "/dev/null": not a regular file`}},
		{"same TAP twice", func(vm *VM, _ files) {
			vm.NetworkInterfaces[1].HostDevName = "tap0"
		}, []string{`networkInterfaces[1].hostDevName "tap0": used by two interfaces`}},
		{"same MAC twice", func(vm *VM, _ files) {
			vm.NetworkInterfaces[1].GuestMAC = "02:00:0A:00:00:02"
		}, []string{`networkInterfaces[1].guestMac "02:00:0A:00:00:02": used by two interfaces`}},
		{"dot-dot TAP", func(vm *VM, _ files) { vm.NetworkInterfaces[1].HostDevName = ".." },
			[]string{`networkInterfaces[1].hostDevName "..": not a valid interface name`}},
		{"MMDS network address", func(vm *VM, _ files) { vm.MMDS.IPv4Address = "169.254.0.0" },
			[]string{`mmds.ipv4Address "169.254.0.0": must be a host address in ` +
				`169.254.0.0/16 (not .0.0 or .255.255)`}},
		{"MMDS without interfaces", func(vm *VM, _ files) {
			vm.NetworkInterfaces, vm.MMDS.NetworkInterfaces = nil, nil
		}, []string{"mmds: needs a network interface; the guest reaches MMDS through one"}},
		{"vsock dir missing", func(vm *VM, _ files) {
			vm.Vsock.UdsPath = "/nonexistent-dir/v.sock"
		}, []string{`vsock.udsPath "/nonexistent-dir/v.sock": its directory does not exist`}},
		{"logger level any case", func(vm *VM, _ files) { vm.Logger.Level = "info" }, nil},
	})
}
