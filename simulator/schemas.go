package simulator

import (
	"net/netip"
	"strconv"
	"strings"
)

// bodySchemas returns the request body types of one version, keyed by a short name. The
// field lists and their order are those of Firecracker's Rust structs at that release.
func bodySchemas(v Version) map[string]*typ {
	rl := rateLimiterSchema()
	m := map[string]*typ{
		"actions": strict("ActionBody", req("action_type",
			enumOf("ActionType", "FlushMetrics", "InstanceStart", "SendCtrlAltDel"))),
		"boot_source": strict("BootSourceConfig", req("kernel_image_path", tString),
			opt("initrd_path", tString), opt("boot_args", tString)),
		"drive": driveSchema(rl),
		"drive_update": strict("BlockDeviceUpdateConfig", req("drive_id", tString),
			opt("path_on_host", tString), opt("rate_limiter", rl)),
		"net":        netSchema(v, rl),
		"net_update": netUpdateSchema(rl),
		"vsock": strict("VsockDeviceConfig", optDef("vsock_id", tString),
			req("guest_cid", tU32), req("uds_path", tString)),
		"balloon":        balloonSchema(v),
		"balloon_update": strict("BalloonUpdateConfig", req("amount_mib", tU32)),
		"balloon_stats": strict("BalloonUpdateStatsConfig",
			req("stats_polling_interval_s", tU16)),
		"logger": strict("LoggerConfig", opt("log_path", tPath), opt("level", levelType()),
			opt("show_level", tBool), opt("show_log_origin", tBool), opt("module", tString)),
		"metrics":               lenient("MetricsConfig", req("metrics_path", tPath)),
		"mmds_config":           mmdsConfigSchema(v),
		"entropy":               strict("EntropyDeviceConfig", opt("rate_limiter", rl)),
		"cpu_config":            cpuConfigSchema(),
		"machine_config":        machineConfigSchema(),
		"machine_config_update": machineConfigUpdateSchema(v),
		"snapshot_create": strict("CreateSnapshotParams",
			def("snapshot_type", enumOf("SnapshotType", "Diff", "Full")),
			req("snapshot_path", tPath), req("mem_file_path", tPath)),
		"snapshot_load": snapshotLoadSchema(v),
		"vm":            strict("Vm", req("state", enumOf("VmState", "Paused", "Resumed"))),
		"mmds":          tValue,
	}
	addNewerSchemas(v, m, rl)
	m["config_file"] = configFileSchema(v, m)
	return m
}

func addNewerSchemas(v Version, m map[string]*typ, rl *typ) {
	if !v.atLeast(V1_14_2) {
		return
	}
	pmem := []field{req("id", tString), req("path_on_host", tString),
		def("root_device", tBool), def("read_only", tBool)}
	serial := []field{opt("serial_out_path", tPath)}
	if v.atLeast(V1_16_1) {
		pmem = append(pmem, opt("rate_limiter", rl))
		serial = append(serial, opt("rate_limiter", tokenBucket()))
		m["pmem_update"] = strict("PmemDeviceUpdateConfig", req("id", tString),
			opt("rate_limiter", rl))
	}
	m["hinting_start"] = lenient("StartHintingCmd", def("acknowledge_on_stop", tBool))
	m["pmem"] = strict("PmemConfig", pmem...)
	m["serial"] = strict("SerialConfig", serial...)
	m["hotplug_memory"] = strict("MemoryHotplugConfig", req("total_size_mib", tUsize),
		def("block_size_mib", tUsize), def("slot_size_mib", tUsize))
	m["hotplug_memory_update"] = strict("MemoryHotplugSizeUpdate",
		req("requested_size_mib", tUsize))
}

func tokenBucket() *typ {
	return lenient("TokenBucketConfig", req("size", tU64), opt("one_time_burst", tU64),
		req("refill_time", tU64))
}

func rateLimiterSchema() *typ {
	tb := tokenBucket()
	return strict("RateLimiterConfig", opt("bandwidth", tb), opt("ops", tb))
}

func driveSchema(rl *typ) *typ {
	return strict("BlockDeviceConfig", req("drive_id", tString), opt("partuuid", tString),
		req("is_root_device", tBool),
		def("cache_type", enumOf("CacheType", "Unsafe", "Writeback")),
		opt("is_read_only", tBool), opt("path_on_host", tString), opt("rate_limiter", rl),
		opt("io_engine", enumOf("FileEngineType", "Async", "Sync")),
		opt("socket", tString))
}

func netSchema(v Version, rl *typ) *typ {
	fields := []field{req("iface_id", tString), req("host_dev_name", tString),
		opt("guest_mac", macType())}
	if v.atLeast(V1_16_1) {
		fields = append(fields, opt("mtu", tU16))
	}
	fields = append(fields, opt("rx_rate_limiter", rl), opt("tx_rate_limiter", rl))
	return strict("NetworkInterfaceConfig", fields...)
}

func netUpdateSchema(rl *typ) *typ {
	return strict("NetworkInterfaceUpdateConfig", req("iface_id", tString),
		opt("rx_rate_limiter", rl), opt("tx_rate_limiter", rl))
}

func balloonSchema(v Version) *typ {
	fields := []field{req("amount_mib", tU32), req("deflate_on_oom", tBool),
		def("stats_polling_interval_s", tU16)}
	if v.atLeast(V1_14_2) {
		fields = append(fields, def("free_page_hinting", tBool),
			def("free_page_reporting", tBool))
	}
	return strict("BalloonDeviceConfig", fields...)
}

func mmdsConfigSchema(v Version) *typ {
	fields := []field{def("version", enumOf("MmdsVersion", "V1", "V2")),
		req("network_interfaces", vecOf(tString)), opt("ipv4_address", ipv4Type())}
	if v.atLeast(V1_14_2) {
		fields = append(fields, def("imds_compat", tBool))
	}
	return strict("MmdsConfig", fields...)
}

func staticTemplate() *typ {
	return enumOf("StaticCpuTemplate", "C3", "T2", "T2S", "None", "T2CL", "T2A")
}

func hugePages() *typ { return enumOf("HugePageConfig", "None", "2M") }

func machineConfigSchema() *typ {
	return strict("MachineConfig", req("vcpu_count", tU8), req("mem_size_mib", tUsize),
		def("smt", tBool), optDef("cpu_template", staticTemplate()),
		def("track_dirty_pages", tBool), def("huge_pages", hugePages()))
}

func machineConfigUpdateSchema(v Version) *typ {
	// 1.7 left #[serde(default)] off two of the fields; it only matters for the sequence
	// form of the body.
	memSize, dirty := optDef("mem_size_mib", tUsize), optDef("track_dirty_pages", tBool)
	if !v.atLeast(V1_14_2) {
		memSize, dirty = opt("mem_size_mib", tUsize), opt("track_dirty_pages", tBool)
	}
	return strict("MachineConfigUpdate", optDef("vcpu_count", tU8), memSize,
		optDef("smt", tBool), optDef("cpu_template", staticTemplate()), dirty,
		optDef("huge_pages", hugePages()))
}

func snapshotLoadSchema(v Version) *typ {
	backend := strict("MemBackendConfig", req("backend_path", tPath),
		req("backend_type", enumOf("MemBackendType", "File", "Uffd")))
	fields := []field{req("snapshot_path", tPath), opt("mem_file_path", tPath),
		opt("mem_backend", backend), def("enable_diff_snapshots", tBool)}
	if v.atLeast(V1_14_2) {
		fields = append(fields, def("track_dirty_pages", tBool))
	}
	fields = append(fields, def("resume_vm", tBool))
	if v.atLeast(V1_14_2) {
		fields = append(fields, def("network_overrides", vecOf(lenient("NetworkOverride",
			req("iface_id", tString), req("host_dev_name", tString)))))
	}
	if v.atLeast(V1_16_1) {
		fields = append(fields,
			opt("vsock_override", lenient("VsockOverride", req("uds_path", tString))),
			def("clock_realtime", tBool))
	}
	return strict("LoadSnapshotConfig", fields...)
}

func cpuConfigSchema() *typ {
	num := &typ{kind: kCustomStr, name: "a string", check: checkTemplateNumber}
	register := &typ{kind: kCustomStr, name: "a string", check: checkCpuidRegister}
	regMod := lenient("CpuidRegisterModifier", req("register", register),
		req("bitmap", bitmapType(32)))
	leaf := lenient("CpuidLeafModifier", req("leaf", num), req("subleaf", num),
		req("flags", tU32), req("modifiers", vecOf(regMod)))
	msr := lenient("RegisterModifier", req("addr", num), req("bitmap", bitmapType(64)))
	kvmCap := &typ{kind: kCustomStr, name: "a string", check: checkKvmCapability}
	return strict("CustomCpuTemplate", def("kvm_capabilities", vecOf(kvmCap)),
		def("cpuid_modifiers", vecOf(leaf)), def("msr_modifiers", vecOf(msr)))
}

// configFileSchema is VmmConfig, the shape of --config-file. It ignores unknown sections.
func configFileSchema(v Version, m map[string]*typ) *typ {
	cpu := &typ{kind: kValue} // a path or an inline template (untagged enum)
	fields := []field{opt("balloon", m["balloon"]), req("drives", vecOf(m["drive"])),
		req("boot-source", m["boot_source"]), opt("cpu-config", cpu),
		opt("logger", m["logger"]), opt("machine-config", m["machine_config"]),
		opt("metrics", m["metrics"]), opt("mmds-config", m["mmds_config"]),
		def("network-interfaces", vecOf(m["net"])), opt("vsock", m["vsock"]),
		opt("entropy", m["entropy"])}
	if v.atLeast(V1_14_2) {
		fields = append(fields, def("pmem", vecOf(m["pmem"])),
			opt("memory-hotplug", m["hotplug_memory"]))
	}
	return lenient("VmmConfig", fields...)
}

func levelType() *typ {
	return &typ{kind: kCustomStr, name: "a string", check: func(s string) string {
		switch strings.ToLower(s) {
		case "off", "trace", "debug", "info", "warn", "warning", "error":
			return ""
		}
		return "Invalid LevelFilter"
	}}
}

func macType() *typ {
	return &typ{kind: kCustomStr, name: "a string", check: func(s string) string {
		if _, ok := parseMAC(s); !ok {
			return "The provided MAC address is invalid."
		}
		return ""
	}}
}

// parseMAC parses "aa:bb:cc:dd:ee:ff" as Firecracker's MacAddr::from_str does.
func parseMAC(s string) ([6]byte, bool) {
	var out [6]byte
	parts := strings.Split(s, ":")
	if len(parts) != 6 {
		return out, false
	}
	for i, p := range parts {
		n, err := rustParseUint(p, 16, 8)
		if len(p) != 2 || err != "" {
			return out, false
		}
		out[i] = byte(n)
	}
	return out, true
}

func ipv4Type() *typ {
	return &typ{kind: kVisitStr, name: "IPv4 address", check: func(s string) string {
		a, err := netip.ParseAddr(s)
		if err != nil || !a.Is4() || strings.Contains(s, ":") {
			return "invalid IPv4 address syntax"
		}
		return ""
	}}
}

// rustParseUint parses like Rust's from_str_radix and returns Rust's error kind.
func rustParseUint(s string, base, bits int) (uint64, string) {
	digits := strings.TrimPrefix(s, "+")
	switch {
	case s == "":
		return 0, "Empty"
	case digits == "":
		return 0, "InvalidDigit"
	}
	n, err := strconv.ParseUint(digits, base, bits)
	if err == nil {
		return n, ""
	}
	if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
		return 0, "PosOverflow"
	}
	return 0, "InvalidDigit"
}

func checkTemplateNumber(s string) string {
	var digits string
	var base int
	switch {
	case strings.HasPrefix(s, "0b"):
		digits, base = s[2:], 2
	case strings.HasPrefix(s, "0x"):
		digits, base = s[2:], 16
	default:
		return "No supported number system prefix found in value [" + s + "]. Make sure " +
			"to prefix the number with '0x' for hexadecimal numbers or '0b' for binary numbers."
	}
	if _, kind := rustParseUint(digits, base, 32); kind != "" {
		return "Failed to parse string [" + s + "] as a number for CPU template - " +
			"ParseIntError { kind: " + kind + " }"
	}
	return ""
}

// bitmapType is RegisterValueFilter: "0b" then up to bits of 0, 1, x and _ separators.
func bitmapType(bits int) *typ {
	return &typ{kind: kCustomStr, name: "a string", check: func(s string) string {
		n := 0
		digits := strings.TrimPrefix(s, "0b")
		for i := len(digits) - 1; i >= 0; i-- {
			c := digits[i]
			if n == bits {
				return "Failed to parse string [" + s + "] as a bitmap - string is too long"
			}
			switch c {
			case '_':
				continue
			case 'x', '0', '1':
			default:
				return "Failed to parse string [" + s + "] as a bitmap - unknown character: " +
					strconv.Itoa(int(c))
			}
			n++
		}
		return ""
	}}
}

func checkCpuidRegister(s string) string {
	switch s {
	case "eax", "ebx", "ecx", "edx":
		return ""
	}
	return "Invalid CPUID register. Must be one of [eax, ebx, ecx, edx]"
}

func checkKvmCapability(s string) string {
	_, kind := rustParseUint(strings.TrimPrefix(s, "!"), 10, 32)
	texts := map[string]string{
		"Empty":        "cannot parse integer from empty string",
		"InvalidDigit": "invalid digit found in string",
		"PosOverflow":  "number too large to fit in target type",
	}
	if kind == "" {
		return ""
	}
	return "Failed to parse string [" + s + "] as a kvm capability - can not convert to " +
		"numeric: " + texts[kind]
}
