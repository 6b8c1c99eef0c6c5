package network

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"code.foss.global/push.rocks/smartvm/errdefs"
)

func TestParseSubnet(t *testing.T) {
	s, err := parseSubnet("172.30.0.0/24")
	if err != nil {
		t.Fatal(err)
	}
	if got := s.gateway().String(); got != "172.30.0.1" {
		t.Errorf("gateway = %s, want 172.30.0.1", got)
	}
	if got := s.mask(); got != "255.255.255.0" {
		t.Errorf("mask = %s, want 255.255.255.0", got)
	}
	if got := s.gatewayCIDR().String(); got != "172.30.0.1/24" {
		t.Errorf("gateway CIDR = %s", got)
	}
	if got := s.capacity(); got != 253 {
		t.Errorf("capacity = %d, want 253", got)
	}
	if got := u32ToAddr(s.broadcast).String(); got != "172.30.0.255" {
		t.Errorf("broadcast = %s", got)
	}
	bad := map[string]string{
		"":                    "not a CIDR",
		"172.30.0.0":          "not a CIDR",
		"172.30.0.0/33":       "not a CIDR",
		"garbage":             "not a CIDR",
		"fd00::/64":           "not IPv4",
		"::ffff:10.0.0.0/104": "not IPv4",
		"172.30.0.5/24":       "host bits set; did you mean 172.30.0.0/24",
		"10.0.0.0/31":         "use /8 to /30",
		"10.0.0.0/4":          "use /8 to /30",
	}
	for in, want := range bad {
		_, err := parseSubnet(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("parseSubnet(%q) = %v, want error containing %q", in, err, want)
		}
	}
}

func TestAllocateSequentialReuseExhaust(t *testing.T) {
	s, err := parseSubnet("10.1.2.0/29") // guests .2 to .6
	if err != nil {
		t.Fatal(err)
	}
	used := map[netip.Addr]bool{}
	var got []string
	for range 5 {
		a, err := s.allocate(used)
		if err != nil {
			t.Fatal(err)
		}
		used[a] = true
		got = append(got, a.String())
	}
	if want := "10.1.2.2 10.1.2.3 10.1.2.4 10.1.2.5 10.1.2.6"; strings.Join(got, " ") != want {
		t.Fatalf("allocated %v, want %s", got, want)
	}
	if _, err := s.allocate(used); !errors.Is(err, errSubnetExhausted) {
		t.Fatalf("full subnet: err = %v, want errSubnetExhausted", err)
	}
	delete(used, netip.MustParseAddr("10.1.2.4"))
	if a, err := s.allocate(used); err != nil || a.String() != "10.1.2.4" {
		t.Fatalf("after release: got %v, %v, want the released 10.1.2.4", a, err)
	}
	for _, a := range []string{"10.1.2.0", "10.1.2.1", "10.1.2.7", "10.1.3.2"} {
		if s.isGuestAddr(netip.MustParseAddr(a)) {
			t.Errorf("isGuestAddr(%s) = true", a)
		}
	}
}

func TestNewManagerInvalidConfig(t *testing.T) {
	dir := t.TempDir()
	cases := []Options{
		{DataDir: dir, Subnet: "not-a-subnet"},
		{DataDir: dir, Subnet: "172.30.0.9/24"},
		{DataDir: dir, Subnet: "fd00::/64"},
		{DataDir: dir, BridgeName: "this-name-is-too-long"},
		{DataDir: ""},
	}
	for _, opts := range cases {
		m, err := NewManager(opts)
		if err == nil {
			m.Close()
		}
		if errdefs.CodeOf(err) != errdefs.InvalidConfig {
			t.Errorf("NewManager(%+v): err = %v, want INVALID_CONFIG", opts, err)
		}
	}
}

func FuzzParseSubnet(f *testing.F) {
	for _, s := range []string{"172.30.0.0/24", "10.0.0.0/8", "192.168.1.4/30", "1.2.3.4/32",
		"::/0", "0.0.0.0/0", "300.1.1.1/8", "10.0.0.0/08"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		s, err := parseSubnet(in)
		if err != nil {
			return
		}
		if s.String() != in {
			t.Fatalf("parseSubnet(%q) accepted a non-canonical form %s", in, s)
		}
		if !s.prefix.Contains(s.gateway()) || s.isGuestAddr(s.gateway()) {
			t.Fatalf("%s: gateway %s outside the subnet or leasable", in, s.gateway())
		}
		a, err := s.allocate(nil)
		if err != nil || !s.isGuestAddr(a) || addrToU32(a) != s.network+2 {
			t.Fatalf("%s: first allocation %v, %v", in, a, err)
		}
		if s.capacity() < 1 {
			t.Fatalf("%s: capacity %d", in, s.capacity())
		}
	})
}
