package simulator

// fields is a decoded struct body (see parse.go).
type fields map[string]any

func asFields(v any) fields {
	m, _ := v.(map[string]any)
	return m
}

func (f fields) str(k string) string {
	s, _ := f[k].(string)
	return s
}

// strp returns the field, or nil when it is absent or null.
func (f fields) strp(k string) *string {
	if s, ok := f[k].(string); ok {
		return &s
	}
	return nil
}

func (f fields) u64(k string, def uint64) uint64 {
	switch n := f[k].(type) {
	case uint64:
		return n
	case int64:
		return uint64(n)
	}
	return def
}

func (f fields) boolean(k string, def bool) bool {
	if b, ok := f[k].(bool); ok {
		return b
	}
	return def
}

func (f fields) boolp(k string) *bool {
	if b, ok := f[k].(bool); ok {
		return &b
	}
	return nil
}

func (f fields) sub(k string) fields { return asFields(f[k]) }

func (f fields) has(k string) bool {
	v, ok := f[k]
	return ok && v != nil
}

// bucket is an active token bucket. Firecracker drops a bucket whose size or refill time is
// zero, and reports a one-time burst of zero as absent.
type bucket struct{ size, burst, refill uint64 }

// rateLimiter holds the active buckets of a rate limiter.
type rateLimiter struct{ bandwidth, ops *bucket }

func parseBucket(f fields) *bucket {
	if f == nil {
		return nil
	}
	b := &bucket{size: f.u64("size", 0), burst: f.u64("one_time_burst", 0),
		refill: f.u64("refill_time", 0)}
	if b.size == 0 || b.refill == 0 {
		return nil
	}
	return b
}

func parseRateLimiter(f fields) *rateLimiter {
	if f == nil {
		return nil
	}
	return &rateLimiter{bandwidth: parseBucket(f.sub("bandwidth")), ops: parseBucket(f.sub("ops"))}
}

// update applies a PATCH: a given bucket replaces (or disables) the old one, an absent one
// is kept.
func (r *rateLimiter) update(f fields) *rateLimiter {
	out := &rateLimiter{}
	if r != nil {
		*out = *r
	}
	if f == nil {
		return out
	}
	if _, ok := f["bandwidth"]; ok && f["bandwidth"] != nil {
		out.bandwidth = parseBucket(f.sub("bandwidth"))
	}
	if _, ok := f["ops"]; ok && f["ops"] != nil {
		out.ops = parseBucket(f.sub("ops"))
	}
	return out
}

func (b *bucket) json() *jobj {
	if b == nil {
		return nil
	}
	var burst any
	if b.burst > 0 {
		burst = b.burst
	}
	return obj("size", b.size, "one_time_burst", burst, "refill_time", b.refill)
}

func (r *rateLimiter) json() *jobj {
	if r == nil || (r.bandwidth == nil && r.ops == nil) {
		return nil
	}
	return obj("bandwidth", r.bandwidth.json(), "ops", r.ops.json())
}

// bootSource is the PUT /boot-source configuration.
type bootSource struct {
	kernel   string
	initrd   *string
	bootArgs *string
}

func (b *bootSource) json() *jobj {
	if b == nil {
		b = &bootSource{}
	}
	return obj("kernel_image_path", b.kernel, "initrd_path", b.initrd, "boot_args", b.bootArgs)
}

// machineConfig is the PUT /machine-config configuration.
type machineConfig struct {
	vcpus       uint64
	memMiB      uint64
	smt         bool
	template    string // static template name, "" for none
	custom      bool   // a custom template was set with PUT /cpu-config
	dirtyPages  bool
	hugePages   string
	hasTemplate bool
}

func defaultMachine() machineConfig {
	return machineConfig{vcpus: 1, memMiB: 128, hugePages: "None"}
}

func (m machineConfig) json(p *profile) *jobj {
	o := obj("vcpu_count", m.vcpus, "mem_size_mib", m.memMiB, "smt", m.smt)
	switch {
	case m.template != "" && m.template != "None":
		o.set("cpu_template", m.template)
	case m.custom && p.showCustomTemplate:
		o.set("cpu_template", "None")
	}
	return o.set("track_dirty_pages", m.dirtyPages).set("huge_pages", m.hugePages)
}

// drive is one block device.
type drive struct {
	id        string
	partuuid  *string
	root      bool
	cacheType string
	readOnly  bool
	path      *string
	rl        *rateLimiter
	ioEngine  string
	socket    *string
}

func (d *drive) json() *jobj {
	return obj("drive_id", d.id, "partuuid", d.partuuid, "is_root_device", d.root,
		"cache_type", d.cacheType, "is_read_only", d.readOnly, "path_on_host", d.path,
		"rate_limiter", d.rl.json(), "io_engine", d.ioEngine, "socket", d.socket)
}

// netIface is one network interface.
type netIface struct {
	id, hostDev string
	mmds        bool // MMDS is served on this interface
	mac         *string
	mtu         any // uint64 or nil (1.16+)
	rx, tx      *rateLimiter
}

func (n *netIface) json(p *profile) *jobj {
	o := obj("iface_id", n.id, "host_dev_name", n.hostDev, "guest_mac", n.mac)
	if p.version.atLeast(V1_16_1) {
		o.set("mtu", n.mtu)
	}
	return o.set("rx_rate_limiter", n.rx.json()).set("tx_rate_limiter", n.tx.json())
}

// pmemDev is one virtio-pmem device (1.14+).
type pmemDev struct {
	id, path       string
	root, readOnly bool
	rl             *rateLimiter
}

func (d *pmemDev) json(p *profile) *jobj {
	o := obj("id", d.id, "path_on_host", d.path, "root_device", d.root, "read_only", d.readOnly)
	if p.version.atLeast(V1_16_1) {
		o.set("rate_limiter", d.rl.json())
	}
	return o
}

// balloonCfg is the balloon device.
type balloonCfg struct {
	amountMiB           uint64
	deflateOnOOM        bool
	statsInterval       uint64
	hinting, reporting  bool
	actualMiB, hostCmd  uint64
	lastCmd             uint64 // the last hinting command id issued
	acknowledgeOnFinish bool
}

func (b *balloonCfg) json(p *profile) *jobj {
	if b == nil {
		return nil
	}
	o := obj("amount_mib", b.amountMiB, "deflate_on_oom", b.deflateOnOOM,
		"stats_polling_interval_s", b.statsInterval)
	if p.hinting {
		o.set("free_page_hinting", b.hinting).set("free_page_reporting", b.reporting)
	}
	return o
}

// mmdsConfig is PUT /mmds/config.
type mmdsConfig struct {
	version    string
	ifaces     []string
	ipv4       string
	imdsCompat bool
}

func (m *mmdsConfig) json(p *profile) *jobj {
	if m == nil {
		return nil
	}
	o := obj("version", m.version, "network_interfaces", m.ifaces, "ipv4_address", m.ipv4)
	if p.version.atLeast(V1_14_2) {
		o.set("imds_compat", m.imdsCompat)
	}
	return o
}

// hotplugCfg is PUT /hotplug/memory (1.14+).
type hotplugCfg struct{ total, block, slot uint64 }

// resources is everything configured before boot.
type resources struct {
	boot     *bootSource
	machine  machineConfig
	drives   []*drive
	nets     []*netIface
	pmem     []*pmemDev
	vsock    *vsockDev
	balloon  *balloonCfg
	entropy  *rateLimiter
	hasRNG   bool
	mmdsCfg  *mmdsConfig
	hotplug  *hotplugCfg
	serialTo string
}

// vmConfigJSON renders GET /vm/config (and the snapshot's view of the devices).
func (r *resources) vmConfigJSON(p *profile) string {
	drives := make([]*jobj, len(r.drives))
	for i, d := range r.drives {
		drives[i] = d.json()
	}
	nets := make([]*jobj, len(r.nets))
	for i, n := range r.nets {
		nets[i] = n.json(p)
	}
	var vsock, entropy *jobj
	if r.vsock != nil {
		vsock = obj("guest_cid", r.vsock.cid, "uds_path", r.vsock.path)
	}
	if r.hasRNG {
		entropy = obj("rate_limiter", r.entropy.json())
	}
	o := obj("balloon", r.balloon.json(p), "drives", drives, "boot-source", r.boot.json(),
		"cpu-config", nil, "logger", nil, "machine-config", r.machine.json(p), "metrics", nil,
		"mmds-config", r.mmdsCfg.json(p), "network-interfaces", nets, "vsock", vsock,
		"entropy", entropy)
	if p.version.atLeast(V1_14_2) {
		pm := make([]*jobj, len(r.pmem))
		for i, d := range r.pmem {
			pm[i] = d.json(p)
		}
		var hp *jobj
		if r.hotplug != nil {
			hp = obj("total_size_mib", r.hotplug.total, "block_size_mib", r.hotplug.block,
				"slot_size_mib", r.hotplug.slot)
		}
		o.set("pmem", pm).set("memory-hotplug", hp)
	}
	return o.String()
}
