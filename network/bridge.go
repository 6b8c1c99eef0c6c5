package network

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"

	"code.foss.global/push.rocks/smartvm/errdefs"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// EnsureBridge creates the bridge with the gateway address (the subnet's first host
// address) and sets it up. An existing bridge is reused and gets the gateway address if
// it lacks it; a bridge smartvm did not create is never deleted, only the address it
// added is removed on Cleanup. Calling it again changes nothing. It fails with
// BRIDGE_SETUP_FAILED, saying so when CAP_NET_ADMIN is missing.
func (m *Manager) EnsureBridge(ctx context.Context) error {
	err := m.withState(ctx, m.ensureBridge)
	return codeErr(err, errdefs.BridgeSetupFailed, "network: set up bridge %s", m.bridge)
}

func isLinkNotFound(err error) bool {
	var nf netlink.LinkNotFoundError
	return errors.As(err, &nf)
}

// ensureBridge is EnsureBridge holding the state lock.
func (m *Manager) ensureBridge(tx *txn) error {
	if b := tx.st.Bridge; b != nil && b.Name != m.bridge {
		return errdefs.New(errdefs.InvalidConfig, "network: the data dir records bridge %s, "+
			"not %s; call Cleanup before changing BridgeName", b.Name, m.bridge)
	}
	link, err := m.nl.LinkByName(m.bridge)
	switch {
	case isLinkNotFound(err):
		if link, err = m.createBridge(tx); err != nil {
			return err
		}
	case err != nil:
		return permError(errdefs.BridgeSetupFailed, err, "network: look up bridge %s", m.bridge)
	case link.Type() != "bridge":
		return errdefs.New(errdefs.BridgeSetupFailed,
			"network: link %s exists and is a %s, not a bridge", m.bridge, link.Type())
	}
	if tx.st.Bridge == nil {
		tx.st.Bridge = &bridgeRecord{Name: m.bridge}
		if err := tx.save(); err != nil {
			return err
		}
	}
	if err := m.ensureGateway(tx, link); err != nil {
		return err
	}
	if err := m.nl.LinkSetUp(link); err != nil {
		return permError(errdefs.BridgeSetupFailed, err, "network: set bridge %s up", m.bridge)
	}
	return nil
}

// createBridge records the bridge as created by smartvm, then creates it; when creation
// fails the record is restored.
func (m *Manager) createBridge(tx *txn) (netlink.Link, error) {
	prev := tx.st.Bridge
	tx.st.Bridge = &bridgeRecord{Name: m.bridge, Created: true}
	if err := tx.save(); err != nil {
		return nil, err
	}
	err := m.nl.LinkAdd(&netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: m.bridge}})
	if err != nil {
		tx.st.Bridge = prev
		if serr := tx.save(); serr != nil {
			err = errors.Join(err, serr)
		}
		return nil, permError(errdefs.BridgeSetupFailed, err, "network: create bridge %s",
			m.bridge)
	}
	link, err := m.nl.LinkByName(m.bridge)
	if err != nil {
		return nil, permError(errdefs.BridgeSetupFailed, err, "network: look up new bridge %s",
			m.bridge)
	}
	return link, nil
}

// ensureGateway adds the gateway address to the bridge unless it is there. On a bridge
// smartvm did not create, the added address is recorded first, for Cleanup to remove.
func (m *Manager) ensureGateway(tx *txn, link netlink.Link) error {
	want := m.subnet.gatewayCIDR()
	addrs, err := m.nl.AddrList(link, netlink.FAMILY_V4)
	if err != nil {
		return permError(errdefs.BridgeSetupFailed, err, "network: list addresses of %s",
			m.bridge)
	}
	for _, a := range addrs {
		if a.IPNet != nil && ipNetPrefix(a.IPNet) == want {
			return nil
		}
	}
	b := tx.st.Bridge
	if !b.Created {
		b.Addr = want.String()
		if err := tx.save(); err != nil {
			return err
		}
	}
	addr := &netlink.Addr{IPNet: &net.IPNet{
		IP: want.Addr().AsSlice(), Mask: net.CIDRMask(want.Bits(), 32),
	}}
	if err := m.nl.AddrAdd(link, addr); err != nil && !errors.Is(err, unix.EEXIST) {
		return permError(errdefs.BridgeSetupFailed, err, "network: add address %s to %s",
			want, m.bridge)
	}
	return nil
}

// ipNetPrefix converts an IPv4 net.IPNet holding a host address to a netip.Prefix.
func ipNetPrefix(n *net.IPNet) netip.Prefix {
	a, ok := netip.AddrFromSlice(n.IP)
	if !ok {
		return netip.Prefix{}
	}
	ones, _ := n.Mask.Size()
	return netip.PrefixFrom(a.Unmap(), ones)
}

// removeBridge undoes what smartvm did to the recorded bridge: it deletes a bridge it
// created, or removes the address it added to a bridge it found, and drops the record.
func (m *Manager) removeBridge(tx *txn) error {
	b := tx.st.Bridge
	if b == nil {
		return nil
	}
	link, err := m.nl.LinkByName(b.Name)
	switch {
	case isLinkNotFound(err):
		m.log.Info("network: bridge already gone", "bridge", b.Name)
	case err != nil:
		return fmt.Errorf("look up bridge %s: %w", b.Name, err)
	case b.Created && link.Type() != "bridge":
		m.log.Warn("network: recorded bridge name is now used by another link; left alone",
			"bridge", b.Name, "type", link.Type())
	case b.Created:
		if err := m.nl.LinkDel(link); err != nil {
			return fmt.Errorf("delete bridge %s: %w", b.Name, err)
		}
	case b.Addr != "":
		if err := m.removeAddr(link, b.Addr); err != nil {
			return err
		}
	}
	tx.st.Bridge = nil
	return tx.save()
}

// removeAddr deletes the address cidr from link; an address already gone is fine.
func (m *Manager) removeAddr(link netlink.Link, cidr string) error {
	p, err := netip.ParsePrefix(cidr)
	if err != nil {
		return fmt.Errorf("recorded bridge address %q: %w", cidr, err)
	}
	addr := &netlink.Addr{IPNet: &net.IPNet{
		IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), 32),
	}}
	err = m.nl.AddrDel(link, addr)
	if err != nil && !errors.Is(err, unix.EADDRNOTAVAIL) {
		return fmt.Errorf("remove address %s from %s: %w", cidr, link.Attrs().Name, err)
	}
	return nil
}
