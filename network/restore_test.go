package network

import (
	"testing"

	"code.foss.global/push.rocks/smartvm/errdefs"
)

// TestLeaseWanted checks the address choice of RestoreTapDevice: the wanted address when
// it is a free guest address of the subnet, a clear error otherwise.
func TestLeaseWanted(t *testing.T) {
	m, err := NewManager(Options{DataDir: t.TempDir(), Subnet: "10.9.0.0/29"})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	st := &state{VMs: map[string]*vmRecord{
		"a": {Taps: []tapRecord{{Iface: "eth0", IP: "10.9.0.2"}}},
	}}
	if ip, err := m.lease(st, "10.9.0.5"); err != nil || ip.String() != "10.9.0.5" {
		t.Fatalf("lease free wanted address = %v, %v", ip, err)
	}
	if ip, err := m.lease(st, ""); err != nil || ip.String() != "10.9.0.3" {
		t.Fatalf("lease without a wish = %v, %v; want the lowest free, 10.9.0.3", ip, err)
	}
	for _, bad := range []string{"10.9.0.2", "10.9.0.1", "10.9.0.7", "10.9.1.2", "nope"} {
		_, err := m.lease(st, bad)
		if errdefs.CodeOf(err) != errdefs.TapCreateFailed {
			t.Errorf("lease %q = %v, want TAP_CREATE_FAILED", bad, err)
		}
	}
	dev := TapDevice{IfaceID: "eth0", TapName: "svtest0", MAC: "02:00:00:00:00:01"}
	if _, err := m.RestoreTapDevice(t.Context(), "a", dev); errdefs.CodeOf(err) !=
		errdefs.InvalidConfig {
		t.Errorf("RestoreTapDevice without an address = %v, want INVALID_CONFIG", err)
	}
}
