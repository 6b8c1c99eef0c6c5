package smartvm

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"code.foss.global/push.rocks/smartvm/config"
	"code.foss.global/push.rocks/smartvm/network"
)

// netState is the SmartVM's link to the network manager. The manager is opened on first
// use, so VMs without automatic TAPs never need CAP_NET_ADMIN.
type netState struct {
	s  *SmartVM
	mu sync.Mutex
	nm *network.Manager
}

func newNetState(s *SmartVM) *netState { return &netState{s: s} }

// leaseFile is where the network manager records what it created.
func (n *netState) leaseFile() string {
	return filepath.Join(n.s.opts.DataDir, "network", "leases.json")
}

// manager opens the network manager once.
func (n *netState) manager() (*network.Manager, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.nm != nil {
		return n.nm, nil
	}
	o := n.s.opts
	nm, err := network.NewManager(network.Options{DataDir: o.DataDir, BridgeName: o.BridgeName,
		Subnet: o.Subnet, DisableNAT: o.DisableNAT, Logger: o.Logger})
	if err != nil {
		return nil, err
	}
	n.nm = nm
	return nm, nil
}

// reclaim frees the TAPs and leases of VMs recorded in the data dir whose processes are
// gone, such as those of a manager that was killed. Without a lease file it does nothing,
// and a failure is logged, not returned: New must work without CAP_NET_ADMIN.
func (n *netState) reclaim(ctx context.Context) {
	if _, err := os.Stat(n.leaseFile()); err != nil {
		return
	}
	nm, err := n.manager()
	if err == nil {
		var ids []string
		ids, err = nm.Reclaim(ctx)
		if len(ids) > 0 {
			n.s.opts.Logger.Info("reclaimed network of dead VMs", "vms", strings.Join(ids, ","))
		}
	}
	if err != nil {
		n.s.opts.Logger.Warn("could not reclaim network of dead VMs", "err", err)
	}
}

// cleanup removes the bridge, NAT table and every TAP recorded in the data dir.
func (n *netState) cleanup(ctx context.Context) error {
	n.mu.Lock()
	nm := n.nm
	n.mu.Unlock()
	if nm == nil {
		if _, err := os.Stat(n.leaseFile()); err != nil {
			return nil
		}
		var err error
		if nm, err = n.manager(); err != nil {
			return err
		}
	}
	err := nm.Cleanup(ctx)
	n.mu.Lock()
	n.nm = nil
	n.mu.Unlock()
	return errors.Join(err, nm.Close())
}

// attachNetwork creates a TAP for every interface without HostDevName, fills in its name
// and, unless given, its MAC, and appends the guest's ip= boot argument for the first
// such interface unless cfg.NoNetworkBootArgs.
func (m *MicroVM) attachNetwork(ctx context.Context, cfg *config.VM) error {
	var nm *network.Manager
	for i := range cfg.NetworkInterfaces {
		ni := &cfg.NetworkInterfaces[i]
		if ni.HostDevName != "" {
			continue
		}
		if nm == nil {
			var err error
			if nm, err = m.bridge(ctx); err != nil {
				return err
			}
			m.setHasTaps() // even a failed create may have left a record to release
		}
		tap, err := nm.CreateTapDevice(ctx, m.id, ni.IfaceID)
		if err != nil {
			return err
		}
		ni.HostDevName = tap.TapName
		if ni.GuestMAC == "" {
			ni.GuestMAC = tap.MAC
		}
		if !cfg.NoNetworkBootArgs && !strings.Contains(cfg.BootSource.BootArgs, "ip=") {
			arg := network.GuestNetworkBootArgs(*tap, guestDevice(i))
			cfg.BootSource.BootArgs = strings.TrimSpace(cfg.BootSource.BootArgs + " " + arg)
		}
		m.log.Info("tap attached", "vm", m.id, "iface", ni.IfaceID, "tap", tap.TapName,
			"ip", tap.GuestIP)
	}
	return nil
}

// bridge opens the network manager and makes sure the bridge is up.
func (m *MicroVM) bridge(ctx context.Context) (*network.Manager, error) {
	nm, err := m.mgr.net.manager()
	if err != nil {
		return nil, err
	}
	return nm, nm.EnsureBridge(ctx)
}

// setHasTaps records that this VM has TAPs to release at cleanup.
func (m *MicroVM) setHasTaps() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.hasTaps = true
}

// tapsRecorded reports whether this VM has TAPs with the network manager.
func (m *MicroVM) tapsRecorded() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.hasTaps
}

// guestDevice names the i-th virtio-net device as a Linux guest sees it.
func guestDevice(i int) string { return "eth" + strconv.Itoa(i) }

// restoreTaps recreates the TAPs smartvm had made for a snapshotted VM that are missing
// now, with the same names, MACs and guest addresses, since the restored guest still uses
// them; they are recorded as this VM's. It returns the interfaces it could not restore.
func (m *MicroVM) restoreTaps(ctx context.Context, meta *SnapshotMetadata,
	missing []string) ([]string, error) {
	var rest []string
	for _, iface := range missing {
		lease, ok := meta.Leases[iface]
		if !ok || lease.TapName != meta.Taps[iface] { // not smartvm's, or overridden
			rest = append(rest, iface)
			continue
		}
		nm, err := m.bridge(ctx)
		if err != nil {
			return nil, err
		}
		m.setHasTaps()
		tap, err := nm.RestoreTapDevice(ctx, m.id, network.TapDevice{IfaceID: iface,
			TapName: lease.TapName, MAC: lease.MAC, GuestIP: lease.GuestIP})
		if err != nil {
			return nil, err
		}
		m.log.Info("tap restored", "vm", m.id, "iface", iface, "tap", tap.TapName,
			"ip", tap.GuestIP)
	}
	return rest, nil
}

// tapLeases returns, for a snapshot's metadata, the TAPs smartvm made for this VM.
func (m *MicroVM) tapLeases(ctx context.Context) (map[string]TapLease, error) {
	taps, err := m.GetTapDevices(ctx)
	if err != nil || len(taps) == 0 {
		return nil, err
	}
	out := map[string]TapLease{}
	for _, t := range taps {
		out[t.IfaceID] = TapLease{TapName: t.TapName, MAC: t.MAC, GuestIP: t.GuestIP}
	}
	return out, nil
}

// detachNetwork removes the VM's TAP devices and releases its addresses.
func (m *MicroVM) detachNetwork(ctx context.Context) error {
	m.mu.Lock()
	had := m.hasTaps
	m.hasTaps = false
	m.mu.Unlock()
	if !had {
		return nil
	}
	nm, err := m.mgr.net.manager()
	if err != nil {
		return err
	}
	return nm.ReleaseVM(ctx, m.id)
}

// netSetPID ties the VM's network record to the Firecracker process, so a later manager
// can tell whether the VM still runs.
func (m *MicroVM) netSetPID(pid int) {
	if !m.tapsRecorded() {
		return
	}
	nm, err := m.mgr.net.manager()
	if err == nil {
		err = nm.SetVMProcess(context.Background(), m.id, pid)
	}
	if err != nil {
		m.log.Warn("could not record VMM pid with network lease", "vm", m.id, "err", err)
	}
}

// GetTapDevices returns the TAP devices smartvm created for this VM, with their guest
// addresses and MACs. Interfaces with a caller-supplied HostDevName are not included.
func (m *MicroVM) GetTapDevices(ctx context.Context) ([]network.TapDevice, error) {
	if !m.tapsRecorded() {
		return nil, nil
	}
	nm, err := m.mgr.net.manager()
	if err != nil {
		return nil, err
	}
	return nm.TapDevices(ctx, m.id)
}
