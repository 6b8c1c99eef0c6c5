package smartvm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"code.foss.global/push.rocks/smartvm/api"
	"code.foss.global/push.rocks/smartvm/config"
	"code.foss.global/push.rocks/smartvm/errdefs"
)

var opCreateSnapshot = &Operation{Name: "CreateSnapshot", States: []State{StatePaused}}

func init() { registerOperations(opCreateSnapshot) }

// SnapshotType is a Full or a Diff snapshot.
type SnapshotType string

// The snapshot types.
const (
	// SnapshotFull writes all of guest memory.
	SnapshotFull SnapshotType = "Full"
	// SnapshotDiff writes only the pages dirtied since the last snapshot (or since boot
	// or load). It needs dirty page tracking: config.MachineConfig.TrackDirtyPages at boot,
	// or SnapshotLoadOptions.TrackDirtyPages at load.
	SnapshotDiff SnapshotType = "Diff"
)

// MetadataSuffix is appended to a snapshot's path to name its metadata file.
const MetadataSuffix = ".smartvm.json"

// metadataFormat is the version of the metadata file format.
const metadataFormat = 1

// SnapshotParams say where CreateSnapshot writes a snapshot.
type SnapshotParams struct {
	// SnapshotPath is the absolute path of the VM state file. Missing parent directories
	// are created.
	SnapshotPath string
	// MemFilePath is the absolute path of the guest memory file.
	MemFilePath string
	// Type is SnapshotFull (the default) or SnapshotDiff.
	Type SnapshotType
	// BaseMemFilePath, for a Diff snapshot, is the memory file of the snapshot it builds
	// on. It is copied to MemFilePath first, and Firecracker writes the dirty pages on top,
	// so that MemFilePath then loads on its own. Empty means MemFilePath already holds the
	// base (Firecracker writes over it in place) or the caller merges the layers itself.
	BaseMemFilePath string
}

// SnapshotMetadata is what smartvm records next to each snapshot, in the file
// SnapshotPath+MetadataSuffix, so that LoadSnapshot can refuse a snapshot the running
// Firecracker cannot load and recreate the host resources it expects.
type SnapshotMetadata struct {
	// Format is the version of this file's format.
	Format int `json:"format"`
	// FirecrackerVersion made the snapshot; only the same version loads it.
	FirecrackerVersion string `json:"firecrackerVersion"`
	// Arch is the host architecture, "x86_64" or "aarch64".
	Arch string `json:"arch"`
	// Type is Full or Diff.
	Type SnapshotType `json:"type"`
	// VMID is the id of the VM that was snapshotted.
	VMID string `json:"vmId"`
	// CreatedAt is when the snapshot was taken.
	CreatedAt time.Time `json:"createdAt"`
	// SnapshotPath and MemFilePath are the files Firecracker wrote.
	SnapshotPath string `json:"snapshotPath"`
	MemFilePath  string `json:"memFilePath"`
	// MemSizeMib is the guest memory size.
	MemSizeMib int `json:"memSizeMib"`
	// TrackDirtyPages says whether the VM tracked dirty pages.
	TrackDirtyPages bool `json:"trackDirtyPages"`
	// Taps maps each network interface id to its host TAP device.
	Taps map[string]string `json:"taps,omitempty"`
	// Leases describes the TAPs smartvm created, by interface id, so that LoadSnapshot
	// can recreate them with the guest's address.
	Leases map[string]TapLease `json:"leases,omitempty"`
	// Vsock is the vsock device, with its resolved socket path.
	Vsock *config.Vsock `json:"vsock,omitempty"`
	// Drives maps each drive id to its backing file.
	Drives map[string]string `json:"drives,omitempty"`
	// Config is the VM's resolved configuration, without MMDS contents, logger and
	// metrics, which belong to the process rather than to the snapshot.
	Config *config.VM `json:"config"`
}

// TapLease is a TAP smartvm created for the snapshotted VM: its name, the guest's MAC and
// the guest address leased with it, which a restored guest keeps using.
type TapLease struct {
	TapName string `json:"tapName"`
	MAC     string `json:"mac"`
	GuestIP string `json:"guestIp"`
}

// MetadataPath returns the metadata file of the snapshot at snapshotPath.
func MetadataPath(snapshotPath string) string { return snapshotPath + MetadataSuffix }

// CreateSnapshot writes a snapshot of the paused VM (PUT /snapshot/create) and its
// metadata file, and returns the metadata. Pause the VM first: in any other state it
// returns INVALID_STATE without contacting Firecracker. A Diff snapshot of a VM without
// dirty page tracking is refused with INVALID_CONFIG. The request's timeout is
// Options.SnapshotTimeout plus one second per 256 MiB of guest memory.
func (m *MicroVM) CreateSnapshot(ctx context.Context, p SnapshotParams) (*SnapshotMetadata,
	error) {
	op := opCreateSnapshot
	cfg, err := m.resolvedFor(op)
	if err != nil {
		return nil, err
	}
	if err := checkSnapshotParams(&p, cfg); err != nil {
		return nil, err
	}
	if err := prepareSnapshotFiles(p); err != nil {
		return nil, err
	}
	body := api.SnapshotCreateParams{SnapshotType: string(p.Type), SnapshotPath: p.SnapshotPath,
		MemFilePath: p.MemFilePath}
	timeout := m.snapshotTimeout(cfg.MachineConfig.MemSizeMib)
	if err := m.do(ctx, op, http.MethodPut, "/snapshot/create", body, nil, timeout); err != nil {
		return nil, err
	}
	meta := m.snapshotMetadata(p, cfg)
	if meta.Leases, err = m.tapLeases(ctx); err != nil {
		return nil, err
	}
	if err := writeMetadata(meta); err != nil {
		return nil, err
	}
	m.log.Info("snapshot created", "vm", m.id, "type", p.Type, "path", p.SnapshotPath)
	return meta, nil
}

// checkSnapshotParams fills in the default type and refuses what Firecracker would
// refuse or misread.
func checkSnapshotParams(p *SnapshotParams, cfg *config.VM) error {
	if p.Type == "" {
		p.Type = SnapshotFull
	}
	bad := func(format string, args ...any) error {
		return errdefs.New(errdefs.InvalidConfig, "CreateSnapshot: "+format, args...)
	}
	switch {
	case p.Type != SnapshotFull && p.Type != SnapshotDiff:
		return bad("type %q: want Full or Diff", p.Type)
	case !filepath.IsAbs(p.SnapshotPath) || !filepath.IsAbs(p.MemFilePath):
		return bad("snapshot path %q and memory file path %q must be absolute",
			p.SnapshotPath, p.MemFilePath)
	case filepath.Clean(p.SnapshotPath) == filepath.Clean(p.MemFilePath):
		return bad("snapshot path and memory file path are the same file")
	case p.Type == SnapshotFull && p.BaseMemFilePath != "":
		return bad("a base memory file only applies to Diff snapshots")
	case p.Type == SnapshotDiff && !cfg.MachineConfig.TrackDirtyPages:
		return bad("a Diff snapshot needs dirty page tracking: set " +
			"config.MachineConfig.TrackDirtyPages before Start, or " +
			"SnapshotLoadOptions.TrackDirtyPages when loading")
	}
	if p.BaseMemFilePath != "" {
		return checkHostFile("CreateSnapshot", p.BaseMemFilePath)
	}
	return nil
}

// prepareSnapshotFiles creates the parent directories and copies a Diff's base memory.
func prepareSnapshotFiles(p SnapshotParams) error {
	for _, path := range []string{p.SnapshotPath, p.MemFilePath} {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return errdefs.Wrap(err, errdefs.InvalidConfig, "CreateSnapshot: create directory")
		}
	}
	if p.BaseMemFilePath == "" || filepath.Clean(p.BaseMemFilePath) ==
		filepath.Clean(p.MemFilePath) {
		return nil
	}
	if err := copyFile(p.BaseMemFilePath, p.MemFilePath); err != nil {
		return errdefs.Wrap(err, errdefs.InvalidConfig, "CreateSnapshot: copy base memory")
	}
	return nil
}

// copyFile copies src to dst, replacing dst.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copy %s to %s: %w", src, dst, err)
	}
	return out.Close()
}

// snapshotTimeout is Options.SnapshotTimeout plus one second per 256 MiB of memory.
func (m *MicroVM) snapshotTimeout(memMib int) time.Duration {
	return m.mgr.opts.SnapshotTimeout + time.Duration(memMib)*time.Second/256
}

// snapshotMetadata describes the snapshot p of the VM whose configuration is cfg.
func (m *MicroVM) snapshotMetadata(p SnapshotParams, cfg *config.VM) *SnapshotMetadata {
	cfg.Logger, cfg.Metrics = nil, nil
	if cfg.MMDS != nil {
		cfg.MMDS.Metadata = nil // contents are secrets of the guest's, not configuration
	}
	mc := cfg.MachineConfig
	meta := &SnapshotMetadata{
		Format:             metadataFormat,
		FirecrackerVersion: m.Version().String(),
		Arch:               m.arch(),
		Type:               p.Type,
		VMID:               m.id,
		CreatedAt:          time.Now().UTC(),
		SnapshotPath:       p.SnapshotPath,
		MemFilePath:        p.MemFilePath,
		MemSizeMib:         mc.MemSizeMib,
		TrackDirtyPages:    mc.TrackDirtyPages,
		Vsock:              cfg.Vsock,
		Config:             cfg,
	}
	for _, n := range cfg.NetworkInterfaces {
		if meta.Taps == nil {
			meta.Taps = map[string]string{}
		}
		meta.Taps[n.IfaceID] = n.HostDevName
	}
	for _, d := range cfg.Drives {
		if meta.Drives == nil {
			meta.Drives = map[string]string{}
		}
		meta.Drives[d.DriveID] = d.PathOnHost
	}
	return meta
}

// arch returns Options.Arch, or this machine's architecture in Firecracker's naming.
func (m *MicroVM) arch() string {
	if a := m.mgr.opts.Arch; a != "" {
		return a
	}
	switch runtime.GOARCH {
	case "amd64":
		return "x86_64"
	case "arm64":
		return "aarch64"
	}
	return runtime.GOARCH
}

// writeMetadata writes meta next to its snapshot, atomically.
func writeMetadata(meta *SnapshotMetadata) error {
	data, err := json.MarshalIndent(meta, "", "  ")
	if err != nil {
		return errdefs.Wrap(err, errdefs.InvalidConfig, "encode snapshot metadata")
	}
	path := MetadataPath(meta.SnapshotPath)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o600); err != nil {
		return errdefs.Wrap(err, errdefs.InvalidConfig, "write snapshot metadata %s", tmp)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return errdefs.Wrap(err, errdefs.InvalidConfig, "write snapshot metadata %s", path)
	}
	return nil
}

// ReadSnapshotMetadata reads the metadata smartvm wrote next to the snapshot at
// snapshotPath. A missing file is NOT_FOUND; an unreadable or unknown format is
// SNAPSHOT_INCOMPATIBLE.
func ReadSnapshotMetadata(snapshotPath string) (*SnapshotMetadata, error) {
	path := MetadataPath(snapshotPath)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, errdefs.New(errdefs.NotFound, "snapshot metadata %s does not exist; "+
			"smartvm loads only snapshots it created", path)
	}
	if err != nil {
		return nil, errdefs.Wrap(err, errdefs.SnapshotIncompatible, "read %s", path)
	}
	var meta SnapshotMetadata
	if err := json.Unmarshal(data, &meta); err != nil {
		return nil, errdefs.Wrap(err, errdefs.SnapshotIncompatible, "decode %s", path)
	}
	if meta.Format != metadataFormat || meta.Config == nil {
		return nil, errdefs.New(errdefs.SnapshotIncompatible,
			"%s: unknown metadata format %d", path, meta.Format)
	}
	return &meta, nil
}
