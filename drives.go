package smartvm

import (
	"context"
	"net/http"
	"os"
	"path/filepath"

	"code.foss.global/push.rocks/smartvm/api"
	"code.foss.global/push.rocks/smartvm/config"
	"code.foss.global/push.rocks/smartvm/errdefs"
)

// preOrLive are the states a device can be updated in: before Start the update changes the
// configuration that Start sends, afterwards it is a PATCH to Firecracker.
var preOrLive = []State{StateCreated, StateRunning, StatePaused}

var (
	opUpdateDrive            = &Operation{Name: "UpdateDrive", States: preOrLive}
	opUpdateDriveRateLimiter = &Operation{Name: "UpdateDriveRateLimiter", States: preOrLive}
	opUpdateNetworkInterface = &Operation{Name: "UpdateNetworkInterface", States: preOrLive}
)

func init() {
	registerOperations(opUpdateDrive, opUpdateDriveRateLimiter, opUpdateNetworkInterface)
}

// UpdateDrive points the drive driveID at another host file, such as a replaced data
// disk. Before Start it changes what Start sends (PUT /drives); on a running or paused VM
// it is a PATCH /drives/{id}, which Firecracker applies to the guest's device at once. An
// unknown drive id (NOT_FOUND) or a path that is not an existing file (INVALID_CONFIG) is
// refused before anything is sent.
func (m *MicroVM) UpdateDrive(ctx context.Context, driveID, pathOnHost string) error {
	if err := checkHostFile("UpdateDrive", pathOnHost); err != nil {
		return err
	}
	return m.updateDevice(ctx, opUpdateDrive, func(c *config.VM) (string, any, error) {
		d := findDrive(c, driveID)
		if d == nil {
			return "", nil, noDevice(m.id, "drive", driveID)
		}
		d.PathOnHost = pathOnHost
		return "/drives/" + driveID, api.PartialDrive{DriveID: driveID, PathOnHost: pathOnHost},
			nil
	})
}

// UpdateDriveRateLimiter changes the rate limiter of the drive driveID. It merges as
// Firecracker does: a nil bucket in rl keeps the drive's current bucket, and a bucket with
// Size 0 (or RefillTime 0) removes it, leaving that dimension unlimited. Before Start it
// changes what Start sends; afterwards it is a PATCH /drives/{id}.
func (m *MicroVM) UpdateDriveRateLimiter(ctx context.Context, driveID string,
	rl *config.RateLimiter) error {
	if err := checkLimiterUpdate("UpdateDriveRateLimiter", "rateLimiter", rl); err != nil {
		return err
	}
	return m.updateDevice(ctx, opUpdateDriveRateLimiter, func(c *config.VM) (string, any,
		error) {
		d := findDrive(c, driveID)
		if d == nil {
			return "", nil, noDevice(m.id, "drive", driveID)
		}
		d.RateLimiter = mergeLimiter(d.RateLimiter, rl)
		return "/drives/" + driveID,
			api.PartialDrive{DriveID: driveID, RateLimiter: config.LimiterPayload(rl)}, nil
	})
}

// UpdateNetworkInterface changes the rate limiters of the interface ifaceID: rx limits
// traffic to the guest, tx traffic from it. A nil limiter is left unchanged, and each
// limiter merges like UpdateDriveRateLimiter's. Before Start it changes what Start sends;
// afterwards it is a PATCH /network-interfaces/{id}.
func (m *MicroVM) UpdateNetworkInterface(ctx context.Context, ifaceID string,
	rx, tx *config.RateLimiter) error {
	op := opUpdateNetworkInterface
	if rx == nil && tx == nil {
		return errdefs.New(errdefs.InvalidConfig, "%s: neither rx nor tx limiter given", op.Name)
	}
	for _, l := range []struct {
		name string
		rl   *config.RateLimiter
	}{{"rxRateLimiter", rx}, {"txRateLimiter", tx}} {
		if l.rl == nil {
			continue
		}
		if err := checkLimiterUpdate(op.Name, l.name, l.rl); err != nil {
			return err
		}
	}
	return m.updateDevice(ctx, op, func(c *config.VM) (string, any, error) {
		n := findIface(c, ifaceID)
		if n == nil {
			return "", nil, noDevice(m.id, "network interface", ifaceID)
		}
		n.RxRateLimiter = mergeLimiter(n.RxRateLimiter, rx)
		n.TxRateLimiter = mergeLimiter(n.TxRateLimiter, tx)
		body := api.PartialNetworkInterface{IfaceID: ifaceID,
			RxRateLimiter: config.LimiterPayload(rx), TxRateLimiter: config.LimiterPayload(tx)}
		return "/network-interfaces/" + ifaceID, body, nil
	})
}

// deviceEdit applies one device update to a configuration and returns the PATCH request
// that makes Firecracker apply it.
type deviceEdit func(c *config.VM) (path string, body any, err error)

// updateDevice runs edit on the pending configuration before Start, or sends its PATCH
// and then records the edit in the resolved configuration.
func (m *MicroVM) updateDevice(ctx context.Context, op *Operation, edit deviceEdit) error {
	m.mu.Lock()
	if err := m.check(op); err != nil {
		m.mu.Unlock()
		return err
	}
	if m.state == StateCreated {
		defer m.mu.Unlock()
		base := m.ext.pending
		if base == nil {
			base = m.cfg
		}
		next := base.Clone() // a refused edit leaves no trace
		if _, _, err := edit(next); err != nil {
			return err
		}
		m.ext.pending = next
		return nil
	}
	trial := m.cfg.Clone()
	if m.resolved != nil {
		trial = m.resolved.Clone()
	}
	m.mu.Unlock()
	path, body, err := edit(trial)
	if err != nil {
		return err
	}
	if err := m.do(ctx, op, http.MethodPatch, path, body, nil, 0); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.resolved != nil {
		edit(m.resolved) // merge onto the current record, as Firecracker merged it
	}
	return nil
}

// mergeLimiter returns cur updated by upd the way Firecracker merges a PATCH: a nil bucket
// keeps the current one, a zero bucket removes it. A limiter with no bucket left is nil.
func mergeLimiter(cur, upd *config.RateLimiter) *config.RateLimiter {
	if upd == nil {
		return cur
	}
	var out config.RateLimiter
	if cur != nil {
		out = *cur
	}
	out.Bandwidth = mergeBucket(out.Bandwidth, upd.Bandwidth)
	out.Ops = mergeBucket(out.Ops, upd.Ops)
	if out.Bandwidth == nil && out.Ops == nil {
		return nil
	}
	return &out
}

func mergeBucket(cur, upd *config.TokenBucket) *config.TokenBucket {
	switch {
	case upd == nil:
		return cur
	case upd.Size == 0 || upd.RefillTime == 0:
		return nil
	}
	b := *upd
	return &b
}

// checkLimiterUpdate refuses a limiter update Firecracker would misread: negative values,
// or a bucket with a size but no refill time (Firecracker would silently disable it).
func checkLimiterUpdate(op, field string, rl *config.RateLimiter) error {
	if rl == nil || (rl.Bandwidth == nil && rl.Ops == nil) {
		return errdefs.New(errdefs.InvalidConfig, "%s: %s has no bucket to update", op, field)
	}
	for _, nb := range []struct {
		name string
		b    *config.TokenBucket
	}{{"bandwidth", rl.Bandwidth}, {"ops", rl.Ops}} {
		name, b := nb.name, nb.b
		if b == nil {
			continue
		}
		if b.Size < 0 || b.RefillTime < 0 || b.OneTimeBurst < 0 {
			return errdefs.New(errdefs.InvalidConfig, "%s: %s.%s: values must not be negative",
				op, field, name)
		}
		if b.Size > 0 && b.RefillTime == 0 {
			return errdefs.New(errdefs.InvalidConfig, "%s: %s.%s: refillTime must be "+
				"positive when size is; use size 0 to remove the bucket", op, field, name)
		}
	}
	return nil
}

// checkHostFile refuses a path that is not an absolute path of an existing file.
func checkHostFile(op, path string) error {
	if !filepath.IsAbs(path) {
		return errdefs.New(errdefs.InvalidConfig, "%s: path %q must be absolute", op, path)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return errdefs.Wrap(err, errdefs.InvalidConfig, "%s: path %s", op, path)
	}
	if fi.IsDir() {
		return errdefs.New(errdefs.InvalidConfig, "%s: path %s is a directory", op, path)
	}
	return nil
}

func noDevice(vm, kind, id string) error {
	return errdefs.New(errdefs.NotFound, "VM %s has no %s %q", vm, kind, id)
}

func findDrive(c *config.VM, id string) *config.Drive {
	for i := range c.Drives {
		if c.Drives[i].DriveID == id {
			return &c.Drives[i]
		}
	}
	return nil
}

func findIface(c *config.VM, id string) *config.NetworkInterface {
	for i := range c.NetworkInterfaces {
		if c.NetworkInterfaces[i].IfaceID == id {
			return &c.NetworkInterfaces[i]
		}
	}
	return nil
}
