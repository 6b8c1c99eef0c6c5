// Package network gives Firecracker microVMs a network: a Linux bridge with the gateway
// address, one persistent TAP device per guest interface enslaved to it, guest addresses
// leased from a subnet, deterministic MAC addresses, and outbound NAT through an
// nftables table of its own. Links and addresses are managed through netlink and rules
// through nftables; nothing shells out to ip, iptables or nft.
//
// Everything the Manager creates is recorded in <DataDir>/network/leases.json before it
// is created, under a file lock, so that teardown removes exactly that, also after a
// crash, and so that several managers sharing a data dir never lease the same address.
//
// All operations need CAP_NET_ADMIN in the target network namespace (and CAP_SYS_ADMIN
// when Options.NetNS names another namespace).
package network

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"code.foss.global/push.rocks/smartvm/errdefs"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// DefaultBridgeName is the bridge used when Options.BridgeName is empty.
const DefaultBridgeName = "svbr0"

// Options configures a Manager.
type Options struct {
	// DataDir is smartvm's data directory; the lease file and its lock live in
	// DataDir/network. Required. Managers sharing it share leases and records.
	DataDir string
	// BridgeName is the bridge the TAPs are enslaved to; default "svbr0".
	BridgeName string
	// Subnet is the IPv4 guest subnet in CIDR form; default "172.30.0.0/24". Its first
	// host address is the gateway on the bridge, guests get the rest but the broadcast.
	Subnet string
	// NetNS is the path of the network namespace to work in, such as
	// /var/run/netns/NAME; empty means the process's own namespace. Entering another
	// namespace needs CAP_SYS_ADMIN.
	NetNS string
	// DisableNAT leaves out the nftables masquerade and forward rules and ip_forward.
	DisableNAT bool
	// Logger receives reclaim and cleanup messages; nil discards them.
	Logger *slog.Logger
}

// TapDevice describes one guest interface: the host TAP and the guest's addresses.
type TapDevice struct {
	// VMID and IfaceID identify the interface.
	VMID    string
	IfaceID string
	// TapName is the host device name, Firecracker's host_dev_name.
	TapName string
	// Bridge is the bridge the TAP is enslaved to.
	Bridge string
	// GuestIP is the guest's address, such as "172.30.0.2".
	GuestIP string
	// GatewayIP is the bridge's address, such as "172.30.0.1".
	GatewayIP string
	// SubnetMask is the netmask in dotted form, such as "255.255.255.0".
	SubnetMask string
	// PrefixLen is the subnet's prefix length, such as 24.
	PrefixLen int
	// MAC is the guest MAC, Firecracker's guest_mac.
	MAC string
}

// Manager creates and removes smartvm's bridge, TAPs, leases and NAT rules. Its methods
// but Close are safe for concurrent use.
type Manager struct {
	bridge     string
	subnet     subnet
	nat        bool
	nsPath     string
	ns         netns.NsHandle // closed (None) for the caller's own namespace
	nl         *netlink.Handle
	statePath  string
	lockPath   string
	log        *slog.Logger
	selfPID    int
	selfStart  uint64
	mu         sync.Mutex // serializes this manager's operations; the file lock others'
	closeOnce  sync.Once
	closeError error
}

// NewManager checks opts and opens the target network namespace. It changes nothing in
// the namespace; call Reclaim next to remove what dead VMs left behind. Invalid options
// fail with INVALID_CONFIG.
func NewManager(opts Options) (*Manager, error) {
	if opts.DataDir == "" {
		return nil, errdefs.New(errdefs.InvalidConfig, "network: DataDir is required")
	}
	if opts.BridgeName == "" {
		opts.BridgeName = DefaultBridgeName
	}
	if err := checkLinkName(opts.BridgeName); err != nil {
		return nil, errdefs.Wrap(err, errdefs.InvalidConfig, "network: invalid BridgeName")
	}
	if opts.Subnet == "" {
		opts.Subnet = DefaultSubnet
	}
	sub, err := parseSubnet(opts.Subnet)
	if err != nil {
		return nil, errdefs.Wrap(err, errdefs.InvalidConfig, "network: invalid Subnet")
	}
	dir := filepath.Join(opts.DataDir, "network")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, errdefs.Wrap(err, errdefs.InvalidConfig, "network: create %s", dir)
	}
	m := &Manager{
		bridge: opts.BridgeName, subnet: sub, nat: !opts.DisableNAT,
		nsPath: opts.NetNS, ns: netns.None(),
		statePath: filepath.Join(dir, "leases.json"), lockPath: filepath.Join(dir, ".lock"),
		log: opts.Logger, selfPID: os.Getpid(),
	}
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	if m.selfStart, _, err = procStartTime(m.selfPID); err != nil {
		return nil, errdefs.Wrap(err, errdefs.BridgeSetupFailed,
			"network: read own start time from /proc")
	}
	if opts.NetNS != "" {
		if m.ns, err = netns.GetFromPath(opts.NetNS); err != nil {
			return nil, errdefs.Wrap(err, errdefs.InvalidConfig,
				"network: open network namespace %s", opts.NetNS)
		}
	}
	if m.nl, err = netlink.NewHandleAt(m.ns, unix.NETLINK_ROUTE); err != nil {
		m.ns.Close()
		return nil, permError(errdefs.BridgeSetupFailed, err, "network: open netlink socket")
	}
	return m, nil
}

// Close releases the manager's netlink socket and namespace handle. It removes nothing;
// see ReleaseVM and Cleanup.
func (m *Manager) Close() error {
	m.closeOnce.Do(func() {
		m.nl.Close()
		if m.ns.IsOpen() { // None stands for the caller's namespace: nothing to close
			m.closeError = m.ns.Close()
		}
	})
	return m.closeError
}

// BridgeName returns the name of the bridge the manager uses.
func (m *Manager) BridgeName() string { return m.bridge }

// Subnet returns the guest subnet in CIDR form.
func (m *Manager) Subnet() string { return m.subnet.String() }

// NATTable returns the name of the nftables table (family ip) the manager creates:
// "smartvm_" followed by the bridge name, so managers of different bridges never share one.
func (m *Manager) NATTable() string { return "smartvm_" + m.bridge }

// txn is a locked view of the lease file.
type txn struct {
	path string
	st   *state
}

// save writes the state, so that what is about to be created is on record first.
func (tx *txn) save() error { return writeState(tx.path, tx.st) }

// withState runs fn holding this manager's mutex and the data dir's file lock, with the
// lease file freshly read. fn saves what it changes.
func (m *Manager) withState(ctx context.Context, fn func(tx *txn) error) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	unlock, err := lockFile(ctx, m.lockPath)
	if err != nil {
		return err
	}
	defer unlock()
	st, err := readState(m.statePath)
	if err != nil {
		return err
	}
	return fn(&txn{path: m.statePath, st: st})
}

// inNS runs fn on an OS thread inside the target namespace, for the operations that act
// on the calling thread's namespace (opening /dev/net/tun, writing /proc/sys/net).
func (m *Manager) inNS(fn func() error) error {
	if !m.ns.IsOpen() {
		return fn()
	}
	done := make(chan error, 1)
	go func() {
		// The thread stays locked: when the goroutine returns, the runtime ends the
		// thread instead of reusing it in the wrong namespace.
		runtime.LockOSThread()
		if err := netns.Set(m.ns); err != nil {
			done <- fmt.Errorf("enter network namespace %s: %w", m.nsPath, err)
			return
		}
		done <- fn()
	}()
	return <-done
}

// permError wraps err and says that CAP_NET_ADMIN is needed when err is EPERM or EACCES.
func permError(code errdefs.Code, err error, format string, args ...any) *errdefs.Error {
	msg := fmt.Sprintf(format, args...)
	if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
		msg += ": CAP_NET_ADMIN is needed (run as root or grant the capability)"
	}
	return errdefs.Wrap(err, code, "%s", msg)
}

// codeErr returns err unchanged when it already is an *errdefs.Error, and wraps it with
// code otherwise.
func codeErr(err error, code errdefs.Code, format string, args ...any) error {
	var e *errdefs.Error
	if err == nil || errors.As(err, &e) {
		return err
	}
	return errdefs.Wrap(err, code, format, args...)
}

// device builds the TapDevice of a record.
func (m *Manager) device(vmID string, t tapRecord) TapDevice {
	return TapDevice{
		VMID: vmID, IfaceID: t.Iface, TapName: t.Tap, Bridge: m.bridge,
		GuestIP: t.IP, GatewayIP: m.subnet.gateway().String(),
		SubnetMask: m.subnet.mask(), PrefixLen: m.subnet.prefix.Bits(), MAC: t.MAC,
	}
}

// TapDevices returns the recorded interfaces of VM vmID, in creation order; none for an
// unknown VM.
func (m *Manager) TapDevices(ctx context.Context, vmID string) ([]TapDevice, error) {
	var out []TapDevice
	err := m.withState(ctx, func(tx *txn) error {
		if rec := tx.st.VMs[vmID]; rec != nil {
			for _, t := range rec.Taps {
				out = append(out, m.device(vmID, t))
			}
		}
		return nil
	})
	if err != nil {
		return nil, codeErr(err, errdefs.NotFound, "network: read records of %s", vmID)
	}
	return out, nil
}

// SetVMProcess records pid, normally the VM's Firecracker process, as the process
// whose life keeps VM vmID's TAPs and leases: once it is gone, Reclaim removes them.
// Until it is called, the manager's own process plays that role. It fails with
// NOT_FOUND when the VM has no record or pid does not run.
func (m *Manager) SetVMProcess(ctx context.Context, vmID string, pid int) error {
	start, zombie, err := procStartTime(pid)
	if err != nil || zombie {
		return errdefs.Wrap(err, errdefs.NotFound, "network: process %d of VM %s is not running",
			pid, vmID)
	}
	err = m.withState(ctx, func(tx *txn) error {
		rec := tx.st.VMs[vmID]
		if rec == nil {
			return errdefs.New(errdefs.NotFound, "network: VM %s has no network record", vmID)
		}
		rec.PID, rec.StartTime = pid, start
		return tx.save()
	})
	return codeErr(err, errdefs.InvalidState, "network: record process of VM %s", vmID)
}
