package smartvm

import (
	"slices"

	"code.foss.global/push.rocks/smartvm/errdefs"
)

// State is where a MicroVM is in its life.
//
//	created → configuring → running ⇄ paused → stopped
//
// Any step may end in failed, a terminal state like stopped. Cleanup is valid in every
// state.
type State string

// The states of a MicroVM.
const (
	StateCreated     State = "created"
	StateConfiguring State = "configuring"
	StateRunning     State = "running"
	StatePaused      State = "paused"
	StateStopped     State = "stopped"
	StateFailed      State = "failed"
)

// Terminal reports whether no operation but Cleanup can follow s.
func (s State) Terminal() bool { return s == StateStopped || s == StateFailed }

// requireState returns INVALID_STATE unless the VM is in one of allowed. Call with m.mu
// held.
func (m *MicroVM) requireState(op string, allowed ...State) error {
	if slices.Contains(allowed, m.state) {
		return nil
	}
	return errdefs.New(errdefs.InvalidState, "%s: VM %s is %s, want %v",
		op, m.id, m.state, allowed)
}
