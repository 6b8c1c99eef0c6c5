package smartvm

import (
	"io"
	"os"

	"code.foss.global/push.rocks/smartvm/config"
)

// surface is the per-VM state of the device, snapshot, logger and metrics methods. It is
// guarded by MicroVM.mu.
type surface struct {
	// logOut and metricsOut receive a copy of what Firecracker writes to a logger or
	// metrics FIFO (WithLoggerOutput, WithMetricsOutput).
	logOut, metricsOut io.Writer
	// logPipe and metricsPipe drain the logger and metrics FIFOs; nil for regular files.
	logPipe, metricsPipe *fifoDrain
	// pending is the configuration with the device updates made before Start (StateCreated);
	// nil until the first such update.
	pending *config.VM
	// madeDirs are the directories LoadSnapshot created for the snapshot's vsock socket,
	// deepest first; they are removed at cleanup when empty.
	madeDirs []string
}

// prepareSurface runs during Start on the config about to be sent: it applies the device
// updates made in StateCreated and opens the logger and metrics outputs (creating a missing
// regular file, or starting to drain a FIFO).
func (m *MicroVM) prepareSurface(cfg *config.VM) error {
	m.mu.Lock()
	pending := m.ext.pending
	m.mu.Unlock()
	if pending != nil {
		applyPending(cfg, pending)
	}
	return m.openOutputs(cfg)
}

// releaseSurface runs once the Firecracker process is gone (Cleanup, or a failed Start or
// LoadSnapshot): it stops the FIFO drains and removes the directories LoadSnapshot made.
// It is idempotent.
func (m *MicroVM) releaseSurface() {
	m.mu.Lock()
	pipes := []*fifoDrain{m.ext.logPipe, m.ext.metricsPipe}
	dirs := m.ext.madeDirs
	m.ext.madeDirs = nil
	m.mu.Unlock()
	for _, p := range pipes {
		if p != nil {
			p.close()
		}
	}
	for _, d := range dirs {
		os.Remove(d) // only when empty: a failure means another VM uses it
	}
}

// applyPending copies the drive paths and rate limiters of pending, the configuration
// edited before Start, into cfg.
func applyPending(cfg, pending *config.VM) {
	for i := range cfg.Drives {
		if d := findDrive(pending, cfg.Drives[i].DriveID); d != nil {
			cfg.Drives[i].PathOnHost = d.PathOnHost
			cfg.Drives[i].RateLimiter = d.RateLimiter
		}
	}
	for i := range cfg.NetworkInterfaces {
		if n := findIface(pending, cfg.NetworkInterfaces[i].IfaceID); n != nil {
			cfg.NetworkInterfaces[i].RxRateLimiter = n.RxRateLimiter
			cfg.NetworkInterfaces[i].TxRateLimiter = n.TxRateLimiter
		}
	}
}

// resolvedFor checks op and returns a copy of the configuration in effect: the resolved
// one of a started or loaded VM.
func (m *MicroVM) resolvedFor(op *Operation) (*config.VM, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.check(op); err != nil {
		return nil, err
	}
	if m.resolved == nil {
		return m.cfg.Clone(), nil
	}
	return m.resolved.Clone(), nil
}

func ptr[T any](v T) *T { return &v }
