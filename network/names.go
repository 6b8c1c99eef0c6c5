package network

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"net"
	"strings"
)

// MaxLinkNameLen is the longest interface name Linux accepts (IFNAMSIZ minus the NUL).
const MaxLinkNameLen = 15

// tapPrefix starts every TAP name, so smartvm's TAPs are recognisable in `ip link`.
const tapPrefix = "sv"

// nameEncoding is lowercase base32 without padding: every character is valid in an
// interface name and five bits fit in each byte of the 15-byte limit.
var nameEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").
	WithPadding(base32.NoPadding)

// digest hashes (vmID, ifaceID) under a purpose label, so names and MACs of the same
// pair are independent. The VM id is length-prefixed, so no two pairs hash the same
// input, whatever bytes the ids hold.
func digest(purpose, vmID, ifaceID string) [sha256.Size]byte {
	b := binary.AppendUvarint([]byte(purpose+"\x00"), uint64(len(vmID)))
	b = append(append(b, vmID...), ifaceID...)
	return sha256.Sum256(b)
}

// TapName returns the TAP device name for interface ifaceID of VM vmID: "sv" followed by
// 13 base32 characters (65 bits) of a SHA-256 of the pair, 15 bytes in all. The same pair
// always gets the same name; different pairs collide only with hash probability, and
// Manager.CreateTapDevice refuses a name that another link already uses.
func TapName(vmID, ifaceID string) string {
	sum := digest("smartvm-tap", vmID, ifaceID)
	return tapPrefix + nameEncoding.EncodeToString(sum[:9])[:MaxLinkNameLen-len(tapPrefix)]
}

// MAC returns the guest MAC address for interface ifaceID of VM vmID, such as
// "02:1f:a0:33:7c:e4". The first byte 02 marks a locally administered unicast address;
// the other 40 bits come from a SHA-256 of the pair, so the address is stable across
// restarts of the VM.
func MAC(vmID, ifaceID string) string {
	sum := digest("smartvm-mac", vmID, ifaceID)
	hw := net.HardwareAddr{0x02, sum[0], sum[1], sum[2], sum[3], sum[4]}
	return hw.String()
}

// GuestNetworkBootArgs returns the kernel command-line argument that configures the
// guest's interface statically, in the kernel's
// ip=<client>:<server>:<gateway>:<netmask>:<hostname>:<device>:<autoconf> form:
// "ip=172.30.0.2::172.30.0.1:255.255.255.0::eth0:off". An empty device means "eth0".
func GuestNetworkBootArgs(tap TapDevice, device string) string {
	if device == "" {
		device = "eth0"
	}
	return fmt.Sprintf("ip=%s::%s:%s::%s:off", tap.GuestIP, tap.GatewayIP, tap.SubnetMask, device)
}

// checkLinkName reports why name cannot be a Linux interface name, or nil.
func checkLinkName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("interface name is empty")
	case len(name) > MaxLinkNameLen:
		return fmt.Errorf("interface name %q is %d bytes, longer than %d",
			name, len(name), MaxLinkNameLen)
	case name == "." || name == "..":
		return fmt.Errorf("interface name %q is reserved", name)
	case strings.ContainsAny(name, "/:\x00") || strings.ContainsFunc(name, isSpace):
		return fmt.Errorf("interface name %q contains '/', ':', NUL or white space", name)
	}
	return nil
}

func isSpace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f'
}
