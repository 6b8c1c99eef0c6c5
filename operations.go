package smartvm

import (
	"context"
	"fmt"
	"strings"
	"time"

	"code.foss.global/push.rocks/smartvm/api"
	"code.foss.global/push.rocks/smartvm/errdefs"
)

// Operation describes one MicroVM method: the states it is valid in and the Firecracker
// feature it needs, if any. The methods check themselves against these values, and the
// README's method table is generated from OperationTable, so the two cannot drift apart.
type Operation struct {
	// Name is the MicroVM method.
	Name string
	// States are the states the method is valid in.
	States []State
	// Feature is the version-dependent API feature the method needs, or "".
	Feature api.Feature
}

var live = []State{StateRunning, StatePaused}

// The operations of MicroVM. Keep this list in the order of the README table.
var (
	opStart         = &Operation{Name: "Start", States: []State{StateCreated}}
	opPause         = &Operation{Name: "Pause", States: live}
	opResume        = &Operation{Name: "Resume", States: live}
	opStop          = &Operation{Name: "Stop", States: allStates()}
	opCleanup       = &Operation{Name: "Cleanup", States: allStates()}
	opGetInfo       = &Operation{Name: "GetInfo", States: live}
	opGetVersion    = &Operation{Name: "GetVersion", States: live}
	opGetVMConfig   = &Operation{Name: "GetVMConfig", States: live}
	opWait          = &Operation{Name: "Wait", States: append(live, StateStopped, StateFailed)}
	operationsTable = []*Operation{opStart, opPause, opResume, opStop, opCleanup, opGetInfo,
		opGetVersion, opGetVMConfig, opWait}
)

// allStates is every state; Stop and Cleanup cancel a Start under way.
func allStates() []State {
	return []State{StateCreated, StateConfiguring, StateRunning, StatePaused, StateStopped,
		StateFailed}
}

// registerOperations adds operations to the table; files that define more MicroVM methods
// call it from an init function.
func registerOperations(ops ...*Operation) {
	operationsTable = append(operationsTable, ops...)
}

// OperationTable returns every MicroVM operation with its valid states and minimum
// Firecracker version.
func OperationTable() []Operation {
	out := make([]Operation, len(operationsTable))
	for i, op := range operationsTable {
		out[i] = *op
	}
	return out
}

// MinVersion returns the first Firecracker version that has the operation.
func (o Operation) MinVersion() string {
	if o.Feature == "" {
		return api.OldestSupported.String()
	}
	return api.MinimumVersion(o.Feature).String()
}

// MarkdownTable renders OperationTable as the README's table.
func MarkdownTable() string {
	var b strings.Builder
	b.WriteString("| method | valid in states | minimum Firecracker |\n|---|---|---|\n")
	for _, op := range OperationTable() {
		states := make([]string, len(op.States))
		for i, s := range op.States {
			states[i] = string(s)
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", op.Name, strings.Join(states, ", "),
			op.MinVersion())
	}
	return b.String()
}

// check returns INVALID_STATE or UNSUPPORTED_VERSION when op cannot run now. Call with
// m.mu held.
func (m *MicroVM) check(op *Operation) error {
	if err := m.requireState(op.Name, op.States...); err != nil {
		return err
	}
	if op.Feature != "" && !m.version.IsZero() && !m.version.Supports(op.Feature) {
		return errdefs.New(errdefs.UnsupportedVersion, "%s needs Firecracker %s or later; "+
			"VM %s runs %s", op.Name, api.MinimumVersion(op.Feature), m.id, m.version)
	}
	return nil
}

// begin checks op and returns the API client.
func (m *MicroVM) begin(op *Operation) (*api.Client, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.check(op); err != nil {
		return nil, err
	}
	if m.client == nil {
		return nil, errdefs.New(errdefs.NoClient, "%s: VM %s has no API client", op.Name, m.id)
	}
	return m.client, nil
}

// do runs one API request for op and names op and the VM in any error.
func (m *MicroVM) do(ctx context.Context, op *Operation, method, path string, body, out any,
	timeout time.Duration) error {
	c, err := m.begin(op)
	if err != nil {
		return err
	}
	if err := c.Do(ctx, method, path, body, out, timeout); err != nil {
		return errdefs.Context(err, errdefs.APIError, "%s on VM %s", op.Name, m.id)
	}
	return nil
}
