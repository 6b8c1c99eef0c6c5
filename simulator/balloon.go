package simulator

import "syscall"

// This file simulates the balloon device. Without --sim-balloon-driver the guest has no
// virtio-balloon driver (like the tiny guest), so the device never activates and
// Firecracker refuses size changes; with it the guest follows every target at once.

const pagesPerMiB = 256 // 4 KiB pages

// setBalloon is PUT /balloon before boot.
func (s *Sim) setBalloon(f fields) reply {
	s.bootPath = true
	b := &balloonCfg{amountMiB: f.u64("amount_mib", 0),
		deflateOnOOM:  f.boolean("deflate_on_oom", false),
		statsInterval: f.u64("stats_polling_interval_s", 0),
		hinting:       f.boolean("free_page_hinting", false),
		reporting:     f.boolean("free_page_reporting", false)}
	if b.amountMiB > s.res.machine.memMiB {
		return s.fail("balloon_big")
	}
	s.res.balloon = b
	return ok()
}

// getBalloon is GET /balloon.
func (s *Sim) getBalloon() reply {
	switch {
	case s.res.balloon != nil:
		return okJSON(s.res.balloon.json(s.prof).String())
	case s.state == notStarted:
		return s.fail("balloon_none")
	}
	return s.fail("balloon_absent")
}

// balloonRuntime answers the balloon actions that need a started VM.
func (s *Sim) balloonRuntime(a *action) reply {
	b := s.res.balloon
	if b == nil {
		if a.kind == aGetBalloonStats {
			return s.fail("balloon_absent")
		}
		return s.fail("balloon_update_absent")
	}
	switch a.kind {
	case aGetBalloonStats:
		return s.balloonStats(b)
	case aUpdateBalloon:
		return s.updateBalloon(b, a.body.u64("amount_mib", 0))
	case aUpdateBalloonStats:
		return s.updateBalloonStats(b, a.body.u64("stats_polling_interval_s", 0))
	}
	return s.hinting(b, a)
}

func (s *Sim) balloonStats(b *balloonCfg) reply {
	if b.statsInterval == 0 {
		return s.fail("balloon_nostats")
	}
	o := obj("target_pages", b.amountMiB*pagesPerMiB, "actual_pages", b.actualMiB*pagesPerMiB,
		"target_mib", b.amountMiB, "actual_mib", b.actualMiB)
	if s.opts.BalloonDriver {
		total := (s.res.machine.memMiB - b.actualMiB) << 20
		o.set("free_memory", total/2).set("total_memory", total).
			set("available_memory", total/2)
	}
	return okJSON(o.String())
}

func (s *Sim) updateBalloon(b *balloonCfg, amount uint64) reply {
	tooBig := amount > s.res.machine.memMiB
	switch {
	case s.prof.version == V1_7_0 && tooBig:
		return s.fail("balloon_too_big")
	case !s.opts.BalloonDriver:
		return s.fail("balloon_inactive")
	case tooBig:
		return s.fail("balloon_too_big", amount)
	}
	b.amountMiB, b.actualMiB = amount, amount
	return ok()
}

func (s *Sim) updateBalloonStats(b *balloonCfg, interval uint64) reply {
	switch {
	case b.statsInterval == interval:
		return ok()
	case b.statsInterval == 0 || interval == 0:
		return s.fail("balloon_stats_change")
	case s.prof.statsPatchPanics && !s.opts.BalloonDriver:
		// Firecracker 1.7.0 unwraps the missing device state and aborts.
		s.log.error("main", "Firecracker panicked at src/vmm/src/devices/virtio/balloon/"+
			"device.rs:457:43:\ncalled `Option::unwrap()` on a `None` value")
		s.exit(&ExitError{Signal: syscall.SIGABRT,
			Message: "panic: balloon statistics update on an inactive device"})
		return reply{status: aborted}
	}
	b.statsInterval = interval
	return ok()
}

// Free page hinting commands (virtio-balloon).
const (
	hintCmdDone = 1
	hintCmdMin  = 2
)

func (s *Sim) hinting(b *balloonCfg, a *action) reply {
	if !b.hinting {
		return s.fail("hinting_off")
	}
	if a.kind == aGetHinting {
		var guest any
		if s.opts.BalloonDriver && b.hostCmd != 0 {
			guest = b.hostCmd
		}
		return okJSON(obj("host_cmd", b.hostCmd, "guest_cmd", guest).String())
	}
	if !s.opts.BalloonDriver {
		return s.fail("balloon_inactive")
	}
	if a.kind == aStopHinting {
		b.hostCmd = hintCmdDone
		return ok()
	}
	b.acknowledgeOnFinish = a.body.boolean("acknowledge_on_stop", true)
	b.lastCmd = max(b.lastCmd+1, hintCmdMin)
	b.hostCmd = b.lastCmd
	return ok()
}
