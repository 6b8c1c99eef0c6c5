// Package smartvm runs Firecracker microVMs: it describes a VM in typed Go (package config),
// boots it over Firecracker's API socket, pauses, resumes, snapshots and stops it, gives it
// a network, and removes everything it created when asked, or when the process that owns
// the VMs dies.
//
// A SmartVM manages the VMs of one data directory:
//
//	svm, err := smartvm.New(smartvm.Options{FirecrackerBinaryPath: "/usr/local/bin/firecracker"})
//	vm, err := svm.CreateVM(ctx, &config.VM{
//		BootSource:    config.BootSource{KernelImagePath: "/images/vmlinux"},
//		MachineConfig: config.MachineConfig{VcpuCount: 1, MemSizeMib: 128},
//	})
//	err = vm.Start(ctx)
//	defer vm.Cleanup(ctx)
//
// Every error is an *Error carrying a Code; see errors.go.
package smartvm

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"github.com/google/uuid"

	"code.foss.global/push.rocks/smartvm/api"
	"code.foss.global/push.rocks/smartvm/config"
	"code.foss.global/push.rocks/smartvm/errdefs"
)

// SmartVM creates and tracks the microVMs of one data directory. It is safe for
// concurrent use.
type SmartVM struct {
	opts Options

	mu      sync.Mutex
	vms     map[string]*MicroVM
	net     *netState
	binMu   sync.Mutex // held while resolving, which may download
	binPath string     // resolved Firecracker binary
	verMu   sync.Mutex
	verSeen map[binaryKey]api.Version // versions answered by each binary file
}

// New returns a SmartVM for opts, creating its data directory. If the data directory
// records TAP devices and leases of VMs whose processes are gone (a manager that was
// killed), New reclaims them.
func New(opts Options) (*SmartVM, error) {
	opts.setDefaults()
	for _, sub := range []string{"sockets", "vms"} {
		if err := os.MkdirAll(filepath.Join(opts.DataDir, sub), 0o700); err != nil {
			return nil, errdefs.Wrap(err, errdefs.InvalidConfig,
				"create data directory %s", opts.DataDir)
		}
	}
	s := &SmartVM{opts: opts, vms: map[string]*MicroVM{}}
	s.net = newNetState(s)
	s.net.reclaim(context.Background())
	return s, nil
}

// Options returns the options in effect, defaults filled in.
func (s *SmartVM) Options() Options { return s.opts }

// VMOption customises one VM at creation.
type VMOption func(*MicroVM)

// WithConsoleOutput copies the guest's serial output to w as it arrives (besides the
// bounded buffer of MicroVM.Console).
func WithConsoleOutput(w io.Writer) VMOption {
	return func(m *MicroVM) { m.conOut = w }
}

// WithConsoleInput feeds r to the guest's serial input. Without it the guest reads
// nothing.
func WithConsoleInput(r io.Reader) VMOption {
	return func(m *MicroVM) { m.conIn = r }
}

// CreateVM validates cfg and registers a VM in StateCreated; nothing is spawned until
// Start. An empty cfg.ID gets a UUID. A duplicate id, an invalid config or a socket path
// that would be too long return INVALID_CONFIG and register nothing.
func (s *SmartVM) CreateVM(ctx context.Context, cfg *config.VM, opts ...VMOption) (*MicroVM,
	error) {
	if cfg == nil {
		return nil, errdefs.New(errdefs.InvalidConfig, "create VM: config is nil")
	}
	cfg = cfg.Clone()
	if cfg.ID == "" {
		cfg.ID = uuid.NewString()
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return s.register(s.newVM(cfg, opts))
}

// register adds m to the registry after checking its socket paths and id.
func (s *SmartVM) register(m *MicroVM) (*MicroVM, error) {
	if err := m.checkSocketPaths(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.vms[m.id]; dup {
		return nil, errdefs.New(errdefs.InvalidConfig,
			"create VM: id %q is already in use", m.id)
	}
	s.vms[m.id] = m
	s.opts.Logger.Info("vm created", "vm", m.id)
	return m, nil
}

// RestoreVM creates a VM from a snapshot and loads it (see MicroVM.LoadSnapshot). The
// snapshot's metadata supplies the configuration, so unlike CreateVM no kernel or machine
// size is needed; id may be empty for a UUID. On failure nothing stays registered or
// running.
func (s *SmartVM) RestoreVM(ctx context.Context, id string, load SnapshotLoadOptions,
	opts ...VMOption) (*MicroVM, error) {
	meta, err := ReadSnapshotMetadata(load.SnapshotPath)
	if err != nil {
		return nil, err
	}
	if id == "" {
		id = uuid.NewString()
	}
	if err := config.CheckID(id); err != nil {
		return nil, err
	}
	cfg := &config.VM{ID: id}
	if meta.Config != nil {
		cfg.BootSource, cfg.MachineConfig = meta.Config.BootSource, meta.Config.MachineConfig
	}
	m, err := s.register(s.newVM(cfg, opts))
	if err != nil {
		return nil, err
	}
	if err := m.LoadSnapshot(ctx, load); err != nil {
		m.Cleanup(ctx)
		return nil, err
	}
	return m, nil
}

// checkSocketPaths refuses a VM whose API socket, or default vsock socket with the
// "_<port>" suffix Firecracker adds for guest-initiated connections, would not fit in a
// Unix socket address.
func (m *MicroVM) checkSocketPaths() error {
	if err := config.CheckSocketPath("API socket", m.paths.socket); err != nil {
		return err
	}
	if m.cfg.Vsock == nil || m.cfg.Vsock.UdsPath != "" {
		return nil
	}
	return config.CheckSocketPath("default vsock socket (with its _<port> suffix)",
		defaultVsockPath(m.paths.dir)+"_4294967295")
}

func (s *SmartVM) newVM(cfg *config.VM, opts []VMOption) *MicroVM {
	dir := vmDir(s.opts.DataDir, cfg.ID)
	m := &MicroVM{
		id:    cfg.ID,
		cfg:   cfg,
		mgr:   s,
		log:   s.opts.Logger,
		state: StateCreated,
		paths: vmPaths{
			socket: filepath.Join(s.opts.DataDir, "sockets", cfg.ID+".sock"),
			dir:    dir,
			log:    filepath.Join(dir, "firecracker.log"),
		},
	}
	for _, o := range opts {
		o(m)
	}
	m.console = newConsole(s.opts.ConsoleBufferSize, m.conOut)
	return m
}

// GetVM returns the VM with the given id, or a NOT_FOUND error.
func (s *SmartVM) GetVM(id string) (*MicroVM, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m, ok := s.vms[id]; ok {
		return m, nil
	}
	return nil, errdefs.New(errdefs.NotFound, "no VM %q", id)
}

// ListVMs returns the registered VMs ordered by id.
func (s *SmartVM) ListVMs() []*MicroVM {
	s.mu.Lock()
	out := make([]*MicroVM, 0, len(s.vms))
	for _, m := range s.vms {
		out = append(out, m)
	}
	s.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

// VMCount returns how many VMs are registered.
func (s *SmartVM) VMCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.vms)
}

// StopAll stops every VM in parallel, cancelling Starts under way, and returns the errors
// joined.
func (s *SmartVM) StopAll(ctx context.Context) error {
	return s.each(func(m *MicroVM) error { return m.Stop(ctx) })
}

// Cleanup stops nothing gracefully: it kills and cleans up every VM in parallel, then
// removes the network state recorded in the data directory (TAPs, leases, the bridge if
// smartvm made it, the NAT table), including that of other SmartVMs sharing the
// directory. Call StopAll first for a graceful shutdown.
func (s *SmartVM) Cleanup(ctx context.Context) error {
	err := s.each(func(m *MicroVM) error { return m.Cleanup(ctx) })
	return errors.Join(err, s.net.cleanup(ctx))
}

func (s *SmartVM) each(f func(*MicroVM) error) error {
	vms := s.ListVMs()
	errs := make([]error, len(vms))
	var wg sync.WaitGroup
	for i, m := range vms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = f(m)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// forget removes a cleaned-up VM from the registry.
func (s *SmartVM) forget(m *MicroVM) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.vms[m.id] == m {
		delete(s.vms, m.id)
	}
}
