package network

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"code.foss.global/push.rocks/smartvm/errdefs"
)

// ReleaseVM deletes the TAPs of VM vmID and releases its leases. When no VM is left it
// also removes the NAT table; the bridge stays until Cleanup. Releasing a VM without a
// record does nothing. When a TAP cannot be deleted, its record (and lease) is kept for
// a later call, and the error, CLEANUP_FAILED, names it.
func (m *Manager) ReleaseVM(ctx context.Context, vmID string) error {
	err := m.withState(ctx, func(tx *txn) error {
		if tx.st.VMs[vmID] == nil {
			return nil
		}
		err := m.releaseVM(tx, vmID)
		if len(tx.st.VMs) == 0 {
			err = errors.Join(err, m.removeNAT(tx))
		}
		return err
	})
	return codeErr(err, errdefs.CleanupFailed, "network: release VM %s", vmID)
}

// releaseVM deletes the VM's TAPs and drops the leases of those that are gone.
func (m *Manager) releaseVM(tx *txn, vmID string) error {
	rec := tx.st.VMs[vmID]
	var kept []tapRecord
	var errs []error
	for _, t := range rec.Taps {
		if err := m.deleteTapLink(t.Tap); err != nil {
			kept = append(kept, t)
			errs = append(errs, err)
		}
	}
	if len(kept) == 0 {
		delete(tx.st.VMs, vmID)
	} else {
		rec.Taps = kept
	}
	return errors.Join(append(errs, tx.save())...)
}

// Reclaim removes the TAPs and leases of every recorded VM whose process is gone: the
// manager that created them (killed, say) or, after SetVMProcess, the VMM. A process is
// identified by pid and start time, so a reused pid does not keep a dead VM's network.
// When no VM is left it also removes the NAT table. Call it after NewManager. It returns
// the ids of the reclaimed VMs, sorted; on CLEANUP_FAILED it returns those it did reclaim.
func (m *Manager) Reclaim(ctx context.Context) ([]string, error) {
	var reclaimed []string
	err := m.withState(ctx, func(tx *txn) error {
		var errs []error
		for id, rec := range tx.st.VMs {
			if processAlive(rec.PID, rec.StartTime) {
				continue
			}
			m.log.Info("network: reclaiming network of dead VM", "vm", id, "pid", rec.PID,
				"taps", len(rec.Taps))
			if err := m.releaseVM(tx, id); err != nil {
				errs = append(errs, fmt.Errorf("vm %s: %w", id, err))
				continue
			}
			reclaimed = append(reclaimed, id)
		}
		if len(tx.st.VMs) == 0 {
			errs = append(errs, m.removeNAT(tx))
		}
		return errors.Join(errs...)
	})
	sort.Strings(reclaimed)
	return reclaimed, codeErr(err, errdefs.CleanupFailed, "network: reclaim dead VMs")
}

// Cleanup removes everything smartvm recorded in the data dir, whether or not its VMs
// still run: every recorded TAP and lease, the NAT table, and the bridge if smartvm
// created it (otherwise only the gateway address it added). Stop the VMs first. It
// keeps going past failures and returns CLEANUP_FAILED listing them; what could not be
// removed stays on record for another try.
func (m *Manager) Cleanup(ctx context.Context) error {
	var failed []string
	err := m.withState(ctx, func(tx *txn) error {
		ids := make([]string, 0, len(tx.st.VMs))
		for id := range tx.st.VMs {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			if err := m.releaseVM(tx, id); err != nil {
				failed = append(failed, fmt.Sprintf("vm %s: %v", id, err))
			}
		}
		if err := m.removeNAT(tx); err != nil {
			failed = append(failed, fmt.Sprintf("nat: %v", err))
		}
		if len(tx.st.VMs) > 0 {
			failed = append(failed, "bridge: kept because TAPs could not be removed")
		} else if err := m.removeBridge(tx); err != nil {
			failed = append(failed, fmt.Sprintf("bridge: %v", err))
		}
		return nil
	})
	if err != nil {
		return codeErr(err, errdefs.CleanupFailed, "network: clean up")
	}
	if len(failed) > 0 {
		return errdefs.New(errdefs.CleanupFailed, "network: clean up: %s",
			strings.Join(failed, "; "))
	}
	return nil
}
