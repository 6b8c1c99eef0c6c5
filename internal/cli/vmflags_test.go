package cli

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"code.foss.global/push.rocks/smartvm/config"
	"code.foss.global/push.rocks/smartvm/errdefs"
	"code.foss.global/push.rocks/smartvm/images"
)

// parseVM parses run's VM flags and builds the config; no quickstart download happens
// because every test gives a kernel.
func parseVM(t *testing.T, args ...string) (*config.VM, error) {
	t.Helper()
	var f vmFlags
	fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
	f.register(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatalf("parse %v: %v", args, err)
	}
	im := images.NewManager(images.Options{DataDir: t.TempDir(), Retries: -1})
	return f.buildConfig(context.Background(), fs, im)
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestFlagsBuildConfig(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	cfg, err := parseVM(t, "--kernel", "vmlinux", "--rootfs", "root.ext4:ro",
		"--drive", "/data/a.img", "--drive", "b.img:ro", "--vcpus", "2", "--memory", "512",
		"--net", "--tap", "tap7/02:00:00:00:00:07", "--vsock", "5",
		"--metadata", `{"k":"v"}`, "--id", "vm-1")
	if err != nil {
		t.Fatal(err)
	}
	want := &config.VM{ID: "vm-1",
		BootSource: config.BootSource{KernelImagePath: filepath.Join(dir, "vmlinux"),
			BootArgs: DefaultBootArgs},
		MachineConfig: config.MachineConfig{VcpuCount: 2, MemSizeMib: 512},
		Drives: []config.Drive{
			{DriveID: "rootfs", PathOnHost: filepath.Join(dir, "root.ext4"),
				IsRootDevice: true, IsReadOnly: true},
			{DriveID: "drive1", PathOnHost: "/data/a.img"},
			{DriveID: "drive2", PathOnHost: filepath.Join(dir, "b.img"), IsReadOnly: true},
		},
		NetworkInterfaces: []config.NetworkInterface{{IfaceID: "eth0"},
			{IfaceID: "eth1", HostDevName: "tap7", GuestMAC: "02:00:00:00:00:07"}},
		Vsock: &config.Vsock{GuestCID: 5},
		MMDS:  &config.MMDS{Metadata: map[string]any{"k": "v"}},
	}
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("config\n got %+v\nwant %+v", cfg, want)
	}
}

func TestFlagsOverrideSeedConfigFile(t *testing.T) {
	dir := t.TempDir()
	file := writeFile(t, dir, "vm.json", `{
		"id": "seed",
		"bootSource": {"kernelImagePath": "/k/vmlinux", "bootArgs": "console=ttyS0 quiet"},
		"machineConfig": {"vcpuCount": 2, "memSizeMib": 1024},
		"drives": [{"driveId": "root", "pathOnHost": "/k/old.ext4", "isRootDevice": true},
			{"driveId": "drive1", "pathOnHost": "/k/data.img"}],
		"networkInterfaces": [{"ifaceId": "eth0", "hostDevName": "tap0"}]
	}`)
	cfg, err := parseVM(t, "--config", file, "--memory", "256", "--rootfs", "/k/new.ext4",
		"--drive", "/k/more.img", "--net")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ID != "seed" || cfg.BootSource.BootArgs != "console=ttyS0 quiet" ||
		cfg.MachineConfig != (config.MachineConfig{VcpuCount: 2, MemSizeMib: 256}) {
		t.Errorf("kept/overridden fields wrong: %+v", cfg)
	}
	wantDrives := []config.Drive{
		{DriveID: "root", PathOnHost: "/k/new.ext4", IsRootDevice: true},
		{DriveID: "drive1", PathOnHost: "/k/data.img"},
		{DriveID: "drive1_2", PathOnHost: "/k/more.img"},
	}
	if !reflect.DeepEqual(cfg.Drives, wantDrives) {
		t.Errorf("drives %+v, want %+v", cfg.Drives, wantDrives)
	}
	if len(cfg.NetworkInterfaces) != 2 || cfg.NetworkInterfaces[1].IfaceID != "eth1" ||
		cfg.NetworkInterfaces[1].HostDevName != "" {
		t.Errorf("interfaces %+v", cfg.NetworkInterfaces)
	}
}

func TestFirecrackerConfigFileLoads(t *testing.T) {
	file := writeFile(t, t.TempDir(), "fc.json", `{
		"boot-source": {"kernel_image_path": "/k/vmlinux", "boot_args": "console=ttyS0"},
		"machine-config": {"vcpu_count": 1, "mem_size_mib": 64},
		"drives": [{"drive_id": "rootfs", "path_on_host": "/k/r.ext4",
			"is_root_device": true, "is_read_only": false}]
	}`)
	cfg, err := parseVM(t, "--config", file, "--vcpus", "4")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.BootSource.KernelImagePath != "/k/vmlinux" || cfg.MachineConfig.VcpuCount != 4 ||
		cfg.MachineConfig.MemSizeMib != 64 || len(cfg.Drives) != 1 {
		t.Errorf("config %+v", cfg)
	}
}

func TestFlagErrors(t *testing.T) {
	dir := t.TempDir()
	bad := writeFile(t, dir, "bad.json", `{"bootSource": {"kernel": "/x"}}`)
	for name, args := range map[string][]string{
		"metadata not an object": {"--kernel", "/k", "--metadata", "[1]"},
		"metadata not JSON":      {"--kernel", "/k", "--metadata", "{"},
		"tap without name":       {"--kernel", "/k", "--tap", "/02:00:00:00:00:01"},
		"unknown config key":     {"--config", bad},
	} {
		_, err := parseVM(t, args...)
		if errdefs.CodeOf(err) != errdefs.InvalidConfig {
			t.Errorf("%s: error %v, want INVALID_CONFIG", name, err)
		}
	}
	_, err := parseVM(t, "--config", filepath.Join(dir, "nope.json"))
	if errdefs.CodeOf(err) != errdefs.NotFound || !strings.Contains(err.Error(), "nope.json") {
		t.Errorf("missing config file: error %v, want NOT_FOUND naming the file", err)
	}
}

func TestUniqueID(t *testing.T) {
	taken := map[string]bool{"eth0": true, "eth0_2": true}
	if got := uniqueID("eth0", func(s string) bool { return taken[s] }); got != "eth0_3" {
		t.Errorf("uniqueID = %q, want eth0_3", got)
	}
	if got := nameFromURL("https://h/a/vmlinux-6.1?x=1"); got != "vmlinux-6.1" {
		t.Errorf("nameFromURL = %q", got)
	}
	if got := nameFromURL("https://h/"); got != "" {
		t.Errorf("nameFromURL of a bare host = %q, want empty", got)
	}
}
