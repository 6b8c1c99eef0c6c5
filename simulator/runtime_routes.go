package simulator

import (
	"io"
	"os"
	"slices"
)

// This file holds InstanceStart and the runtime handlers.

// startVM is InstanceStart: it opens the serial output, checks that the kernel is a
// little-endian ELF image (the only x86_64 format Firecracker boots), and boots the guest.
// Firecracker validates far more (entry address, memory layout); the simulator does not.
func (s *Sim) startVM() reply {
	if s.res.boot == nil {
		return s.fail("no_kernel")
	}
	console, rep := s.openConsole()
	if rep != nil {
		return *rep
	}
	if detail := elfProblem(s.res.boot.kernel); detail != "" {
		return s.fail("kernel_elf", detail)
	}
	s.guest.setConsole(console)
	s.state = running
	s.guest.boot(0, false, true)
	s.metrics.write(s)
	return ok()
}

// openConsole returns where the guest's serial output goes: stdout, or the PUT /serial
// file (opened read-write, created when missing, not truncated).
func (s *Sim) openConsole() (io.Writer, *reply) {
	if s.res.serialTo == "" {
		return s.opts.Console, nil
	}
	f, err := os.OpenFile(s.res.serialTo, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fault("Start microvm error: " + osErr(err))
	}
	return f, nil
}

// elfProblem returns linux-loader's complaint about the kernel file, or "".
func elfProblem(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return "Unable to read elf header"
	}
	defer f.Close()
	hdr := make([]byte, 64)
	if _, err := io.ReadFull(f, hdr); err != nil {
		return "Unable to read elf header"
	}
	switch {
	case string(hdr[:4]) != "\x7fELF":
		return "Invalid Elf magic number"
	case hdr[5] != 1:
		return "Trying to load big-endian binary on little-endian machine"
	}
	return ""
}

func (s *Sim) pauseVM() {
	if s.state == running {
		s.state = paused
		s.guest.pause()
	}
}

func (s *Sim) resumeVM() {
	if s.state == paused {
		s.state = running
		s.guest.resume()
	}
}

// updateDrive is PATCH /drives/{id} after boot.
func (s *Sim) updateDrive(f fields) reply {
	i := slices.IndexFunc(s.res.drives, func(d *drive) bool { return d.id == f.str("drive_id") })
	if i < 0 {
		return s.fail("drive_missing")
	}
	d := *s.res.drives[i]
	vhost := d.socket != nil
	path, hasRL := f.strp("path_on_host"), f.has("rate_limiter")
	if path == nil && !hasRL {
		if !vhost {
			return s.fail("drive_backend")
		}
		return ok()
	}
	if vhost {
		return s.fail("drive_backend")
	}
	if path != nil {
		if err := canOpen(*path, !d.readOnly); err != nil {
			return s.fail("drive_update_file", osErr(err), *path)
		}
		d.path = path
	}
	if hasRL {
		d.rl = d.rl.update(f.sub("rate_limiter"))
	}
	s.res.drives[i] = &d
	return ok()
}

// updateNet is PATCH /network-interfaces/{id} after boot.
func (s *Sim) updateNet(f fields) reply {
	i := slices.IndexFunc(s.res.nets, func(n *netIface) bool { return n.id == f.str("iface_id") })
	if i < 0 {
		return s.fail("net_missing")
	}
	n := *s.res.nets[i]
	n.rx = n.rx.update(f.sub("rx_rate_limiter"))
	n.tx = n.tx.update(f.sub("tx_rate_limiter"))
	s.res.nets[i] = &n
	return ok()
}

// updatePmem is PATCH /pmem/{id} after boot (1.16).
func (s *Sim) updatePmem(f fields) reply {
	i := slices.IndexFunc(s.res.pmem, func(p *pmemDev) bool { return p.id == f.str("id") })
	if i < 0 {
		return s.fail("pmem_missing")
	}
	if f.has("rate_limiter") {
		p := *s.res.pmem[i]
		p.rl = p.rl.update(f.sub("rate_limiter"))
		s.res.pmem[i] = &p
	}
	return ok()
}

// hotplugRuntime answers GET and PATCH /hotplug/memory after boot. The tiny guest has no
// virtio-mem driver, so the device never activates and size updates are refused.
func (s *Sim) hotplugRuntime(update bool) reply {
	h := s.res.hotplug
	switch {
	case h == nil && update:
		return s.fail("hotplug_update_absent")
	case h == nil:
		return s.fail("hotplug_absent")
	case update:
		return s.fail("hotplug_inactive")
	}
	return okJSON(obj("block_size_mib", h.block, "total_size_mib", h.total,
		"slot_size_mib", h.slot, "plugged_size_mib", 0, "requested_size_mib", 0).String())
}
