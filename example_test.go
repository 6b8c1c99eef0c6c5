package smartvm_test

import (
	"context"
	"errors"
	"log"
	"log/slog"
	"os"

	"code.foss.global/push.rocks/smartvm"
	"code.foss.global/push.rocks/smartvm/config"
)

// Example boots a Linux guest with a root drive and an automatic TAP with NAT, pauses and
// resumes it, and shuts it down. README.md shows this same program.
func Example() {
	ctx := context.Background()
	svm, err := smartvm.New(smartvm.Options{
		FirecrackerBinaryPath: "/usr/local/bin/firecracker", // empty: cache, PATH, download
		Logger:                slog.Default(),
	})
	if err != nil {
		log.Fatal(err)
	}
	defer svm.CleanupOnSignal()() // opt-in: clean everything up on SIGINT/SIGTERM

	vm, err := svm.CreateVM(ctx, &config.VM{
		BootSource: config.BootSource{
			KernelImagePath: "/images/vmlinux",
			BootArgs:        "console=ttyS0 reboot=k panic=1",
		},
		MachineConfig: config.MachineConfig{VcpuCount: 2, MemSizeMib: 512},
		Drives: []config.Drive{
			{DriveID: "rootfs", PathOnHost: "/images/rootfs.ext4", IsRootDevice: true},
		},
		NetworkInterfaces: []config.NetworkInterface{{IfaceID: "eth0"}}, // TAP + NAT
	}, smartvm.WithConsoleOutput(os.Stdout))
	if err != nil {
		log.Fatal(err) // INVALID_CONFIG lists every problem at once
	}
	defer vm.Cleanup(ctx) // sockets, files, TAPs, leases

	if err := vm.Start(ctx); err != nil {
		var e *smartvm.Error
		if errors.As(err, &e) {
			log.Fatalf("start failed with %s: %v", e.Code, e)
		}
		log.Fatal(err)
	}
	if err := vm.Pause(ctx); err != nil {
		log.Fatal(err)
	}
	if err := vm.Resume(ctx); err != nil {
		log.Fatal(err)
	}
	if err := vm.Stop(ctx); err != nil { // Ctrl-Alt-Del, then SIGTERM, then SIGKILL
		log.Fatal(err)
	}
}
