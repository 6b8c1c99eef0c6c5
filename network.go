package smartvm

import (
	"context"

	"code.foss.global/push.rocks/smartvm/config"
)

// netState is the SmartVM's link to the network manager; it is created on first use so
// that VMs without automatic TAPs never need CAP_NET_ADMIN.
type netState struct {
	s *SmartVM
}

func newNetState(s *SmartVM) *netState { return &netState{s: s} }

func (n *netState) cleanup(ctx context.Context) error { return nil }

// attachNetwork creates TAP devices for interfaces without HostDevName.
func (m *MicroVM) attachNetwork(ctx context.Context, cfg *config.VM) error { return nil }

// detachNetwork removes the VM's TAP devices and address leases.
func (m *MicroVM) detachNetwork(ctx context.Context) error { return nil }

// netSetPID records the Firecracker pid with the VM's network lease.
func (m *MicroVM) netSetPID(pid int) {}
