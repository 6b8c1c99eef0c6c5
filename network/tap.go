package network

import (
	"context"
	"errors"
	"fmt"
	"net/netip"

	"code.foss.global/push.rocks/smartvm/errdefs"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// tapFlags are the flags Firecracker opens its TAP with; the TAP is created with them
// so that its persistent configuration matches. IFF_TUN_EXCL, which is not persisted,
// makes creation fail instead of attaching to a TAP that appeared meanwhile.
const tapFlags = unix.IFF_TAP | unix.IFF_NO_PI | unix.IFF_VNET_HDR

// CreateTapDevice gives interface ifaceID of VM vmID a TAP: it makes sure the bridge
// and (unless disabled) NAT are set up, leases the lowest free guest address, records
// TAP and lease, then creates a persistent single-queue TAP named TapName(vmID,
// ifaceID), enslaves it to the bridge and sets it up. Calling it again for the same pair
// returns the recorded device and recreates a missing link.
//
// It fails with INVALID_CONFIG for empty ids, SUBNET_EXHAUSTED when no address is free,
// TAP_CREATE_FAILED (naming the link) when the TAP name is already used by a link
// smartvm has no record of, and BRIDGE_SETUP_FAILED or NAT_SETUP_FAILED from the
// bridge and NAT steps. A failed call leaves no lease and no TAP behind.
func (m *Manager) CreateTapDevice(ctx context.Context, vmID, ifaceID string) (*TapDevice,
	error) {
	if vmID == "" || ifaceID == "" {
		return nil, errdefs.New(errdefs.InvalidConfig,
			"network: VM id and interface id must not be empty (got %q, %q)", vmID, ifaceID)
	}
	return m.createOrRestore(ctx, vmID, ifaceID, nil)
}

// RestoreTapDevice is CreateTapDevice for a VM restored from a snapshot: the guest still
// uses the TAP name, MAC and address of the snapshotted VM (dev, as TapDevices reported it
// then), so the TAP is recreated with exactly those, recorded under vmID, the restored
// VM. It fails with TAP_CREATE_FAILED when the name, MAC or address is held by another
// record or the address is outside the subnet. An existing record for (vmID,
// dev.IfaceID) is returned as CreateTapDevice does.
func (m *Manager) RestoreTapDevice(ctx context.Context, vmID string, dev TapDevice) (
	*TapDevice, error) {
	if dev.TapName == "" || dev.MAC == "" || dev.GuestIP == "" {
		return nil, errdefs.New(errdefs.InvalidConfig, "network: restore TAP for %s/%s: "+
			"name, MAC and guest address are all needed", vmID, dev.IfaceID)
	}
	if err := checkLinkName(dev.TapName); err != nil {
		return nil, errdefs.Wrap(err, errdefs.InvalidConfig, "network: restore TAP")
	}
	return m.createOrRestore(ctx, vmID, dev.IfaceID, &dev)
}

func (m *Manager) createOrRestore(ctx context.Context, vmID, ifaceID string,
	want *TapDevice) (*TapDevice, error) {
	if vmID == "" || ifaceID == "" {
		return nil, errdefs.New(errdefs.InvalidConfig,
			"network: VM id and interface id must not be empty (got %q, %q)", vmID, ifaceID)
	}
	var dev *TapDevice
	err := m.withState(ctx, func(tx *txn) (err error) {
		dev, err = m.createTap(tx, vmID, ifaceID, want)
		return err
	})
	if err != nil {
		return nil, codeErr(err, errdefs.TapCreateFailed, "network: create TAP for %s/%s",
			vmID, ifaceID)
	}
	return dev, nil
}

// lease picks the address for a new TAP: want if given and free, else the lowest free.
func (m *Manager) lease(st *state, want string) (netip.Addr, error) {
	used := st.usedAddrs()
	if want == "" {
		ip, err := m.subnet.allocate(used)
		if errors.Is(err, errSubnetExhausted) {
			return ip, errdefs.New(errdefs.SubnetExhausted, "network: subnet %s is "+
				"exhausted: all %d guest addresses are leased", m.subnet, m.subnet.capacity())
		}
		return ip, err
	}
	ip, err := netip.ParseAddr(want)
	if err != nil || !m.subnet.isGuestAddr(ip) {
		return ip, errdefs.New(errdefs.TapCreateFailed, "network: address %q is not a "+
			"guest address of subnet %s", want, m.subnet)
	}
	if used[ip] {
		return ip, errdefs.New(errdefs.TapCreateFailed, "network: address %s is leased to "+
			"another interface", ip)
	}
	return ip, nil
}

// find returns the record of interface iface of VM vmID, or nil.
func (st *state) find(vmID, iface string) *tapRecord {
	if rec := st.VMs[vmID]; rec != nil {
		for i := range rec.Taps {
			if rec.Taps[i].Iface == iface {
				return &rec.Taps[i]
			}
		}
	}
	return nil
}

// createTap is CreateTapDevice holding the state lock.
func (m *Manager) createTap(tx *txn, vmID, ifaceID string, want *TapDevice) (*TapDevice,
	error) {
	st := tx.st
	if len(st.VMs) > 0 && st.Subnet != m.subnet.String() {
		return nil, errdefs.New(errdefs.InvalidConfig, "network: the data dir holds leases "+
			"from subnet %s, not %s; release those VMs before changing Subnet", st.Subnet,
			m.subnet)
	}
	if t := st.find(vmID, ifaceID); t != nil {
		if err := m.ensureInfra(tx); err != nil {
			return nil, err
		}
		if err := m.ensureTapLink(t.Tap); err != nil {
			return nil, err
		}
		dev := m.device(vmID, *t)
		return &dev, nil
	}
	name, mac, wantIP := TapName(vmID, ifaceID), MAC(vmID, ifaceID), ""
	if want != nil {
		name, mac, wantIP = want.TapName, want.MAC, want.GuestIP
	}
	if id, iface, ok := st.owner(name, mac); ok {
		return nil, errdefs.New(errdefs.TapCreateFailed, "network: TAP name %s or MAC %s of "+
			"%s/%s is already held by %s/%s", name, mac, vmID, ifaceID, id, iface)
	}
	ip, err := m.lease(st, wantIP)
	if err != nil {
		return nil, err
	}
	if err := m.ensureInfra(tx); err != nil {
		return nil, err
	}
	if l, err := m.nl.LinkByName(name); err == nil {
		return nil, errdefs.New(errdefs.TapCreateFailed, "network: TAP name %s is already "+
			"used by a %s link that smartvm has no record of", name, l.Type())
	} else if !isLinkNotFound(err) {
		return nil, permError(errdefs.TapCreateFailed, err, "network: look up link %s", name)
	}
	rec := st.VMs[vmID]
	if rec == nil {
		rec = &vmRecord{PID: m.selfPID, StartTime: m.selfStart}
		st.VMs[vmID] = rec
	}
	t := tapRecord{Iface: ifaceID, Tap: name, IP: ip.String(), MAC: mac}
	rec.Taps = append(rec.Taps, t)
	st.Subnet = m.subnet.String()
	if err := tx.save(); err != nil {
		return nil, err
	}
	if err := m.ensureTapLink(name); err != nil {
		rec.Taps = rec.Taps[:len(rec.Taps)-1]
		if len(rec.Taps) == 0 {
			delete(st.VMs, vmID)
		}
		if serr := tx.save(); serr != nil {
			m.log.Warn("network: drop record of failed TAP", "tap", name, "err", serr)
		}
		return nil, err
	}
	dev := m.device(vmID, t)
	return &dev, nil
}

// ensureInfra sets up the bridge and, unless disabled, NAT.
func (m *Manager) ensureInfra(tx *txn) error {
	if err := m.ensureBridge(tx); err != nil {
		return err
	}
	if m.nat {
		return m.ensureNAT(tx)
	}
	return nil
}

// ensureTapLink creates TAP name unless it exists, enslaves it to the bridge and sets it
// up. A TAP it created is deleted again when a later step fails.
func (m *Manager) ensureTapLink(name string) error {
	link, err := m.nl.LinkByName(name)
	created := false
	if isLinkNotFound(err) {
		if err := m.inNS(func() error { return createPersistentTap(name) }); err != nil {
			return permError(errdefs.TapCreateFailed, err, "network: create TAP %s", name)
		}
		created = true
		link, err = m.nl.LinkByName(name)
	}
	if err != nil {
		return permError(errdefs.TapCreateFailed, err, "network: look up TAP %s", name)
	}
	if link.Type() != "tuntap" {
		return errdefs.New(errdefs.TapCreateFailed, "network: link %s is a %s, not a TAP",
			name, link.Type())
	}
	if err := m.attachTap(link); err != nil {
		if created {
			if derr := m.nl.LinkDel(link); derr != nil {
				m.log.Warn("network: delete half-made TAP", "tap", name, "err", derr)
			}
		}
		return err
	}
	return nil
}

// attachTap enslaves link to the bridge and sets it up.
func (m *Manager) attachTap(link netlink.Link) error {
	name := link.Attrs().Name
	br, err := m.nl.LinkByName(m.bridge)
	if err != nil {
		return permError(errdefs.TapCreateFailed, err, "network: look up bridge %s", m.bridge)
	}
	if link.Attrs().MasterIndex != br.Attrs().Index {
		if err := m.nl.LinkSetMaster(link, br); err != nil {
			return permError(errdefs.TapCreateFailed, err, "network: enslave %s to %s",
				name, m.bridge)
		}
	}
	if err := m.nl.LinkSetUp(link); err != nil {
		return permError(errdefs.TapCreateFailed, err, "network: set %s up", name)
	}
	return nil
}

// createPersistentTap creates a persistent single-queue TAP in the calling thread's
// network namespace through /dev/net/tun.
func createPersistentTap(name string) error {
	fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open /dev/net/tun: %w", err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return fmt.Errorf("TAP name %q: %w", name, err)
	}
	ifr.SetUint16(tapFlags | unix.IFF_TUN_EXCL)
	if err := unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr); err != nil {
		if errors.Is(err, unix.EBUSY) || errors.Is(err, unix.EINVAL) {
			return fmt.Errorf("TUNSETIFF %s: name already used by another link: %w", name, err)
		}
		return fmt.Errorf("TUNSETIFF %s: %w", name, err)
	}
	if err := unix.IoctlSetInt(fd, unix.TUNSETPERSIST, 1); err != nil {
		return fmt.Errorf("TUNSETPERSIST %s: %w", name, err)
	}
	return nil
}

// deleteTapLink deletes the TAP name. A missing link is fine; a link of another type
// that took the name is left alone.
func (m *Manager) deleteTapLink(name string) error {
	link, err := m.nl.LinkByName(name)
	switch {
	case isLinkNotFound(err):
		return nil
	case err != nil:
		return fmt.Errorf("look up TAP %s: %w", name, err)
	case link.Type() != "tuntap":
		m.log.Warn("network: recorded TAP name is now used by another link; left alone",
			"tap", name, "type", link.Type())
		return nil
	}
	if err := m.nl.LinkDel(link); err != nil && !isLinkNotFound(err) {
		return fmt.Errorf("delete TAP %s: %w", name, err)
	}
	return nil
}
