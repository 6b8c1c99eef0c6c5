package smartvm

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"code.foss.global/push.rocks/smartvm/api"
	"code.foss.global/push.rocks/smartvm/config"
	"code.foss.global/push.rocks/smartvm/errdefs"
)

var (
	opUpdateBalloon              = &Operation{Name: "UpdateBalloon", States: live}
	opGetBalloonConfig           = &Operation{Name: "GetBalloonConfig", States: live}
	opGetBalloonStats            = &Operation{Name: "GetBalloonStats", States: live}
	opUpdateBalloonStatsInterval = &Operation{Name: "UpdateBalloonStatsInterval", States: live}
	opStartBalloonHinting        = &Operation{Name: "StartBalloonHinting", States: live,
		Feature: api.FeatureBalloonHinting}
	opGetBalloonHintingStatus = &Operation{Name: "GetBalloonHintingStatus", States: live,
		Feature: api.FeatureBalloonHinting}
	opStopBalloonHinting = &Operation{Name: "StopBalloonHinting", States: live,
		Feature: api.FeatureBalloonHinting}
)

func init() {
	registerOperations(opUpdateBalloon, opGetBalloonConfig, opGetBalloonStats,
		opUpdateBalloonStatsInterval, opStartBalloonHinting, opGetBalloonHintingStatus,
		opStopBalloonHinting)
}

// maxStatsInterval is the largest polling interval Firecracker accepts (a u16).
const maxStatsInterval = 65535

// UpdateBalloon sets the balloon's target size (PATCH /balloon); the guest's driver then
// inflates or deflates it. amountMib must be 0 to the guest memory size. A guest without an
// active virtio-balloon driver gives BALLOON_INACTIVE.
func (m *MicroVM) UpdateBalloon(ctx context.Context, amountMib int) error {
	op := opUpdateBalloon
	cfg, err := m.balloonFor(op)
	if err != nil {
		return err
	}
	if amountMib < 0 || amountMib > cfg.MachineConfig.MemSizeMib {
		return errdefs.New(errdefs.InvalidConfig, "%s: %d MiB: must be 0 to the guest's %d MiB",
			op.Name, amountMib, cfg.MachineConfig.MemSizeMib)
	}
	err = m.do(ctx, op, http.MethodPatch, "/balloon", api.BalloonUpdate{AmountMib: amountMib},
		nil, 0)
	if err != nil {
		return balloonError(op, m.id, err)
	}
	m.mu.Lock()
	if m.resolved != nil && m.resolved.Balloon != nil {
		m.resolved.Balloon.AmountMib = amountMib
	}
	m.mu.Unlock()
	return nil
}

// GetBalloonConfig returns the balloon configuration Firecracker holds (GET /balloon).
func (m *MicroVM) GetBalloonConfig(ctx context.Context) (api.Balloon, error) {
	var out api.Balloon
	if _, err := m.balloonFor(opGetBalloonConfig); err != nil {
		return out, err
	}
	err := m.do(ctx, opGetBalloonConfig, http.MethodGet, "/balloon", nil, &out, 0)
	return out, balloonError(opGetBalloonConfig, m.id, err)
}

// GetBalloonStats returns the guest's latest balloon statistics (GET /balloon/statistics).
// Statistics must have been enabled at boot (config.Balloon.StatsPollingIntervalS > 0),
// else BALLOON_STATS_DISABLED is returned without asking Firecracker.
func (m *MicroVM) GetBalloonStats(ctx context.Context) (api.BalloonStats, error) {
	var out api.BalloonStats
	op := opGetBalloonStats
	if _, err := m.balloonStatsFor(op); err != nil {
		return out, err
	}
	err := m.do(ctx, op, http.MethodGet, "/balloon/statistics", nil, &out, 0)
	return out, balloonError(op, m.id, err)
}

// UpdateBalloonStatsInterval changes how often the guest reports balloon statistics
// (PATCH /balloon/statistics). Statistics cannot be switched on or off after boot, so
// they must have been enabled at boot (else BALLOON_STATS_DISABLED) and seconds must be 1
// to 65535 (else INVALID_CONFIG); both are refused before anything is sent.
//
// Firecracker before 1.14 aborts the whole VMM on this request while the guest's driver
// is inactive, so on those versions smartvm first checks, with a PATCH /balloon that
// repeats the current target size, that the device is active, and returns BALLOON_INACTIVE
// if it is not.
func (m *MicroVM) UpdateBalloonStatsInterval(ctx context.Context, seconds int) error {
	op := opUpdateBalloonStatsInterval
	if _, err := m.balloonStatsFor(op); err != nil {
		return err
	}
	if seconds < 1 || seconds > maxStatsInterval {
		return errdefs.New(errdefs.InvalidConfig, "%s: %d s: must be 1 to %d; statistics "+
			"cannot be switched off after boot", op.Name, seconds, maxStatsInterval)
	}
	if !m.Version().AtLeast(1, 14) {
		if err := m.probeBalloonActive(ctx, op); err != nil {
			return err
		}
	}
	err := m.do(ctx, op, http.MethodPatch, "/balloon/statistics",
		api.BalloonStatsUpdate{StatsPollingIntervalS: seconds}, nil, 0)
	if err != nil {
		return balloonError(op, m.id, err)
	}
	m.mu.Lock()
	if m.resolved != nil && m.resolved.Balloon != nil {
		m.resolved.Balloon.StatsPollingIntervalS = seconds
	}
	m.mu.Unlock()
	return nil
}

// probeBalloonActive returns BALLOON_INACTIVE when the guest has not activated the
// balloon device. It re-sends the current target size, which changes nothing.
func (m *MicroVM) probeBalloonActive(ctx context.Context, op *Operation) error {
	var cur api.Balloon
	if err := m.do(ctx, op, http.MethodGet, "/balloon", nil, &cur, 0); err != nil {
		return balloonError(op, m.id, err)
	}
	err := m.do(ctx, op, http.MethodPatch, "/balloon", api.BalloonUpdate{AmountMib: cur.AmountMib},
		nil, 0)
	return balloonError(op, m.id, err)
}

// StartBalloonHinting starts a free page hinting run (PATCH /balloon/hinting/start,
// Firecracker 1.14 and later). With acknowledgeOnStop Firecracker acknowledges the guest's
// end of the run itself. Hinting must have been enabled at boot
// (config.Balloon.FreePageHinting).
func (m *MicroVM) StartBalloonHinting(ctx context.Context, acknowledgeOnStop bool) error {
	op := opStartBalloonHinting
	if _, err := m.hintingFor(op); err != nil {
		return err
	}
	body := api.BalloonStartCmd{}
	if acknowledgeOnStop {
		body.AcknowledgeOnStop = ptr(true)
	}
	err := m.do(ctx, op, http.MethodPatch, "/balloon/hinting/start", body, nil, 0)
	return balloonError(op, m.id, err)
}

// GetBalloonHintingStatus returns the state of free page hinting (GET
// /balloon/hinting/status, Firecracker 1.14 and later).
func (m *MicroVM) GetBalloonHintingStatus(ctx context.Context) (api.BalloonHintingStatus,
	error) {
	var out api.BalloonHintingStatus
	op := opGetBalloonHintingStatus
	if _, err := m.hintingFor(op); err != nil {
		return out, err
	}
	err := m.do(ctx, op, http.MethodGet, "/balloon/hinting/status", nil, &out, 0)
	return out, balloonError(op, m.id, err)
}

// StopBalloonHinting ends a free page hinting run (PATCH /balloon/hinting/stop,
// Firecracker 1.14 and later).
func (m *MicroVM) StopBalloonHinting(ctx context.Context) error {
	op := opStopBalloonHinting
	if _, err := m.hintingFor(op); err != nil {
		return err
	}
	err := m.do(ctx, op, http.MethodPatch, "/balloon/hinting/stop", nil, nil, 0)
	return balloonError(op, m.id, err)
}

// balloonFor checks op and returns the configuration in effect, which must have a balloon.
func (m *MicroVM) balloonFor(op *Operation) (*config.VM, error) {
	cfg, err := m.resolvedFor(op)
	if err != nil {
		return nil, err
	}
	if cfg.Balloon == nil {
		return nil, errdefs.New(errdefs.InvalidConfig, "%s: VM %s has no balloon device; "+
			"it can only be added before boot (config.Balloon)", op.Name, m.id)
	}
	return cfg, nil
}

func (m *MicroVM) balloonStatsFor(op *Operation) (*config.VM, error) {
	cfg, err := m.balloonFor(op)
	if err == nil && cfg.Balloon.StatsPollingIntervalS == 0 {
		err = errdefs.New(errdefs.BalloonStatsDisabled, "%s: VM %s was booted without "+
			"balloon statistics; they cannot be switched on after boot", op.Name, m.id)
	}
	return cfg, err
}

func (m *MicroVM) hintingFor(op *Operation) (*config.VM, error) {
	cfg, err := m.balloonFor(op)
	if err == nil && !cfg.Balloon.FreePageHinting {
		err = errdefs.New(errdefs.InvalidConfig, "%s: VM %s was booted without free page "+
			"hinting (config.Balloon.FreePageHinting)", op.Name, m.id)
	}
	return cfg, err
}

// The fault messages Firecracker uses for an inactive device and for disabled statistics;
// they changed wording between 1.7 and 1.14.
var (
	inactiveFaults      = []string{"DeviceNotActive", "Device not activated"}
	statsDisabledFaults = []string{"StatisticsDisabled", "stats are disabled"}
)

// balloonError turns Firecracker's "device is inactive" and "statistics not enabled"
// answers into BALLOON_INACTIVE and BALLOON_STATS_DISABLED errors; others pass unchanged.
func balloonError(op *Operation, vm string, err error) error {
	if err == nil {
		return nil
	}
	fault, status := faultOf(err)
	var code errdefs.Code
	switch {
	case containsAny(fault, inactiveFaults):
		code = errdefs.BalloonInactive
	case containsAny(fault, statsDisabledFaults):
		code = errdefs.BalloonStatsDisabled
	default:
		return err
	}
	e := errdefs.New(code, "%s on VM %s: %s", op.Name, vm, fault)
	e.StatusCode = status
	return e.WithDetail("fault_message", fault)
}

// faultOf returns Firecracker's fault_message and HTTP status from anywhere in err's
// chain; the wrappers that name the operation carry neither.
func faultOf(err error) (string, int) {
	for err != nil {
		var e *errdefs.Error
		if !errors.As(err, &e) {
			break
		}
		if f := e.Details["fault_message"]; f != "" || e.StatusCode != 0 {
			return f, e.StatusCode
		}
		err = e.Err
	}
	return "", 0
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
