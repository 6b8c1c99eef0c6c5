package smartvm

import (
	"log/slog"
	"time"

	"code.foss.global/push.rocks/smartvm/api"
)

// DefaultDataDir is where SmartVM keeps binaries, images, sockets and VM files.
const DefaultDataDir = "/tmp/.smartvm"

// DefaultSocketTimeout is how long Start waits for Firecracker's API socket.
const DefaultSocketTimeout = 10 * time.Second

// Options configure a SmartVM. The zero value works: every field has a default.
type Options struct {
	// DataDir holds bin/, kernels/, rootfs/, sockets/, snapshots/ and vms/.
	// Default DefaultDataDir.
	DataDir string
	// FirecrackerBinaryPath is the firecracker executable. When empty, SmartVM uses the
	// cached release of FirecrackerVersion in DataDir, else firecracker on PATH, else it
	// downloads and verifies that release.
	FirecrackerBinaryPath string
	// FirecrackerVersion is the release to use when no binary path is given, such as
	// "v1.14.2". Empty means the pinned default of the images package.
	FirecrackerVersion string
	// Arch is "x86_64" or "aarch64"; empty means this machine's.
	Arch string
	// BridgeName is the host bridge for automatic TAP devices. Default "svbr0".
	BridgeName string
	// Subnet is the IPv4 subnet handed to guests. Default "172.30.0.0/24".
	Subnet string
	// DisableNAT leaves out the nftables NAT rules for automatic TAPs.
	DisableNAT bool
	// Logger receives smartvm's log lines, each with the VM id as "vm". Default: discard.
	Logger *slog.Logger

	// FirecrackerArgs are extra command-line arguments for every Firecracker process.
	FirecrackerArgs []string
	// FirecrackerEnv are extra environment variables (KEY=value) for Firecracker.
	FirecrackerEnv []string
	// RequestTimeout bounds each configuration call. Default api.DefaultTimeout.
	RequestTimeout time.Duration
	// SnapshotTimeout bounds snapshot calls; it grows with guest memory by
	// one second per 256 MiB. Default api.DefaultSnapshotTimeout.
	SnapshotTimeout time.Duration
	// SocketTimeout bounds the wait for the API socket. Default DefaultSocketTimeout.
	SocketTimeout time.Duration
	// StopGrace is how long Stop waits after Ctrl-Alt-Del. Default DefaultStopGrace.
	StopGrace time.Duration
	// ConsoleBufferSize is how many console bytes each VM keeps. Default
	// DefaultConsoleBuffer.
	ConsoleBufferSize int
	// RequestHook sees the exact body of every API request, for auditing and tests.
	RequestHook api.RequestHook
}

func (o *Options) setDefaults() {
	if o.DataDir == "" {
		o.DataDir = DefaultDataDir
	}
	if o.BridgeName == "" {
		o.BridgeName = "svbr0"
	}
	if o.Subnet == "" {
		o.Subnet = "172.30.0.0/24"
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = api.DefaultTimeout
	}
	if o.SnapshotTimeout <= 0 {
		o.SnapshotTimeout = api.DefaultSnapshotTimeout
	}
	if o.SocketTimeout <= 0 {
		o.SocketTimeout = DefaultSocketTimeout
	}
	if o.StopGrace <= 0 {
		o.StopGrace = DefaultStopGrace
	}
}
