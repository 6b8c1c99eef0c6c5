package network

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
)

// DefaultSubnet is the subnet used when Options.Subnet is empty.
const DefaultSubnet = "172.30.0.0/24"

// Smallest and largest accepted prefix lengths: a /30 leaves one guest address beside
// the network, gateway and broadcast addresses; shorter than /8 is surely a typo.
const (
	minPrefixLen = 8
	maxPrefixLen = 30
)

// subnet is a parsed IPv4 guest subnet. The first host address is the gateway (the
// bridge's address); guests get the addresses between it and the broadcast address.
type subnet struct {
	prefix    netip.Prefix
	network   uint32
	broadcast uint32
}

// parseSubnet parses an IPv4 CIDR such as "172.30.0.0/24". The address must be the
// network address itself (no host bits), so a typo is not silently widened.
func parseSubnet(s string) (subnet, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return subnet{}, fmt.Errorf("subnet %q is not a CIDR such as %s", s, DefaultSubnet)
	}
	if !p.Addr().Is4() {
		return subnet{}, fmt.Errorf("subnet %q is not IPv4; only IPv4 subnets are supported", s)
	}
	if p.Bits() < minPrefixLen || p.Bits() > maxPrefixLen {
		return subnet{}, fmt.Errorf("subnet %q has prefix length /%d; use /%d to /%d",
			s, p.Bits(), minPrefixLen, maxPrefixLen)
	}
	if m := p.Masked(); m != p {
		return subnet{}, fmt.Errorf("subnet %q has host bits set; did you mean %s?", s, m)
	}
	network := addrToU32(p.Addr())
	return subnet{prefix: p, network: network, broadcast: network | ^maskU32(p.Bits())}, nil
}

func maskU32(bits int) uint32 { return ^uint32(0) << (32 - bits) }

func addrToU32(a netip.Addr) uint32 {
	b := a.As4()
	return binary.BigEndian.Uint32(b[:])
}

func u32ToAddr(v uint32) netip.Addr {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], v)
	return netip.AddrFrom4(b)
}

// String returns the subnet in CIDR form.
func (s subnet) String() string { return s.prefix.String() }

// gateway returns the bridge's address, the first host address.
func (s subnet) gateway() netip.Addr { return u32ToAddr(s.network + 1) }

// mask returns the netmask in dotted form, such as "255.255.255.0".
func (s subnet) mask() string {
	return net.IP(net.CIDRMask(s.prefix.Bits(), 32)).String()
}

// gatewayCIDR returns the bridge address with the prefix length, such as "172.30.0.1/24".
func (s subnet) gatewayCIDR() netip.Prefix {
	return netip.PrefixFrom(s.gateway(), s.prefix.Bits())
}

// isGuestAddr reports whether a may be leased to a guest: inside the subnet and neither
// the network, the gateway nor the broadcast address.
func (s subnet) isGuestAddr(a netip.Addr) bool {
	if !a.Is4() || !s.prefix.Contains(a) {
		return false
	}
	v := addrToU32(a)
	return v > s.network+1 && v < s.broadcast
}

// capacity returns how many guest addresses the subnet holds.
func (s subnet) capacity() int { return int(s.broadcast - s.network - 2) }

// allocate returns the lowest guest address not in used, so addresses are handed out
// sequentially from .2 and released ones are reused first. It fails with
// errSubnetExhausted when every guest address is taken.
func (s subnet) allocate(used map[netip.Addr]bool) (netip.Addr, error) {
	for v := s.network + 2; v < s.broadcast; v++ {
		if a := u32ToAddr(v); !used[a] {
			return a, nil
		}
	}
	return netip.Addr{}, errSubnetExhausted
}

// errSubnetExhausted is returned by allocate; callers turn it into SUBNET_EXHAUSTED.
var errSubnetExhausted = errors.New("no free guest address")
