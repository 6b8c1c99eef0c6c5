package simulator

import (
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"syscall"
)

// This file holds the pre-boot configuration handlers. Each one checks what Firecracker
// checks at that point (files opened, sockets bound, ids and MACs unique) and stores the
// configuration the way Firecracker reports it back in GET /vm/config.

func (s *Sim) setBootSource(f fields) reply {
	s.bootPath = true
	kernel := f.str("kernel_image_path")
	if err := canOpen(kernel, false); err != nil {
		return s.fail("kernel_open", osErr(err))
	}
	initrd := f.strp("initrd_path")
	if initrd != nil {
		if err := canOpen(*initrd, false); err != nil {
			return s.fail("initrd_open", osErr(err))
		}
	}
	s.res.boot = &bootSource{kernel: kernel, initrd: initrd, bootArgs: f.strp("boot_args")}
	return ok()
}

// canOpen opens and closes path, read-only or read-write.
func canOpen(path string, write bool) error {
	flag := os.O_RDONLY
	if write {
		flag = os.O_RDWR
	}
	fh, err := os.OpenFile(path, flag, 0)
	if err != nil {
		return err
	}
	return fh.Close()
}

// updateMachine applies PUT (put) or PATCH /machine-config, as MachineConfig::update and
// VmResources::update_machine_config do.
func (s *Sim) updateMachine(f fields, put bool) reply {
	s.bootPath = true
	m := s.res.machine
	pick := func(k string, def uint64) uint64 { return f.u64(k, def) }
	pickB := func(k string, def bool) bool { return f.boolean(k, def) }
	if put {
		m.smt, m.dirtyPages, m.hugePages = false, false, "None"
	}
	vcpus, smt := pick("vcpu_count", m.vcpus), pickB("smt", m.smt)
	if vcpus == 0 || vcpus > 32 || (smt && vcpus > 1 && vcpus%2 == 1) {
		return s.fail("vcpu_count")
	}
	mem, huge := pick("mem_size_mib", m.memMiB), m.hugePages
	if h := f.strp("huge_pages"); h != nil {
		huge = *h
	}
	if mem == 0 || (huge == "2M" && mem%2 != 0) {
		return s.fail("mem_size")
	}
	if s.res.balloon != nil && mem < s.res.balloon.amountMiB {
		return s.fail("mem_balloon")
	}
	m.vcpus, m.smt, m.memMiB, m.hugePages = vcpus, smt, mem, huge
	m.dirtyPages = pickB("track_dirty_pages", m.dirtyPages)
	if t := f.strp("cpu_template"); t != nil {
		m.template, m.custom = *t, false
		if *t == "None" {
			m.template = ""
		}
	}
	s.res.machine = m
	return ok()
}

func (s *Sim) insertDrive(f fields) reply {
	s.bootPath = true
	id, root := f.str("drive_id"), f.boolean("is_root_device", false)
	if root && slices.ContainsFunc(s.res.pmem, func(p *pmemDev) bool { return p.root }) {
		return s.fail("block_pmem_root")
	}
	pos := slices.IndexFunc(s.res.drives, func(d *drive) bool { return d.id == id })
	hasRoot := len(s.res.drives) > 0 && s.res.drives[0].root
	if root && hasRoot && pos != 0 {
		return s.fail("root_exists")
	}
	d, rep := s.newDrive(f)
	if rep != nil {
		return *rep
	}
	switch {
	case pos < 0 && root:
		s.res.drives = append([]*drive{d}, s.res.drives...)
	case pos < 0:
		s.res.drives = append(s.res.drives, d)
	default:
		s.res.drives[pos] = d
		if pos != 0 && root {
			s.res.drives[0], s.res.drives[pos] = s.res.drives[pos], s.res.drives[0]
		}
	}
	return ok()
}

// driveFrom reads a drive body, with Firecracker's defaults, without checking it.
func driveFrom(f fields) *drive {
	d := &drive{id: f.str("drive_id"), partuuid: f.strp("partuuid"),
		root: f.boolean("is_root_device", false), cacheType: "Unsafe", ioEngine: "Sync",
		readOnly: f.boolean("is_read_only", false), path: f.strp("path_on_host"),
		socket: f.strp("socket"), rl: parseRateLimiter(f.sub("rate_limiter"))}
	if c := f.strp("cache_type"); c != nil {
		d.cacheType = *c
	}
	if e := f.strp("io_engine"); e != nil {
		d.ioEngine = *e
	}
	return d
}

// newDrive is Block::new: a file-backed drive (path, no socket) or a vhost-user one
// (socket, no path).
func (s *Sim) newDrive(f fields) (*drive, *reply) {
	d := driveFrom(f)
	switch {
	case d.path != nil && d.socket == nil:
		if err := canOpen(*d.path, !d.readOnly); err != nil {
			if s.prof.version == V1_7_0 {
				return nil, s.failf("block_file", osErrDebug(err), *d.path)
			}
			return nil, s.failf("block_file", osErr(err), *d.path)
		}
	case d.socket != nil && d.path == nil:
		c, err := net.Dial("unix", *d.socket)
		if err != nil {
			return nil, s.failf("vhost_connect", s.ioErrText(err))
		}
		// The simulator does not speak vhost-user; a socket that accepts is good enough.
		_ = c.Close()
		d.ioEngine, d.readOnly = "", false
	default:
		return nil, s.failf("block_config")
	}
	return d, nil
}

// ioErrText renders an io::Error the way the version prints it inside messages.
func (s *Sim) ioErrText(err error) string {
	if s.prof.version == V1_7_0 {
		return osErrDebug(err)
	}
	return osErr(err)
}

func (s *Sim) insertNet(f fields) reply {
	s.bootPath = true
	id := f.str("iface_id")
	var mac *string
	if m := f.strp("guest_mac"); m != nil {
		b, _ := parseMAC(*m)
		norm := fmt.Sprintf("%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4], b[5])
		mac = &norm
		for _, n := range s.res.nets {
			if n.mac != nil && *n.mac == norm && n.id != id {
				return s.fail("mac_in_use", norm)
			}
		}
	}
	if i := slices.IndexFunc(s.res.nets, func(n *netIface) bool { return n.id == id }); i >= 0 {
		// NetBuilder::build swap-removes the old device before building the new one.
		last := len(s.res.nets) - 1
		s.res.nets[i] = s.res.nets[last]
		s.res.nets = s.res.nets[:last]
	}
	host := f.str("host_dev_name")
	if rep := s.checkTap(host); rep != nil {
		return *rep
	}
	n := &netIface{id: id, hostDev: host, mac: mac, rx: parseRateLimiter(f.sub("rx_rate_limiter")),
		tx: parseRateLimiter(f.sub("tx_rate_limiter"))}
	if f.has("mtu") {
		n.mtu = f.u64("mtu", 0)
	}
	s.res.nets = append(s.res.nets, n)
	return ok()
}

// checkTap mirrors Tap::open_named: names of 16 bytes or more are refused, and TUNSETIFF
// fails on an existing interface that is not a TUN/TAP device, or (without root) on one
// that would have to be created. A missing TAP is created by Firecracker when it runs as
// root, so the simulator accepts it then.
func (s *Sim) checkTap(name string) *reply {
	if len(name) >= 16 {
		return s.failf("tap_name")
	}
	if name == "" || strings.ContainsAny(name, "/") {
		return nil
	}
	_, statErr := os.Stat("/sys/class/net/" + name)
	_, tunErr := os.Stat("/sys/class/net/" + name + "/tun_flags")
	var errno error
	switch {
	case statErr == nil && tunErr != nil:
		errno = syscall.EINVAL
	case statErr != nil && os.Geteuid() != 0:
		errno = syscall.EPERM
	default:
		return nil
	}
	return s.failf("tap_ifreq", osErr(errno), name)
}

func (s *Sim) insertPmem(f fields) reply {
	s.bootPath = true
	id, root := f.str("id"), f.boolean("root_device", false)
	if root && len(s.res.drives) > 0 && s.res.drives[0].root {
		return s.fail("pmem_block_root")
	}
	pos := slices.IndexFunc(s.res.pmem, func(p *pmemDev) bool { return p.id == id })
	hasRoot := slices.ContainsFunc(s.res.pmem, func(p *pmemDev) bool { return p.root })
	if root && hasRoot && (pos < 0 || !s.res.pmem[pos].root) {
		return s.fail("pmem_root")
	}
	d := &pmemDev{id: id, path: f.str("path_on_host"), root: root,
		readOnly: f.boolean("read_only", false), rl: parseRateLimiter(f.sub("rate_limiter"))}
	fi, err := os.Stat(d.path)
	if err == nil {
		err = canOpen(d.path, !d.readOnly)
	}
	switch {
	case err != nil:
		return s.fail("pmem_open", osErr(err))
	case fi.Size() == 0:
		return s.fail("pmem_empty")
	}
	if pos >= 0 {
		s.res.pmem[pos] = d
	} else {
		s.res.pmem = append(s.res.pmem, d)
	}
	return ok()
}

func (s *Sim) setHotplug(f fields) reply {
	s.bootPath = true
	h := hotplugCfg{total: f.u64("total_size_mib", 0), block: f.u64("block_size_mib", 2),
		slot: f.u64("slot_size_mib", 128)}
	switch {
	case h.block < 2:
		return s.fail("hotplug_block_small", 2)
	case h.block&(h.block-1) != 0:
		return s.fail("hotplug_block_pow2")
	case h.slot < 128:
		return s.fail("hotplug_slot_small", 128)
	case h.slot%h.block != 0:
		return s.fail("hotplug_slot_multiple", h.block)
	case h.total < h.slot:
		return s.fail("hotplug_total_small", h.slot)
	case h.total%h.slot != 0:
		return s.fail("hotplug_total_multiple", h.slot)
	}
	s.res.hotplug = &h
	return ok()
}

// configureSerial is PUT /serial: the path is only remembered; Firecracker opens (and
// creates) the file when the VM starts.
func (s *Sim) configureSerial(f fields) reply {
	s.res.serialTo = ""
	if p := f.strp("serial_out_path"); p != nil {
		s.res.serialTo = *p
	}
	return ok()
}
