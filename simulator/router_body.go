package simulator

// This file parses the requests that carry a body: PUT and PATCH.

func (s *Sim) parsePut(first string, t *tokens, body []byte) routed {
	if body == nil {
		return routed{err: s.failf("empty_put")}
	}
	simple := map[string][2]any{
		"actions":        {act(-1), "actions"},
		"balloon":        {aBalloon, "balloon"},
		"boot-source":    {aBootSource, "boot_source"},
		"cpu-config":     {aCPUConfig, "cpu_config"},
		"logger":         {aLogger, "logger"},
		"machine-config": {aMachine, "machine_config"},
		"metrics":        {aMetrics, "metrics"},
		"vsock":          {aVsock, "vsock"},
		"entropy":        {aEntropy, "entropy"},
	}
	if s.prof.serial {
		simple["serial"] = [2]any{aSerial, "serial"}
	}
	if e, ok := simple[first]; ok {
		out := s.decodeAction(e[0].(act), e[1].(string), body)
		return s.afterPut(first, out)
	}
	switch {
	case first == "drives":
		return s.parseWithID(aDrive, "drive", "drive_id", t, body, false)
	case first == "pmem" && s.prof.pmem:
		return s.parseWithID(aPmem, "pmem", "id", t, body, false)
	case first == "network-interfaces":
		return s.parseWithID(aNet, "net", "iface_id", t, body, true)
	case first == "mmds":
		return s.parsePutMMDS(t, body)
	case first == "snapshot":
		return s.parseSnapshot(t, body)
	case first == "hotplug" && s.prof.hotplugMemory && t.nextIs("memory"):
		return s.decodeAction(aHotplug, "hotplug_memory", body)
	}
	return s.badPath("PUT", first)
}

// afterPut finishes the PUT bodies that need more than decoding.
func (s *Sim) afterPut(first string, out routed) routed {
	if out.err != nil {
		return out
	}
	a := out.a
	switch first {
	case "actions":
		a.kind = map[string]act{"FlushMetrics": aFlushMetrics, "InstanceStart": aStart,
			"SendCtrlAltDel": aCtrlAltDel}[a.body.str("action_type")]
	case "machine-config":
		a.deprecated = a.body.has("cpu_template")
	case "vsock":
		a.deprecated = a.body.has("vsock_id")
	}
	return out
}

// parseWithID handles /drives/{id}, /pmem/{id} and /network-interfaces/{id}: the id is
// checked before the body, and must then match the body's.
func (s *Sim) parseWithID(k act, schema, idField string, t *tokens, body []byte,
	netStyle bool) routed {
	id, ok := t.next()
	if err := s.checkedID(id, ok); err != nil {
		return routed{err: err}
	}
	out := s.decodeAction(k, schema, body)
	if out.err != nil {
		return out
	}
	if got := out.a.body.str(idField); got != id {
		if netStyle {
			return routed{err: s.failf("net_id_mismatch", id, got)}
		}
		return routed{err: s.failf("id_mismatch")}
	}
	out.a.id = id
	return out
}

func (s *Sim) parsePutMMDS(t *tokens, body []byte) routed {
	second, ok := t.next()
	switch {
	case !ok:
		return s.parseMMDSValue(aPutMMDS, body)
	case second == "config":
		out := s.decodeAction(aMMDSConfig, "mmds_config", body)
		if out.a != nil {
			v := out.a.body.str("version")
			out.a.deprecated = v == "" || v == "V1"
		}
		return out
	}
	return routed{err: s.failf("unrecognized", "PUT", second)}
}

func (s *Sim) parseMMDSValue(k act, body []byte) routed {
	v, err := decodeBody(body, tValue, s.prof.bytewiseHex)
	if err != nil {
		return routed{err: s.failf("serde", err.Error())}
	}
	return routed{a: &action{kind: k, value: v}}
}

func (s *Sim) parseSnapshot(t *tokens, body []byte) routed {
	op, ok := t.next()
	switch {
	case !ok:
		return routed{err: s.failf("snap_no_op")}
	case op == "create":
		return s.decodeAction(aSnapshotCreate, "snapshot_create", body)
	case op != "load":
		return s.badPath("PUT", "/snapshot/"+op)
	}
	out := s.decodeAction(aSnapshotLoad, "snapshot_load", body)
	if out.err != nil {
		return out
	}
	f := out.a.body
	switch {
	case f.has("mem_backend") && f.has("mem_file_path"):
		return routed{err: s.failf("serde", s.prof.msgs.get("mem_too_many"))}
	case !f.has("mem_backend") && !f.has("mem_file_path"):
		return routed{err: s.failf("serde", s.prof.msgs.get("mem_missing"))}
	}
	out.a.deprecated = f.has("mem_file_path") ||
		(s.prof.version.atLeast(V1_14_2) && f.boolean("enable_diff_snapshots", false))
	return out
}

func (s *Sim) parsePatch(first string, t *tokens, body []byte) routed {
	if first == "balloon" {
		return s.parsePatchBalloon(t, body)
	}
	if body == nil {
		return routed{err: s.failf("empty_patch")}
	}
	switch {
	case first == "drives":
		return s.parseWithID(aUpdateDrive, "drive_update", "drive_id", t, body, false)
	case first == "machine-config":
		return s.parsePatchMachine(body)
	case first == "mmds":
		return s.parseMMDSValue(aPatchMMDS, body)
	case first == "network-interfaces":
		return s.parseWithID(aUpdateNet, "net_update", "iface_id", t, body, true)
	case first == "pmem" && s.prof.patchPmem:
		return s.parseWithID(aUpdatePmem, "pmem_update", "id", t, body, false)
	case first == "vm":
		out := s.decodeAction(aPause, "vm", body)
		if out.a != nil && out.a.body.str("state") == "Resumed" {
			out.a.kind = aResume
		}
		return out
	case first == "hotplug" && s.prof.hotplugMemory && t.nextIs("memory"):
		return s.decodeAction(aUpdateHotplug, "hotplug_memory_update", body)
	}
	return s.badPath("PATCH", first)
}

func (s *Sim) parsePatchMachine(body []byte) routed {
	out := s.decodeAction(aUpdateMachine, "machine_config_update", body)
	if out.err != nil {
		return out
	}
	empty := true
	for _, v := range out.a.body {
		if v != nil {
			empty = false
		}
	}
	if empty {
		return routed{err: s.failf("empty_patch")}
	}
	out.a.deprecated = out.a.body.has("cpu_template")
	return out
}

func (s *Sim) parsePatchBalloon(t *tokens, body []byte) routed {
	second, ok := t.next()
	if !s.prof.hinting {
		// 1.7: only /balloon and /balloon/statistics, and both need a body.
		switch {
		case body == nil:
			return routed{err: s.failf("empty_patch")}
		case !ok:
			return s.decodeAction(aUpdateBalloon, "balloon_update", body)
		case second == "statistics":
			return s.decodeAction(aUpdateBalloonStats, "balloon_stats", body)
		}
		return routed{err: s.failf("unrecognized", "PATCH", second)}
	}
	switch {
	case ok && second == "statistics" && body != nil:
		return s.decodeAction(aUpdateBalloonStats, "balloon_stats", body)
	case ok && second == "hinting":
		return s.parsePatchHinting(t, body)
	case body != nil:
		return s.decodeAction(aUpdateBalloon, "balloon_update", body)
	}
	return routed{err: s.failf("empty_patch")}
}

func (s *Sim) parsePatchHinting(t *tokens, body []byte) routed {
	third, ok := t.next()
	switch {
	case !ok:
		return routed{err: s.failf("unrecognized", "PATCH", "/hinting/")}
	case third == "stop":
		return do(aStopHinting)
	case third != "start":
		return routed{err: s.failf("unrecognized", "PATCH", "/hinting/"+third)}
	case len(body) == 0:
		return routed{a: &action{kind: aStartHinting, body: fields{}}}
	}
	return s.decodeAction(aStartHinting, "hinting_start", body)
}
