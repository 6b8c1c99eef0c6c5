package smartvm

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"code.foss.global/push.rocks/smartvm/api"
	"code.foss.global/push.rocks/smartvm/config"
	"code.foss.global/push.rocks/smartvm/errdefs"
)

// MicroVM is one Firecracker microVM and the process that runs it. Create it with
// SmartVM.CreateVM. Its methods are safe for concurrent use; an operation that the current
// State does not allow returns an INVALID_STATE error without contacting Firecracker.
type MicroVM struct {
	id      string
	cfg     *config.VM
	mgr     *SmartVM
	log     *slog.Logger
	paths   vmPaths
	conOut  io.Writer
	conIn   io.Reader
	console *Console

	mu       sync.Mutex
	state    State
	proc     *vmm
	client   *api.Client
	version  api.Version
	timings  Timings
	stopDone chan struct{} // non-nil while or after a Stop runs
	cleaned  bool
	hasTaps  bool     // the network manager holds a record of TAPs for this VM
	idLock   *os.File // the claim on this VM's id (claim.go), from Start to Cleanup
	// startCancel and startDone let Stop and Cleanup cancel a Start under way.
	startCancel context.CancelFunc
	startOp     string // "Start" or "LoadSnapshot", for error messages
	startDone   chan struct{}
	resolved    *config.VM // the config as sent, with TAPs and paths filled in
	ext         surface    // state of the device, snapshot and FIFO methods (surface.go)
}

// vmPaths are the files a VM owns.
type vmPaths struct {
	socket string // API socket
	dir    string // <dataDir>/vms/<id>
	log    string // Firecracker's log file when the user gave no logger
}

// Timings records how long each step of Start took.
type Timings struct {
	// Spawn is from Start's call to the Firecracker process running.
	Spawn time.Duration
	// SocketReady is from the spawn to the API socket accepting connections.
	SocketReady time.Duration
	// Config is the time spent on the configuration calls (including GET /version).
	Config time.Duration
	// InstanceStart is the InstanceStart call.
	InstanceStart time.Duration
	// FirstConsoleByte is from Start's call to the first console byte; 0 if none came
	// before Start returned (see FirstConsoleByteAfter).
	FirstConsoleByte time.Duration
	// Total is the whole of Start.
	Total   time.Duration
	started time.Time
}

// FirstConsoleByteAfter returns the time from Start's call to the first console byte,
// waiting for it until ctx ends.
func (m *MicroVM) FirstConsoleByteAfter(ctx context.Context) (time.Duration, error) {
	if err := m.console.WaitFunc(ctx, func(b []byte) bool { return len(b) > 0 }); err != nil {
		return 0, err
	}
	m.mu.Lock()
	start := m.timings.started
	m.mu.Unlock()
	return m.console.FirstByte().Sub(start), nil
}

// ID returns the VM's id.
func (m *MicroVM) ID() string { return m.id }

// Config returns a copy of the VM's configuration as given to CreateVM.
func (m *MicroVM) Config() *config.VM { return m.cfg.Clone() }

// State returns the current state.
func (m *MicroVM) State() State {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.state
}

// SocketPath returns the path of the VM's API socket.
func (m *MicroVM) SocketPath() string { return m.paths.socket }

// Dir returns the VM's own directory, which holds its log file and default vsock socket.
func (m *MicroVM) Dir() string { return m.paths.dir }

// LogPath returns the file Firecracker logs to.
func (m *MicroVM) LogPath() string {
	if m.cfg.Logger != nil {
		return m.cfg.Logger.LogPath
	}
	return m.paths.log
}

// Console returns the guest's serial console output.
func (m *MicroVM) Console() *Console { return m.console }

// PID returns the Firecracker process id, or 0 before Start.
func (m *MicroVM) PID() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.proc == nil {
		return 0
	}
	return m.proc.pid()
}

// Version returns the running Firecracker's version, known once Start has reached the API.
func (m *MicroVM) Version() api.Version {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.version
}

// Timings returns how long the steps of Start took.
func (m *MicroVM) Timings() Timings {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.timings
}

// Pause pauses the guest's vCPUs (PATCH /vm). Pausing a paused VM does nothing.
func (m *MicroVM) Pause(ctx context.Context) error {
	return m.setRunState(ctx, opPause, api.VMStatePaused, StatePaused)
}

// Resume resumes a paused guest (PATCH /vm). Resuming a running VM does nothing.
func (m *MicroVM) Resume(ctx context.Context) error {
	return m.setRunState(ctx, opResume, api.VMStateResumed, StateRunning)
}

func (m *MicroVM) setRunState(ctx context.Context, op *Operation, fcState string,
	want State) error {
	if m.State() == want {
		return nil
	}
	err := m.do(ctx, op, http.MethodPatch, "/vm", api.VM{State: fcState}, nil, 0)
	if err != nil {
		return err
	}
	m.mu.Lock()
	if m.state == StateRunning || m.state == StatePaused {
		m.state = want
	}
	m.mu.Unlock()
	m.log.Info("vm state changed", "vm", m.id, "state", want)
	return nil
}

// GetInfo returns Firecracker's instance information (GET /).
func (m *MicroVM) GetInfo(ctx context.Context) (api.InstanceInfo, error) {
	var info api.InstanceInfo
	err := m.do(ctx, opGetInfo, http.MethodGet, "/", nil, &info, 0)
	return info, err
}

// GetVersion returns the version Firecracker reports (GET /version).
func (m *MicroVM) GetVersion(ctx context.Context) (string, error) {
	var v api.FirecrackerVersion
	err := m.do(ctx, opGetVersion, http.MethodGet, "/version", nil, &v, 0)
	return v.FirecrackerVersion, err
}

// GetVMConfig returns the configuration Firecracker holds (GET /vm/config).
func (m *MicroVM) GetVMConfig(ctx context.Context) (api.FullVMConfiguration, error) {
	var out api.FullVMConfiguration
	err := m.do(ctx, opGetVMConfig, http.MethodGet, "/vm/config", nil, &out, 0)
	return out, err
}

// Wait blocks until the Firecracker process exits and returns nil for exit status 0, or a
// PROCESS_EXITED error. It returns INVALID_STATE before Start.
func (m *MicroVM) Wait(ctx context.Context) error {
	m.mu.Lock()
	p, err := m.proc, m.check(opWait)
	m.mu.Unlock()
	if err == nil && p == nil {
		err = errdefs.New(errdefs.InvalidState, "Wait: VM %s has no process", m.id)
	}
	if err != nil {
		return err
	}
	select {
	case <-p.exited:
	case <-ctx.Done():
		return ctx.Err()
	}
	if p.err == nil {
		return nil
	}
	e := errdefs.Wrap(p.err, errdefs.ProcessExited, "VM %s: firecracker %s",
		m.id, p.exitStatus()).WithDetail("stderr", p.stderrTail())
	if tail := fileTail(m.LogPath(), 2048); tail != "" {
		e.WithDetail("log", tail)
	}
	return e
}

// ExitCode returns Firecracker's exit status (128+signal when it was killed) and true once
// the process has exited; before that it returns 0, false.
func (m *MicroVM) ExitCode() (int, bool) {
	m.mu.Lock()
	p := m.proc
	m.mu.Unlock()
	if p == nil || p.alive() {
		return 0, false
	}
	return p.exitCode(), true
}

// Exited returns a channel closed when the Firecracker process has exited, or nil
// before Start.
func (m *MicroVM) Exited() <-chan struct{} {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.proc == nil {
		return nil
	}
	return m.proc.exited
}

func vmDir(dataDir, id string) string { return filepath.Join(dataDir, "vms", id) }
