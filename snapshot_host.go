package smartvm

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"

	"code.foss.global/push.rocks/smartvm/config"
	"code.foss.global/push.rocks/smartvm/errdefs"
)

// The host side of LoadSnapshot: the files, sockets and devices a snapshot expects.

// checkDriveFiles refuses a snapshot whose drive files are gone.
func checkDriveFiles(c *config.VM) error {
	var missing []string
	for _, d := range c.Drives {
		if _, err := os.Stat(d.PathOnHost); err != nil {
			missing = append(missing, fmt.Sprintf("%s (%s)", d.DriveID, d.PathOnHost))
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return errdefs.New(errdefs.InvalidConfig, "LoadSnapshot: the snapshot's drive files are "+
		"missing: %s", strings.Join(missing, ", "))
}

// prepareSnapshotVsock recreates the directory of the vsock socket the snapshot expects
// and removes a stale socket there; a live one belongs to another VM and is refused.
func (m *MicroVM) prepareSnapshotVsock(c *config.VM) error {
	if c.Vsock == nil {
		return nil
	}
	dir := filepath.Dir(c.Vsock.UdsPath)
	var made []string
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil || d == filepath.Dir(d) {
			break
		}
		made = append(made, d)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return errdefs.Wrap(err, errdefs.StartFailed, "create vsock directory %s", dir)
	}
	m.mu.Lock()
	m.ext.madeDirs = append(m.ext.madeDirs, made...)
	m.mu.Unlock()
	return removeStaleVsock(c.Vsock.UdsPath)
}

// prepareSnapshotNetwork makes sure the host TAP devices named in meta (after overrides)
// exist in this process's network namespace before the snapshot is loaded, since
// Firecracker reopens them by name. A TAP that smartvm had created is recreated (or taken
// over) with its name, MAC and guest address and recorded as this VM's; while the
// snapshotted VM still holds it, that is TAP_CREATE_FAILED. Any other missing device is
// INVALID_CONFIG naming it.
func (m *MicroVM) prepareSnapshotNetwork(ctx context.Context, meta *SnapshotMetadata) error {
	// smartvm's own TAPs are always taken over through the network manager, so that they
	// become this VM's and a snapshotted VM that still holds one is refused, not shared.
	var missing []string
	for _, id := range sortedKeys(meta.Taps) {
		lease, ours := meta.Leases[id]
		_, err := net.InterfaceByName(meta.Taps[id])
		if err != nil || (ours && lease.TapName == meta.Taps[id]) {
			missing = append(missing, id)
		}
	}
	missing, err := m.restoreTaps(ctx, meta, missing)
	if err != nil || len(missing) == 0 {
		return err
	}
	names := make([]string, len(missing))
	for i, id := range missing {
		names[i] = fmt.Sprintf("%s (interface %s)", meta.Taps[id], id)
	}
	return errdefs.New(errdefs.InvalidConfig, "LoadSnapshot: host TAP device(s) %s do not "+
		"exist; create them, or map the interfaces to other TAPs with NetworkOverrides",
		strings.Join(names, ", "))
}
