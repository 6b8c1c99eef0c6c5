package network

import (
	"fmt"
	"net"
	"regexp"
	"testing"
)

func TestTapNameDeterministicShortAndDistinct(t *testing.T) {
	valid := regexp.MustCompile(`^sv[a-z2-7]{13}$`)
	seen := map[string]string{}
	for i := range 20000 {
		vm, iface := fmt.Sprintf("vm-%d", i/4), fmt.Sprintf("eth%d", i%4)
		name := TapName(vm, iface)
		if !valid.MatchString(name) || len(name) > MaxLinkNameLen {
			t.Fatalf("TapName(%q, %q) = %q: not 15 bytes of [a-z2-7] after sv", vm, iface, name)
		}
		if err := checkLinkName(name); err != nil {
			t.Fatalf("TapName gave an invalid link name: %v", err)
		}
		if other, ok := seen[name]; ok {
			t.Fatalf("TapName(%s/%s) collides with %s: %s", vm, iface, other, name)
		}
		seen[name] = vm + "/" + iface
		if again := TapName(vm, iface); again != name {
			t.Fatalf("TapName not deterministic: %q then %q", name, again)
		}
	}
	// A long VM id shares its first 15 bytes with another: truncation would collide.
	long := "0123456789abcdef-0123456789abcdef"
	if TapName(long+"1", "eth0") == TapName(long+"2", "eth0") {
		t.Fatal("ids differing only at the end got the same TAP name")
	}
	// Length-prefixing keeps pairs apart that concatenate to the same bytes.
	if TapName("a\x00b", "c") == TapName("a", "b\x00c") || TapName("ab", "c") == TapName("a", "bc") {
		t.Fatal("concatenation ambiguity: different pairs got the same TAP name")
	}
}

func TestMACLocallyAdministeredDeterministicDistinct(t *testing.T) {
	seen := map[string]bool{}
	for i := range 5000 {
		vm := fmt.Sprintf("vm-%d", i)
		mac := MAC(vm, "eth0")
		hw, err := net.ParseMAC(mac)
		if err != nil || len(hw) != 6 {
			t.Fatalf("MAC(%q) = %q: not a 6-byte MAC: %v", vm, mac, err)
		}
		if hw[0] != 0x02 {
			t.Fatalf("MAC(%q) = %q: first byte must be 02 (local, unicast)", vm, mac)
		}
		if seen[mac] {
			t.Fatalf("MAC collision at %q: %s", vm, mac)
		}
		seen[mac] = true
		if MAC(vm, "eth0") != mac {
			t.Fatalf("MAC not deterministic for %q", vm)
		}
	}
	if MAC("vm", "eth0") == MAC("vm", "eth1") {
		t.Fatal("two interfaces of one VM got the same MAC")
	}
}

func TestGuestNetworkBootArgs(t *testing.T) {
	dev := TapDevice{GuestIP: "172.30.0.7", GatewayIP: "172.30.0.1", SubnetMask: "255.255.255.0"}
	if got, want := GuestNetworkBootArgs(dev, ""),
		"ip=172.30.0.7::172.30.0.1:255.255.255.0::eth0:off"; got != want {
		t.Errorf("default device: got %q, want %q", got, want)
	}
	if got, want := GuestNetworkBootArgs(dev, "ens3"),
		"ip=172.30.0.7::172.30.0.1:255.255.255.0::ens3:off"; got != want {
		t.Errorf("device ens3: got %q, want %q", got, want)
	}
}

func TestCheckLinkName(t *testing.T) {
	for _, bad := range []string{"", "0123456789abcdef", ".", "..", "a/b", "a:b", "a b",
		"a\tb", "a\x00b"} {
		if checkLinkName(bad) == nil {
			t.Errorf("checkLinkName(%q) = nil, want an error", bad)
		}
	}
	for _, good := range []string{"svbr0", "0123456789abcde", "br-lan.1", "x"} {
		if err := checkLinkName(good); err != nil {
			t.Errorf("checkLinkName(%q) = %v, want nil", good, err)
		}
	}
}
