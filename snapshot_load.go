package smartvm

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"code.foss.global/push.rocks/smartvm/api"
	"code.foss.global/push.rocks/smartvm/config"
	"code.foss.global/push.rocks/smartvm/errdefs"
)

var opLoadSnapshot = &Operation{Name: "LoadSnapshot", States: []State{StateCreated}}

func init() { registerOperations(opLoadSnapshot) }

// SnapshotLoadOptions say which snapshot LoadSnapshot loads and how.
type SnapshotLoadOptions struct {
	// SnapshotPath is the VM state file written by CreateSnapshot; its metadata file
	// must be next to it.
	SnapshotPath string
	// MemFilePath is the guest memory file. Empty means the one named in the metadata.
	MemFilePath string
	// UffdSocketPath, instead of a memory file, names the Unix socket of a userfaultfd
	// page-fault handler that serves guest memory (backend type Uffd).
	UffdSocketPath string
	// Resume starts the vCPUs after loading; otherwise the VM is left paused.
	Resume bool
	// TrackDirtyPages enables dirty page tracking, so that Diff snapshots can follow. It
	// is also enabled when the snapshotted VM tracked dirty pages.
	TrackDirtyPages bool
	// NetworkOverrides maps interface ids to other host TAP devices than those the
	// snapshot names (Firecracker 1.14 and later).
	NetworkOverrides map[string]string
	// VsockOverride is another host socket path for the vsock device (Firecracker 1.16
	// and later). Without it the snapshot's path is used, and its directory recreated.
	VsockOverride string
	// ClockRealtime advances the guest clock by the time since the snapshot (x86_64,
	// Firecracker 1.16 and later).
	ClockRealtime bool
}

// loadPlan is everything LoadSnapshot decided before touching anything.
type loadPlan struct {
	meta     *SnapshotMetadata // with the overrides applied
	version  api.Version
	resolved *config.VM
	body     api.SnapshotLoadParams
	after    State
}

// LoadSnapshot turns a VM that was never started (StateCreated) into the snapshotted one:
// it spawns Firecracker, sends the VM's logger and metrics config and nothing else, then
// PUT /snapshot/load, and leaves the VM running (opts.Resume) or paused. Pause, Resume,
// CreateSnapshot, Stop and Cleanup then work as on a booted VM.
//
// The VM's own config contributes only its id, logger and metrics; its boot source and
// machine config are ignored, and drives, network interfaces, vsock, balloon, MMDS and
// entropy come from the snapshot: Firecracker accepts no other configuration before a load,
// so a config that sets them is refused with INVALID_CONFIG. A snapshot made by another
// Firecracker version or architecture is refused with SNAPSHOT_INCOMPATIBLE. Before loading,
// the host TAP devices and vsock directory the snapshot expects are checked or recreated.
// The request's timeout grows with guest memory like CreateSnapshot's.
//
// Errors found before anything was spawned leave the VM in StateCreated; a failure after
// that kills the process, removes the VM's files and leaves it failed.
func (m *MicroVM) LoadSnapshot(ctx context.Context, opts SnapshotLoadOptions) error {
	m.mu.Lock()
	err := m.check(opLoadSnapshot)
	m.mu.Unlock()
	if err != nil {
		return err
	}
	plan, err := m.planLoad(opts)
	if err != nil {
		return err
	}
	ctx, err = m.beginStart(ctx, opLoadSnapshot) // fails if another call won the race
	if err != nil {
		return err
	}
	defer m.endStart()
	m.log.Info("loading snapshot", "vm", m.id, "snapshot", opts.SnapshotPath)

	if err := m.claim(); err != nil {
		return err
	}
	if err := m.load(ctx, plan); err != nil {
		m.addLogTail(err) // the log file goes with abort
		m.abort()
		return err
	}
	m.mu.Lock()
	m.timings.Total = time.Since(m.timings.started)
	if m.state == StateConfiguring {
		m.state = plan.after
	}
	m.mu.Unlock()
	m.log.Info("snapshot loaded", "vm", m.id, "state", plan.after, "pid", m.PID())
	return nil
}

// planLoad reads the metadata and checks everything that can be checked without side
// effects.
func (m *MicroVM) planLoad(o SnapshotLoadOptions) (*loadPlan, error) {
	if err := checkHostFile("LoadSnapshot", o.SnapshotPath); err != nil {
		return nil, err
	}
	meta, err := ReadSnapshotMetadata(o.SnapshotPath)
	if err != nil {
		return nil, err
	}
	if arch := m.arch(); meta.Arch != arch {
		return nil, errdefs.New(errdefs.SnapshotIncompatible, "LoadSnapshot: snapshot %s was "+
			"made on %s, this host is %s", o.SnapshotPath, meta.Arch, arch)
	}
	v, err := api.ParseVersion(meta.FirecrackerVersion)
	if err != nil {
		return nil, errdefs.Wrap(err, errdefs.SnapshotIncompatible,
			"LoadSnapshot: snapshot %s names no valid Firecracker version", o.SnapshotPath)
	}
	if err := m.refuseBootConfig(); err != nil {
		return nil, err
	}
	mem, err := memoryBackend(o, meta)
	if err != nil {
		return nil, err
	}
	track := o.TrackDirtyPages || meta.TrackDirtyPages
	body, err := loadPayload(v, o, mem, track)
	if err != nil {
		return nil, err
	}
	resolved, err := m.loadedConfig(meta, o)
	if err != nil {
		return nil, err
	}
	if err := checkDriveFiles(resolved); err != nil {
		return nil, err
	}
	resolved.MachineConfig.TrackDirtyPages = track
	after := StatePaused
	if o.Resume {
		after = StateRunning
	}
	return &loadPlan{meta: metaFor(meta, resolved), version: v, resolved: resolved,
		body: body, after: after}, nil
}

// refuseBootConfig refuses a VM config with devices: on the snapshot path they come from
// the snapshot, and Firecracker takes no configuration but logger and metrics first.
func (m *MicroVM) refuseBootConfig() error {
	c := m.cfg
	var set []string
	for _, f := range []struct {
		name string
		on   bool
	}{{"drives", len(c.Drives) > 0}, {"networkInterfaces", len(c.NetworkInterfaces) > 0},
		{"vsock", c.Vsock != nil}, {"balloon", c.Balloon != nil}, {"mmds", c.MMDS != nil},
		{"entropy", c.Entropy != nil}} {
		if f.on {
			set = append(set, f.name)
		}
	}
	if len(set) == 0 {
		return nil
	}
	return errdefs.New(errdefs.InvalidConfig, "LoadSnapshot: VM %s config sets %s; on the "+
		"snapshot path devices come from the snapshot (use SnapshotLoadOptions to move host "+
		"resources)", m.id, strings.Join(set, ", "))
}

// memoryBackend returns the memory backend's path and checks it.
func memoryBackend(o SnapshotLoadOptions, meta *SnapshotMetadata) (string, error) {
	if o.UffdSocketPath != "" {
		if o.MemFilePath != "" {
			return "", errdefs.New(errdefs.InvalidConfig,
				"LoadSnapshot: give MemFilePath or UffdSocketPath, not both")
		}
		return o.UffdSocketPath, nil
	}
	mem := o.MemFilePath
	if mem == "" {
		mem = meta.MemFilePath
	}
	return mem, checkHostFile("LoadSnapshot", mem)
}

// loadedConfig is the snapshot's configuration as this VM will run it: its id, its own
// logger and metrics, and the overrides applied.
func (m *MicroVM) loadedConfig(meta *SnapshotMetadata, o SnapshotLoadOptions) (*config.VM,
	error) {
	c := meta.Config.Clone()
	c.ID = m.id
	own := m.cfg.Clone()
	c.Logger, c.Metrics = own.Logger, own.Metrics
	for id, tap := range o.NetworkOverrides {
		n := findIface(c, id)
		if n == nil {
			return nil, errdefs.New(errdefs.InvalidConfig, "LoadSnapshot: network override "+
				"for %q, but the snapshot has no such interface", id)
		}
		n.HostDevName = tap
	}
	if o.VsockOverride != "" {
		if c.Vsock == nil {
			return nil, errdefs.New(errdefs.InvalidConfig,
				"LoadSnapshot: vsock override, but the snapshot has no vsock device")
		}
		if err := config.CheckSocketPath("VsockOverride", o.VsockOverride); err != nil {
			return nil, err
		}
		c.Vsock.UdsPath = o.VsockOverride
	}
	return c, nil
}

// metaFor returns meta with the TAP names and vsock path of the resolved config.
func metaFor(meta *SnapshotMetadata, resolved *config.VM) *SnapshotMetadata {
	out := *meta
	out.Taps = map[string]string{}
	for _, n := range resolved.NetworkInterfaces {
		out.Taps[n.IfaceID] = n.HostDevName
	}
	out.Vsock = resolved.Vsock
	return &out
}

// loadPayload builds the body of PUT /snapshot/load for version v. Memory always goes in
// mem_backend (never the deprecated mem_file_path); dirty page tracking is
// enable_diff_snapshots before 1.14 and track_dirty_pages from 1.14 on; the overrides and
// clock_realtime are sent only to versions that have them, else UNSUPPORTED_VERSION.
func loadPayload(v api.Version, o SnapshotLoadOptions, mem string,
	track bool) (api.SnapshotLoadParams, error) {
	p := api.SnapshotLoadParams{SnapshotPath: o.SnapshotPath,
		MemBackend: &api.MemoryBackend{BackendType: "File", BackendPath: mem}}
	if o.UffdSocketPath != "" {
		p.MemBackend.BackendType = "Uffd"
	}
	if o.Resume {
		p.ResumeVM = ptr(true)
	}
	if track && v.Supports(api.FeatureLoadTrackDirty) {
		p.TrackDirtyPages = ptr(true)
	} else if track {
		p.EnableDiffSnapshots = ptr(true)
	}
	need := func(on bool, field string, f api.Feature) error {
		if on && !v.Supports(f) {
			return errdefs.New(errdefs.UnsupportedVersion, "LoadSnapshot: %s needs "+
				"Firecracker %s or later; the snapshot is from %s", field,
				api.MinimumVersion(f), v)
		}
		return nil
	}
	err := errors.Join(
		need(len(o.NetworkOverrides) > 0, "NetworkOverrides", api.FeatureNetworkOverrides),
		need(o.VsockOverride != "", "VsockOverride", api.FeatureVsockOverride),
		need(o.ClockRealtime, "ClockRealtime", api.FeatureClockRealtime))
	if err != nil {
		return p, firstError(err)
	}
	for _, id := range sortedKeys(o.NetworkOverrides) {
		p.NetworkOverrides = append(p.NetworkOverrides,
			api.NetworkOverride{IfaceID: id, HostDevName: o.NetworkOverrides[id]})
	}
	if o.VsockOverride != "" {
		p.VsockOverride = &api.VsockOverride{UdsPath: o.VsockOverride}
	}
	if o.ClockRealtime {
		p.ClockRealtime = ptr(true)
	}
	return p, nil
}

// load runs the side effects of LoadSnapshot; the caller aborts after a failure.
func (m *MicroVM) load(ctx context.Context, plan *loadPlan) error {
	if err := m.prepareDir(); err != nil {
		return err
	}
	if err := m.prepareSnapshotNetwork(ctx, plan.meta); err != nil {
		return err
	}
	if err := m.prepareSnapshotVsock(plan.resolved); err != nil {
		return err
	}
	m.mu.Lock()
	m.resolved = plan.resolved
	m.mu.Unlock()
	if err := m.openOutputs(plan.resolved); err != nil {
		return err
	}
	if err := m.launch(ctx, m.spawnArgs()); err != nil {
		return err
	}
	if got := m.Version(); got != plan.version {
		return errdefs.New(errdefs.SnapshotIncompatible, "LoadSnapshot: snapshot %s was made "+
			"by Firecracker %s, this VM runs %s", plan.body.SnapshotPath, plan.version, got)
	}
	return m.sendLoad(ctx, plan)
}

// sendLoad sends logger, metrics and the load itself.
func (m *MicroVM) sendLoad(ctx context.Context, plan *loadPlan) error {
	c := plan.resolved
	var reqs []config.Request
	if c.Logger != nil {
		reqs = append(reqs, config.Request{Method: http.MethodPut, Path: "/logger",
			Body: config.LoggerPayload(c.Logger)})
	}
	if c.Metrics != nil {
		reqs = append(reqs, config.Request{Method: http.MethodPut, Path: "/metrics",
			Body: api.Metrics{MetricsPath: c.Metrics.MetricsPath}})
	}
	reqs = append(reqs, config.Request{Method: http.MethodPut, Path: "/snapshot/load",
		Body: plan.body})
	timeout := m.snapshotTimeout(c.MachineConfig.MemSizeMib)
	for _, r := range reqs {
		start := time.Now()
		if err := m.client.Do(ctx, r.Method, r.Path, r.Body, nil, timeout); err != nil {
			return m.stepError(r.String(), err)
		}
		m.mu.Lock()
		m.timings.Config += time.Since(start)
		m.mu.Unlock()
	}
	return nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// firstError returns the first error joined in err.
func firstError(err error) error {
	if j, ok := err.(interface{ Unwrap() []error }); ok && len(j.Unwrap()) > 0 {
		return j.Unwrap()[0]
	}
	return err
}
