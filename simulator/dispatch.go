package simulator

// This file is Firecracker's two controllers (rpc_interface.rs): before InstanceStart the
// pre-boot controller accepts configuration and refuses runtime actions; afterwards the
// runtime controller does the opposite.

func ok() reply                { return reply{status: 204} }
func okJSON(body string) reply { return reply{status: 200, body: body} }

func (s *Sim) fail(id string, args ...any) reply { return *s.failf(id, args...) }

// preBootOnly are the actions the runtime controller refuses.
var preBootOnly = map[act]bool{
	aBootSource: true, aLogger: true, aMetrics: true, aSerial: true, aDrive: true,
	aPmem: true, aNet: true, aSnapshotLoad: true, aCPUConfig: true, aBalloon: true,
	aVsock: true, aMMDSConfig: true, aEntropy: true, aHotplug: true, aStart: true,
	aMachine: true, aUpdateMachine: true,
}

// postBootOnly are the actions the pre-boot controller refuses.
var postBootOnly = map[act]bool{
	aSnapshotCreate: true, aFlushMetrics: true, aPause: true, aResume: true,
	aGetBalloonStats: true, aGetHotplug: true, aUpdateBalloon: true,
	aUpdateBalloonStats: true, aUpdateDrive: true, aUpdateHotplug: true, aUpdateNet: true,
	aStartHinting: true, aGetHinting: true, aStopHinting: true, aCtrlAltDel: true,
	aUpdatePmem: true, aUnplug: true,
}

// dispatch runs a parsed action with s.mu held.
func (s *Sim) dispatch(a *action) reply {
	if r, handled := s.common(a); handled {
		return r
	}
	if s.state == notStarted {
		if postBootOnly[a.kind] {
			return s.fail("pre_boot")
		}
		return s.preboot(a)
	}
	if s.prof.hotplugPostBoot && (a.kind == aDrive || a.kind == aPmem || a.kind == aNet) {
		// 1.16 tries a PCI hotplug, which needs --enable-pci; the simulator does not model
		// PCI, so it answers as Firecracker does without it.
		return s.fail("pci_off")
	}
	if preBootOnly[a.kind] {
		return s.fail("post_boot")
	}
	return s.runtime(a)
}

// common answers the actions both controllers handle the same way.
func (s *Sim) common(a *action) (reply, bool) {
	switch a.kind {
	case aInstanceInfo:
		return okJSON(obj("id", s.opts.ID, "state", s.stateName(),
			"vmm_version", string(s.prof.version), "app_name", "Firecracker").String()), true
	case aVersion:
		return okJSON(obj("firecracker_version", string(s.prof.version)).String()), true
	case aFullConfig:
		return okJSON(s.vmConfig()), true
	case aGetMachine:
		return okJSON(s.res.machine.json(s.prof).String()), true
	case aGetBalloon:
		return s.getBalloon(), true
	case aGetMMDS, aPutMMDS, aPatchMMDS:
		return s.mmdsData(a), true
	}
	return reply{}, false
}

func (s *Sim) vmConfig() string {
	r := s.res
	r.mmdsCfg = s.mmdsConfigView()
	return r.vmConfigJSON(s.prof)
}

func (s *Sim) preboot(a *action) reply {
	switch a.kind {
	case aBootSource:
		return s.setBootSource(a.body)
	case aMachine:
		return s.updateMachine(a.body, true)
	case aUpdateMachine:
		return s.updateMachine(a.body, false)
	case aCPUConfig:
		s.res.machine.custom = true
		return ok()
	case aDrive:
		return s.insertDrive(a.body)
	case aPmem:
		return s.insertPmem(a.body)
	case aNet:
		return s.insertNet(a.body)
	case aVsock:
		return s.setVsock(a.body)
	case aEntropy:
		s.bootPath = true
		s.res.hasRNG, s.res.entropy = true, parseRateLimiter(a.body.sub("rate_limiter"))
		return ok()
	case aHotplug:
		return s.setHotplug(a.body)
	case aBalloon:
		return s.setBalloon(a.body)
	case aMMDSConfig:
		return s.setMMDSConfig(a.body)
	case aLogger:
		return s.configureLogger(a.body)
	case aMetrics:
		return s.configureMetrics(a.body)
	case aSerial:
		return s.configureSerial(a.body)
	case aSnapshotLoad:
		return s.loadSnapshot(a.body)
	case aStart:
		return s.startVM()
	}
	return s.fail("pre_boot")
}

func (s *Sim) runtime(a *action) reply {
	switch a.kind {
	case aCtrlAltDel:
		s.guest.ctrlAltDel()
		return ok()
	case aFlushMetrics:
		s.metrics.write(s)
		return ok()
	case aPause:
		s.pauseVM()
		return ok()
	case aResume:
		s.resumeVM()
		return ok()
	case aSnapshotCreate:
		return s.createSnapshot(a.body)
	case aGetBalloonStats, aUpdateBalloon, aUpdateBalloonStats, aStartHinting, aGetHinting,
		aStopHinting:
		return s.balloonRuntime(a)
	case aUpdateDrive:
		return s.updateDrive(a.body)
	case aUpdateNet:
		return s.updateNet(a.body)
	case aUpdatePmem:
		return s.updatePmem(a.body)
	case aGetHotplug:
		return s.hotplugRuntime(false)
	case aUpdateHotplug:
		return s.hotplugRuntime(true)
	case aUnplug:
		return s.fail("pci_off")
	}
	return s.fail("post_boot")
}
