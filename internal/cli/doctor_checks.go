package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/google/nftables"
	"golang.org/x/sys/unix"

	"code.foss.global/push.rocks/smartvm/api"
	"code.foss.global/push.rocks/smartvm/config"
	"code.foss.global/push.rocks/smartvm/images"
)

// check is the result of one doctor check.
type check struct {
	Name     string `json:"name"`
	OK       bool   `json:"ok"`
	Required bool   `json:"required"`
	Detail   string `json:"detail"`
	Fix      string `json:"fix,omitempty"`
}

func pass(name string, required bool, detail string) check {
	return check{Name: name, OK: true, Required: required, Detail: detail}
}

func fail(name string, required bool, detail, fix string) check {
	return check{Name: name, Required: required, Detail: detail, Fix: fix}
}

// kvmGetAPIVersion is the KVM_GET_API_VERSION ioctl, _IO(0xAE, 0x00).
const kvmGetAPIVersion = 0xAE00

// checkKVM opens /dev/kvm read-write, as Firecracker does, and asks its API version.
func checkKVM() check {
	const name = "/dev/kvm read-write"
	const fix = "load KVM (modprobe kvm_intel or kvm_amd; enable virtualization in the " +
		"firmware, or nested virtualization on a cloud VM) and give your user access: " +
		"sudo usermod -aG kvm $USER (log in again) or sudo setfacl -m u:$USER:rw /dev/kvm"
	f, err := os.OpenFile("/dev/kvm", os.O_RDWR, 0)
	if err != nil {
		return fail(name, true, err.Error(), fix)
	}
	defer f.Close()
	v, err := unix.IoctlRetInt(int(f.Fd()), kvmGetAPIVersion)
	if err != nil {
		return fail(name, true, "KVM_GET_API_VERSION: "+err.Error(), fix)
	}
	return pass(name, true, fmt.Sprintf("KVM API version %d", v))
}

// checkTun opens /dev/net/tun, which TAP devices need.
func checkTun() check {
	const name = "/dev/net/tun"
	f, err := os.OpenFile("/dev/net/tun", os.O_RDWR, 0)
	if err != nil {
		return fail(name, false, err.Error()+"; only needed for --net and --tap",
			"sudo modprobe tun; in a container, pass the device (--device /dev/net/tun)")
	}
	f.Close()
	return pass(name, false, "can be opened")
}

// capNetAdmin is CAP_NET_ADMIN's bit in the capability sets.
const capNetAdmin = 12

// checkNetAdmin reads the effective capabilities of this process.
func checkNetAdmin() check {
	const name = "CAP_NET_ADMIN"
	eff, err := effectiveCaps()
	if err != nil {
		return fail(name, false, err.Error(), "")
	}
	if eff&(1<<capNetAdmin) == 0 {
		return fail(name, false, "missing; only --net (automatic TAP and NAT) needs it",
			"run as root, or: sudo setcap cap_net_admin+ep $(command -v smartvm)")
	}
	return pass(name, false, "effective")
}

// effectiveCaps returns CapEff from /proc/self/status.
func effectiveCaps() (uint64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "CapEff:"); ok {
			return strconv.ParseUint(strings.TrimSpace(v), 16, 64)
		}
	}
	return 0, errors.New("no CapEff line in /proc/self/status")
}

// checkFirecracker resolves the binary as run would, without downloading, and checks its
// version.
func (a *app) checkFirecracker(ctx context.Context, f fcFlags) check {
	const name = "Firecracker"
	bin, err := a.findFirecracker(ctx, f, false)
	if err != nil {
		detail, details := describe(err)
		fix := details["fix"]
		if fix == "" {
			fix = "run `smartvm pull firecracker` to download " +
				images.DefaultFirecrackerVersion + ", or pass --firecracker " +
				"/path/to/firecracker (or set $" + EnvFirecracker + ")"
		}
		if out := details["output"]; out != "" {
			detail += "; output: " + out
		}
		return fail(name, true, detail, fix)
	}
	detail := fmt.Sprintf("%s %s (from %s)", bin.Path, bin.Version, bin.Source)
	v, err := api.ParseVersion(bin.Version)
	if err != nil {
		return fail(name, true, detail+": cannot read the version",
			"use an official Firecracker release binary")
	}
	if !v.AtLeast(api.OldestSupported.Major, api.OldestSupported.Minor) {
		return fail(name, true, detail+": older than "+api.OldestSupported.String(),
			"run `smartvm pull firecracker` for "+images.DefaultFirecrackerVersion)
	}
	return pass(name, true, detail)
}

// checkNftables lists the nftables tables, which the NAT of --net needs.
func checkNftables() check {
	const name = "nftables"
	const fix = "--net's NAT needs the kernel's nf_tables (modprobe nf_tables) and " +
		"CAP_NET_ADMIN; without it use --tap with your own networking"
	conn, err := nftables.New()
	if err != nil {
		return fail(name, false, err.Error(), fix)
	}
	defer conn.CloseLasting()
	tables, err := conn.ListTablesOfFamily(nftables.TableFamilyIPv4)
	if err != nil {
		return fail(name, false, "list tables: "+err.Error(), fix)
	}
	return pass(name, false, fmt.Sprintf("usable (%d ip tables)", len(tables)))
}

// checkDataDir creates the data directory if needed and a file in it.
func checkDataDir(dir string) check {
	const name = "data directory writable"
	fix := "choose a writable directory with --data-dir (or $" + EnvDataDir + ")"
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fail(name, true, err.Error(), fix)
	}
	f, err := os.CreateTemp(dir, ".doctor-")
	if err != nil {
		return fail(name, true, err.Error(), fix)
	}
	f.Close()
	os.Remove(f.Name())
	return pass(name, true, dir)
}

// checkSocketPath checks that the sockets of a VM with a UUID id fit a Unix socket
// address: the API socket <data-dir>/sockets/<id>.sock and the default vsock socket
// <data-dir>/vms/<id>/vsock.sock, the longer of the two.
func checkSocketPath(dir string) check {
	const name = "socket path length"
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = dir
	}
	id := strings.Repeat("x", 36) // a UUID
	sock := filepath.Join(abs, "sockets", id+".sock")
	if vsock := filepath.Join(abs, "vms", id, "vsock.sock"); len(vsock) > len(sock) {
		sock = vsock
	}
	room := config.MaxSocketPath - (len(sock) - len(abs))
	if len(sock) > config.MaxSocketPath {
		return fail(name, true, fmt.Sprintf("a VM's socket paths would reach %d bytes, over "+
			"the limit of %d", len(sock), config.MaxSocketPath),
			fmt.Sprintf("use a --data-dir of at most %d bytes", room))
	}
	return pass(name, true, fmt.Sprintf("up to %d of %d bytes with a UUID id", len(sock),
		config.MaxSocketPath))
}

// checkArch checks that Firecracker is published for this machine.
func checkArch() check {
	const name = "architecture"
	arch := images.HostArch()
	if arch != "x86_64" && arch != "aarch64" {
		return fail(name, true, arch+" is not supported by Firecracker",
			"run smartvm on an x86_64 or aarch64 host")
	}
	return pass(name, true, arch)
}
