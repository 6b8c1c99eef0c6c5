package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"

	"code.foss.global/push.rocks/smartvm/config"
	"code.foss.global/push.rocks/smartvm/images"
)

// DefaultBootArgs is the kernel command line when none is given: the serial console on
// ttyS0 (Firecracker's own default switches the serial port off), reboot through the
// keyboard controller so that a guest reboot ends Firecracker, no PCI probing.
const DefaultBootArgs = "console=ttyS0 reboot=k panic=1 pci=off"

// Defaults for the machine size.
const (
	defaultVcpus  = 1
	defaultMemory = 256
)

// vmFlags are the flags of `run` that describe the VM.
type vmFlags struct {
	configFile string
	id         string
	kernel     string
	initrd     string
	bootArgs   string
	rootfs     string
	drives     []string
	vcpus      int
	memory     int
	net        bool
	taps       []string
	vsockCID   uint32
	metadata   string
}

func (f *vmFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.configFile, "config", "", "VM config file: smartvm's camelCase JSON or "+
		"Firecracker's --config-file JSON; flags given as well override it")
	fs.StringVar(&f.id, "id", "", "VM id (letters, digits, '-'); default a random UUID")
	fs.StringVar(&f.kernel, "kernel", "", "guest kernel (uncompressed vmlinux); default the "+
		"quickstart kernel, downloaded once")
	fs.StringVar(&f.initrd, "initrd", "", "initrd image")
	fs.StringVar(&f.bootArgs, "boot-args", "", "kernel command line (default \""+
		DefaultBootArgs+"\")")
	fs.StringVar(&f.rootfs, "rootfs", "", "root filesystem image PATH[:ro]; default the "+
		"quickstart rootfs (read-only squashfs) when no kernel is given")
	fs.StringArrayVar(&f.drives, "drive", nil, "extra block device PATH[:ro] (repeatable)")
	fs.IntVar(&f.vcpus, "vcpus", defaultVcpus, "number of vCPUs")
	fs.IntVar(&f.memory, "memory", defaultMemory, "guest memory in MiB")
	fs.BoolVar(&f.net, "net", false, "add a network interface on a TAP device smartvm "+
		"creates, with an address and NAT (needs CAP_NET_ADMIN)")
	fs.StringArrayVar(&f.taps, "tap", nil, "add a network interface on an existing TAP "+
		"device NAME[/MAC] (repeatable)")
	fs.Uint32Var(&f.vsockCID, "vsock", 0, "add a vsock device with this guest CID (3 or more)")
	fs.StringVar(&f.metadata, "metadata", "", "MMDS metadata as a JSON object")
}

// buildConfig returns the VM described by the config file and the flags. With no kernel
// it downloads the quickstart images (through im) unless they are cached.
func (f *vmFlags) buildConfig(ctx context.Context, fs *pflag.FlagSet,
	im *images.Manager) (*config.VM, error) {
	cfg := &config.VM{}
	if f.configFile != "" {
		var err error
		if cfg, err = config.LoadFile(f.configFile); err != nil {
			return nil, err
		}
	}
	if err := f.apply(cfg, fs); err != nil {
		return nil, err
	}
	if cfg.BootSource.KernelImagePath == "" {
		if err := quickstart(ctx, cfg, im); err != nil {
			return nil, err
		}
	}
	if cfg.BootSource.BootArgs == "" {
		cfg.BootSource.BootArgs = DefaultBootArgs
	}
	return cfg, nil
}

// apply writes the flags that were given into cfg, and the defaults of the machine
// size where cfg has none.
func (f *vmFlags) apply(cfg *config.VM, fs *pflag.FlagSet) error {
	set := func(name string) bool { return fs.Changed(name) }
	if set("id") {
		cfg.ID = f.id
	}
	if set("kernel") {
		cfg.BootSource.KernelImagePath = absPath(f.kernel)
	}
	if set("initrd") {
		cfg.BootSource.InitrdPath = absPath(f.initrd)
	}
	if set("boot-args") {
		cfg.BootSource.BootArgs = f.bootArgs
	}
	if set("vcpus") || cfg.MachineConfig.VcpuCount == 0 {
		cfg.MachineConfig.VcpuCount = f.vcpus
	}
	if set("memory") || cfg.MachineConfig.MemSizeMib == 0 {
		cfg.MachineConfig.MemSizeMib = f.memory
	}
	if f.rootfs != "" {
		path, ro := splitRO(f.rootfs)
		setRoot(cfg, config.Drive{DriveID: "rootfs", PathOnHost: path, IsRootDevice: true,
			IsReadOnly: ro})
	}
	for i, d := range f.drives {
		path, ro := splitRO(d)
		id := uniqueID(fmt.Sprintf("drive%d", i+1), func(s string) bool {
			return hasDrive(cfg, s)
		})
		cfg.Drives = append(cfg.Drives, config.Drive{DriveID: id, PathOnHost: path,
			IsReadOnly: ro})
	}
	if err := f.applyNetwork(cfg); err != nil {
		return err
	}
	if set("vsock") {
		cfg.Vsock = &config.Vsock{GuestCID: f.vsockCID}
	}
	if f.metadata != "" {
		var md map[string]any
		if err := json.Unmarshal([]byte(f.metadata), &md); err != nil || md == nil {
			return usageError("--metadata: want a JSON object such as '{\"key\":\"value\"}'")
		}
		if cfg.MMDS == nil {
			cfg.MMDS = &config.MMDS{}
		}
		cfg.MMDS.Metadata = md
	}
	return nil
}

// applyNetwork adds the interfaces of --net and --tap.
func (f *vmFlags) applyNetwork(cfg *config.VM) error {
	add := func(ni config.NetworkInterface) {
		ni.IfaceID = uniqueID(fmt.Sprintf("eth%d", len(cfg.NetworkInterfaces)),
			func(s string) bool { return hasIface(cfg, s) })
		cfg.NetworkInterfaces = append(cfg.NetworkInterfaces, ni)
	}
	if f.net {
		add(config.NetworkInterface{})
	}
	for _, t := range f.taps {
		name, mac, _ := strings.Cut(t, "/")
		if name == "" {
			return usageError("--tap %q: want NAME or NAME/MAC", t)
		}
		add(config.NetworkInterface{HostDevName: name, GuestMAC: mac})
	}
	return nil
}

// quickstart fills in the quickstart kernel and, without a root drive, the quickstart
// rootfs, downloading what is not cached.
func quickstart(ctx context.Context, cfg *config.VM, im *images.Manager) error {
	for _, d := range cfg.Drives {
		if d.IsRootDevice {
			k, err := im.DownloadKernel(ctx, quickstartURL(images.QuickstartKernelURL("")),
				images.QuickstartKernelName)
			if err != nil {
				return err
			}
			cfg.BootSource.KernelImagePath = k
			return nil
		}
	}
	qs, err := im.Quickstart(ctx, "")
	if err != nil {
		return err
	}
	cfg.BootSource.KernelImagePath = qs.Kernel
	setRoot(cfg, config.Drive{DriveID: "rootfs", PathOnHost: qs.Rootfs, IsRootDevice: true,
		IsReadOnly: true})
	return nil
}

// quickstartURL moves a quickstart URL to the mirror named by $SMARTVM_QUICKSTART_BASE.
func quickstartURL(u string) string {
	if base := envOr(EnvQuickstartBase, ""); base != "" {
		return strings.Replace(u, images.DefaultQuickstartBase, strings.TrimRight(base, "/"), 1)
	}
	return u
}

// setRoot replaces the root drive of cfg with d, or adds d first.
func setRoot(cfg *config.VM, d config.Drive) {
	for i := range cfg.Drives {
		if cfg.Drives[i].IsRootDevice {
			d.DriveID = cfg.Drives[i].DriveID
			cfg.Drives[i] = d
			return
		}
	}
	d.DriveID = uniqueID(d.DriveID, func(s string) bool { return hasDrive(cfg, s) })
	cfg.Drives = append([]config.Drive{d}, cfg.Drives...)
}

// splitRO splits "PATH:ro" (or "PATH:rw") into an absolute path and the read-only flag.
func splitRO(s string) (string, bool) {
	if p, ok := strings.CutSuffix(s, ":ro"); ok {
		return absPath(p), true
	}
	return absPath(strings.TrimSuffix(s, ":rw")), false
}

// absPath makes a relative path absolute; an empty or unresolvable one is kept, for
// Validate to report.
func absPath(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

func hasDrive(cfg *config.VM, id string) bool {
	for _, d := range cfg.Drives {
		if d.DriveID == id {
			return true
		}
	}
	return false
}

func hasIface(cfg *config.VM, id string) bool {
	for _, n := range cfg.NetworkInterfaces {
		if n.IfaceID == id {
			return true
		}
	}
	return false
}

// uniqueID returns id, or id with a suffix "_2", "_3", ... that taken reports free.
func uniqueID(id string, taken func(string) bool) string {
	out := id
	for i := 2; taken(out); i++ {
		out = fmt.Sprintf("%s_%d", id, i)
	}
	return out
}
