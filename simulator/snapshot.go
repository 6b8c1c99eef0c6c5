package simulator

import (
	"hash/crc64"
	"net"
	"os"
	"strconv"
	"strings"
)

// Snapshots. The simulator's snapshot file is JSON, not Firecracker's binary format: it
// holds the answering version, the VM configuration (in GET /vm/config's shape) and the
// guest's tick counter. The memory file is a sparse file of the guest's memory size.
// Firecracker's rules are kept: create only while paused, load only before any
// boot-specific configuration, snapshots of another data format version refused, and any
// failure while restoring ends the process.

const snapshotFormat = "smartvm-fcsim-snapshot"

// snapshotSchema reads the snapshot file back.
func (s *Sim) snapshotSchema() *typ {
	return lenient("SimSnapshot", req("format", tString),
		req("firecracker_version", tString), req("snapshot_data_version", tString),
		req("guest_ticks", tU64), req("vm", s.prof.bodies["config_file"]))
}

// createSnapshot is PUT /snapshot/create.
func (s *Sim) createSnapshot(f fields) reply {
	if s.state == running {
		return s.fail("snap_running")
	}
	kind := f.str("snapshot_type")
	if kind == "" {
		kind = "Full"
	}
	if kind == "Diff" && !s.res.machine.dirtyPages && s.prof.version == V1_7_0 {
		return s.fail("diff_snapshot")
	}
	var b strings.Builder
	b.WriteString(obj("format", snapshotFormat, "firecracker_version", string(s.prof.version),
		"snapshot_data_version", s.prof.snapshotVersion, "snapshot_type", kind,
		"instance_id", s.opts.ID, "guest_ticks", s.guest.tickCount()).String())
	body := strings.TrimSuffix(b.String(), "}") + `,"vm":` + s.vmConfig() + "}\n"
	if err := os.WriteFile(f.str("snapshot_path"), []byte(body), 0o600); err != nil {
		return s.fail("snap_open", osErr(err))
	}
	flag := os.O_RDWR | os.O_CREATE
	if kind == "Full" {
		flag |= os.O_TRUNC // a diff snapshot writes over the existing base file
	}
	mem, err := os.OpenFile(f.str("mem_file_path"), flag, 0o600)
	if err != nil {
		return s.fail("snap_mem_open", osErr(err))
	}
	defer mem.Close()
	if err := mem.Truncate(int64(s.res.machine.memMiB) << 20); err != nil {
		return s.fail("snap_mem_open", osErr(err))
	}
	return ok()
}

// loadSnapshot is PUT /snapshot/load. Errors after the configuration check are fatal.
func (s *Sim) loadSnapshot(f fields) reply {
	if s.bootPath {
		return s.fail("load_after_config")
	}
	snap, rep := s.readSnapshot(f.str("snapshot_path"))
	if rep != nil {
		return s.fatal(*rep)
	}
	vm := snap.sub("vm")
	if rep := s.applyOverrides(vm, f); rep != nil {
		return s.fatal(*rep)
	}
	if rep := s.checkMemory(f); rep != nil {
		return s.fatal(*rep)
	}
	if rep := s.restore(vm); rep != nil {
		return s.fatal(*rep)
	}
	if f.boolean("track_dirty_pages", false) || f.boolean("enable_diff_snapshots", false) {
		s.res.machine.dirtyPages = true
	}
	resume := f.boolean("resume_vm", false)
	s.state = paused
	if resume {
		s.state = running
	}
	s.guest.setConsole(s.opts.Console)
	s.guest.boot(snap.u64("guest_ticks", 0), true, resume)
	s.metrics.write(s)
	return ok()
}

// fatal marks an error reply as ending the process once it is sent.
func (s *Sim) fatal(r reply) reply {
	msg := "RunWithApi(BuildMicroVmError(Restore))"
	s.log.error("main",
		"RunWithApiError error: Failed to build MicroVM: Loading snapshot failed..")
	r.exitAfter = &ExitError{Code: 1, Message: msg}
	return r
}

func (s *Sim) readSnapshot(path string) (fields, *reply) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, s.failf("load_open", osErr(err))
	}
	sum := crc64.Checksum(data, crc64.MakeTable(crc64.ECMA))
	garbage := s.failf("load_garbage", strconv.FormatUint(sum, 10))
	header := lenient("SimSnapshotHeader", req("format", tString),
		req("snapshot_data_version", tString))
	h, derr := decodeBody(data, header, false)
	if derr != nil || asFields(h).str("format") != snapshotFormat {
		return nil, garbage
	}
	if got := asFields(h).str("snapshot_data_version"); got != s.prof.snapshotVersion {
		return nil, s.failf("load_version", got)
	}
	v, derr := decodeBody(data, s.snapshotSchema(), false)
	if derr != nil {
		return nil, garbage
	}
	return asFields(v), nil
}

// applyOverrides applies network_overrides (1.14+) and vsock_override (1.16) to the
// snapshot's configuration.
func (s *Sim) applyOverrides(vm fields, f fields) *reply {
	nets, _ := vm["network-interfaces"].([]any)
	overrides, _ := f["network_overrides"].([]any)
	for _, o := range overrides {
		o := asFields(o)
		found := false
		for _, n := range nets {
			if n := asFields(n); n.str("iface_id") == o.str("iface_id") {
				n["host_dev_name"], found = o.str("host_dev_name"), true
			}
		}
		if !found {
			return s.failf("load_unknown_net")
		}
	}
	if vo := f.sub("vsock_override"); vo != nil {
		v := vm.sub("vsock")
		if v == nil {
			return s.failf("load_unknown_vsock")
		}
		v["uds_path"] = vo.str("uds_path")
	}
	return nil
}

// checkMemory opens the memory backend: a file, or (Uffd) a Unix socket to connect to.
func (s *Sim) checkMemory(f fields) *reply {
	path, kind := f.str("mem_file_path"), "File"
	if b := f.sub("mem_backend"); b != nil {
		path, kind = b.str("backend_path"), b.str("backend_type")
	}
	if kind == "Uffd" {
		c, err := net.Dial("unix", path)
		if err != nil {
			return s.failf("load_uffd", osErr(err))
		}
		_ = c.Close()
		return nil
	}
	if err := canOpen(path, false); err != nil {
		return s.failf("load_mem", osErr(err))
	}
	return nil
}

// restore rebuilds the resources from the snapshot's configuration. Only the vsock socket
// is re-created on the host; drive and TAP files are not re-checked.
func (s *Sim) restore(vm fields) *reply {
	var r resources
	r.machine = defaultMachine()
	if m := vm.sub("machine-config"); m != nil {
		r.machine.vcpus, r.machine.memMiB = m.u64("vcpu_count", 1), m.u64("mem_size_mib", 128)
		r.machine.smt, r.machine.dirtyPages = m.boolean("smt", false),
			m.boolean("track_dirty_pages", false)
		if h := m.strp("huge_pages"); h != nil {
			r.machine.hugePages = *h
		}
	}
	if b := vm.sub("boot-source"); b != nil {
		r.boot = &bootSource{kernel: b.str("kernel_image_path"), initrd: b.strp("initrd_path"),
			bootArgs: b.strp("boot_args")}
	}
	s.res = r
	for _, item := range listOf(vm, "drives") {
		d := driveFrom(asFields(item))
		s.res.drives = append(s.res.drives, d)
	}
	s.restoreNets(vm)
	if v := vm.sub("vsock"); v != nil {
		ln, err := bindVsock(v.str("uds_path"))
		if err != nil {
			return s.failf("load_vsock", osErr(err))
		}
		s.res.vsock = &vsockDev{cid: v.u64("guest_cid", 0), path: v.str("uds_path"), ln: ln}
	}
	s.restoreOthers(vm)
	return nil
}

func listOf(f fields, key string) []any {
	l, _ := f[key].([]any)
	return l
}

func (s *Sim) restoreNets(vm fields) {
	var withMMDS []string
	if m := vm.sub("mmds-config"); m != nil {
		for _, v := range listOf(m, "network_interfaces") {
			withMMDS = append(withMMDS, v.(string))
		}
		s.mmds.version, s.mmds.ipv4 = m.str("version"), m.str("ipv4_address")
		s.mmds.imdsCompat, s.mmds.configured = m.boolean("imds_compat", false), true
	}
	for _, item := range listOf(vm, "network-interfaces") {
		f := asFields(item)
		n := &netIface{id: f.str("iface_id"), hostDev: f.str("host_dev_name"),
			mac: f.strp("guest_mac"), rx: parseRateLimiter(f.sub("rx_rate_limiter")),
			tx: parseRateLimiter(f.sub("tx_rate_limiter"))}
		if f.has("mtu") {
			n.mtu = f.u64("mtu", 0)
		}
		for _, id := range withMMDS {
			n.mmds = n.mmds || id == n.id
		}
		s.res.nets = append(s.res.nets, n)
	}
}

func (s *Sim) restoreOthers(vm fields) {
	if b := vm.sub("balloon"); b != nil {
		s.res.balloon = &balloonCfg{amountMiB: b.u64("amount_mib", 0),
			deflateOnOOM:  b.boolean("deflate_on_oom", false),
			statsInterval: b.u64("stats_polling_interval_s", 0),
			hinting:       b.boolean("free_page_hinting", false),
			reporting:     b.boolean("free_page_reporting", false)}
	}
	if e := vm.sub("entropy"); e != nil {
		s.res.hasRNG, s.res.entropy = true, parseRateLimiter(e.sub("rate_limiter"))
	}
	for _, item := range listOf(vm, "pmem") {
		f := asFields(item)
		s.res.pmem = append(s.res.pmem, &pmemDev{id: f.str("id"), path: f.str("path_on_host"),
			root: f.boolean("root_device", false), readOnly: f.boolean("read_only", false),
			rl: parseRateLimiter(f.sub("rate_limiter"))})
	}
	if h := vm.sub("memory-hotplug"); h != nil {
		s.res.hotplug = &hotplugCfg{total: h.u64("total_size_mib", 0),
			block: h.u64("block_size_mib", 2), slot: h.u64("slot_size_mib", 128)}
	}
}
