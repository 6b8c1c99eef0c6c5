package api

import "encoding/json"

// The types below mirror the request and response bodies of Firecracker's API (spec v1.16.1;
// fields that older versions lack are noted). JSON names match the spec exactly. Optional
// scalars are pointers so that an unset field is omitted rather than sent as a zero value.

// BootSource is the body of PUT /boot-source.
type BootSource struct {
	KernelImagePath string `json:"kernel_image_path"`
	BootArgs        string `json:"boot_args,omitempty"`
	InitrdPath      string `json:"initrd_path,omitempty"`
}

// MachineConfiguration is the body of PUT /machine-config and GET /machine-config.
type MachineConfiguration struct {
	VcpuCount       int    `json:"vcpu_count"`
	MemSizeMib      int    `json:"mem_size_mib"`
	Smt             *bool  `json:"smt,omitempty"`
	CPUTemplate     string `json:"cpu_template,omitempty"`
	TrackDirtyPages *bool  `json:"track_dirty_pages,omitempty"`
	// HugePages is "None" or "2M" (v1.7.0 and later).
	HugePages string `json:"huge_pages,omitempty"`
}

// TokenBucket is one bucket of a RateLimiter. Size 0 disables the bucket.
type TokenBucket struct {
	Size         int64  `json:"size"`
	RefillTime   int64  `json:"refill_time"`
	OneTimeBurst *int64 `json:"one_time_burst,omitempty"`
}

// RateLimiter limits bandwidth (bytes) and operations. A nil bucket is omitted; on PATCH an
// omitted bucket keeps its current value.
type RateLimiter struct {
	Bandwidth *TokenBucket `json:"bandwidth,omitempty"`
	Ops       *TokenBucket `json:"ops,omitempty"`
}

// Drive is the body of PUT /drives/{drive_id}.
type Drive struct {
	DriveID      string       `json:"drive_id"`
	IsRootDevice bool         `json:"is_root_device"`
	PathOnHost   string       `json:"path_on_host,omitempty"`
	IsReadOnly   *bool        `json:"is_read_only,omitempty"`
	Partuuid     string       `json:"partuuid,omitempty"`
	CacheType    string       `json:"cache_type,omitempty"`
	IoEngine     string       `json:"io_engine,omitempty"`
	RateLimiter  *RateLimiter `json:"rate_limiter,omitempty"`
	// Socket is the backend socket of a vhost-user drive.
	Socket string `json:"socket,omitempty"`
}

// PartialDrive is the body of PATCH /drives/{drive_id}.
type PartialDrive struct {
	DriveID     string       `json:"drive_id"`
	PathOnHost  string       `json:"path_on_host,omitempty"`
	RateLimiter *RateLimiter `json:"rate_limiter,omitempty"`
}

// NetworkInterface is the body of PUT /network-interfaces/{iface_id}.
type NetworkInterface struct {
	IfaceID       string       `json:"iface_id"`
	HostDevName   string       `json:"host_dev_name"`
	GuestMAC      string       `json:"guest_mac,omitempty"`
	RxRateLimiter *RateLimiter `json:"rx_rate_limiter,omitempty"`
	TxRateLimiter *RateLimiter `json:"tx_rate_limiter,omitempty"`
	// MTU is only in v1.16 and later.
	MTU *int `json:"mtu,omitempty"`
}

// PartialNetworkInterface is the body of PATCH /network-interfaces/{iface_id}.
type PartialNetworkInterface struct {
	IfaceID       string       `json:"iface_id"`
	RxRateLimiter *RateLimiter `json:"rx_rate_limiter,omitempty"`
	TxRateLimiter *RateLimiter `json:"tx_rate_limiter,omitempty"`
}

// Vsock is the body of PUT /vsock.
type Vsock struct {
	GuestCID uint32 `json:"guest_cid"`
	UdsPath  string `json:"uds_path"`
	// VsockID is deprecated since v1.4 and never sent by smartvm.
	VsockID string `json:"vsock_id,omitempty"`
}

// Balloon is the body of PUT /balloon and GET /balloon. The free page fields are v1.14+.
type Balloon struct {
	AmountMib             int   `json:"amount_mib"`
	DeflateOnOom          bool  `json:"deflate_on_oom"`
	StatsPollingIntervalS *int  `json:"stats_polling_interval_s,omitempty"`
	FreePageHinting       *bool `json:"free_page_hinting,omitempty"`
	FreePageReporting     *bool `json:"free_page_reporting,omitempty"`
}

// BalloonUpdate is the body of PATCH /balloon.
type BalloonUpdate struct {
	AmountMib int `json:"amount_mib"`
}

// BalloonStatsUpdate is the body of PATCH /balloon/statistics.
type BalloonStatsUpdate struct {
	StatsPollingIntervalS int `json:"stats_polling_interval_s"`
}

// BalloonStats is the answer of GET /balloon/statistics. Optional counters are nil when
// the guest did not report them.
type BalloonStats struct {
	TargetPages        int    `json:"target_pages"`
	ActualPages        int    `json:"actual_pages"`
	TargetMib          int    `json:"target_mib"`
	ActualMib          int    `json:"actual_mib"`
	SwapIn             *int64 `json:"swap_in,omitempty"`
	SwapOut            *int64 `json:"swap_out,omitempty"`
	MajorFaults        *int64 `json:"major_faults,omitempty"`
	MinorFaults        *int64 `json:"minor_faults,omitempty"`
	FreeMemory         *int64 `json:"free_memory,omitempty"`
	TotalMemory        *int64 `json:"total_memory,omitempty"`
	AvailableMemory    *int64 `json:"available_memory,omitempty"`
	DiskCaches         *int64 `json:"disk_caches,omitempty"`
	HugetlbAllocations *int64 `json:"hugetlb_allocations,omitempty"`
	HugetlbFailures    *int64 `json:"hugetlb_failures,omitempty"`
	OomKill            *int64 `json:"oom_kill,omitempty"`
	AllocStall         *int64 `json:"alloc_stall,omitempty"`
	AsyncScan          *int64 `json:"async_scan,omitempty"`
	DirectScan         *int64 `json:"direct_scan,omitempty"`
	AsyncReclaim       *int64 `json:"async_reclaim,omitempty"`
	DirectReclaim      *int64 `json:"direct_reclaim,omitempty"`
}

// BalloonStartCmd is the body of PATCH /balloon/hinting/start (v1.14 and later).
type BalloonStartCmd struct {
	AcknowledgeOnStop *bool `json:"acknowledge_on_stop,omitempty"`
}

// BalloonHintingStatus is the answer of GET /balloon/hinting/status (v1.14 and later).
type BalloonHintingStatus struct {
	HostCmd  int  `json:"host_cmd"`
	GuestCmd *int `json:"guest_cmd,omitempty"`
}

// Logger is the body of PUT /logger.
type Logger struct {
	LogPath       string `json:"log_path,omitempty"`
	Level         string `json:"level,omitempty"`
	ShowLevel     *bool  `json:"show_level,omitempty"`
	ShowLogOrigin *bool  `json:"show_log_origin,omitempty"`
	Module        string `json:"module,omitempty"`
}

// Metrics is the body of PUT /metrics.
type Metrics struct {
	MetricsPath string `json:"metrics_path"`
}

// MmdsConfig is the body of PUT /mmds/config.
type MmdsConfig struct {
	Version           string   `json:"version,omitempty"`
	NetworkInterfaces []string `json:"network_interfaces"`
	IPv4Address       string   `json:"ipv4_address,omitempty"`
	// ImdsCompat is only in v1.14 and later.
	ImdsCompat *bool `json:"imds_compat,omitempty"`
}

// EntropyDevice is the body of PUT /entropy.
type EntropyDevice struct {
	RateLimiter *RateLimiter `json:"rate_limiter,omitempty"`
}

// InstanceActionInfo is the body of PUT /actions.
type InstanceActionInfo struct {
	ActionType string `json:"action_type"`
}

// The action types of PUT /actions.
const (
	ActionInstanceStart  = "InstanceStart"
	ActionSendCtrlAltDel = "SendCtrlAltDel"
	ActionFlushMetrics   = "FlushMetrics"
)

// VM is the body of PATCH /vm.
type VM struct {
	State string `json:"state"`
}

// The states of PATCH /vm.
const (
	VMStatePaused  = "Paused"
	VMStateResumed = "Resumed"
)

// SnapshotCreateParams is the body of PUT /snapshot/create.
type SnapshotCreateParams struct {
	SnapshotType string `json:"snapshot_type,omitempty"`
	SnapshotPath string `json:"snapshot_path"`
	MemFilePath  string `json:"mem_file_path"`
}

// MemoryBackend says where /snapshot/load finds guest memory.
type MemoryBackend struct {
	BackendType string `json:"backend_type"`
	BackendPath string `json:"backend_path"`
}

// NetworkOverride renames a TAP on snapshot load (v1.14 and later).
type NetworkOverride struct {
	IfaceID     string `json:"iface_id"`
	HostDevName string `json:"host_dev_name"`
}

// VsockOverride moves the vsock socket on snapshot load (v1.16 and later).
type VsockOverride struct {
	UdsPath string `json:"uds_path"`
}

// SnapshotLoadParams is the body of PUT /snapshot/load. Exactly one of MemBackend and the
// deprecated MemFilePath must be set. TrackDirtyPages and NetworkOverrides are v1.14+;
// VsockOverride and ClockRealtime are v1.16+.
type SnapshotLoadParams struct {
	SnapshotPath        string            `json:"snapshot_path"`
	MemBackend          *MemoryBackend    `json:"mem_backend,omitempty"`
	MemFilePath         string            `json:"mem_file_path,omitempty"`
	EnableDiffSnapshots *bool             `json:"enable_diff_snapshots,omitempty"`
	TrackDirtyPages     *bool             `json:"track_dirty_pages,omitempty"`
	ResumeVM            *bool             `json:"resume_vm,omitempty"`
	NetworkOverrides    []NetworkOverride `json:"network_overrides,omitempty"`
	VsockOverride       *VsockOverride    `json:"vsock_override,omitempty"`
	ClockRealtime       *bool             `json:"clock_realtime,omitempty"`
}

// InstanceInfo is the answer of GET /.
type InstanceInfo struct {
	AppName    string `json:"app_name"`
	ID         string `json:"id"`
	State      string `json:"state"`
	VmmVersion string `json:"vmm_version"`
}

// FirecrackerVersion is the answer of GET /version.
type FirecrackerVersion struct {
	FirecrackerVersion string `json:"firecracker_version"`
}

// FaultResponse is the body of every error answer.
type FaultResponse struct {
	FaultMessage string `json:"fault_message"`
}

// FullVMConfiguration is the answer of GET /vm/config and the shape of Firecracker's
// --config-file.
type FullVMConfiguration struct {
	BootSource    *BootSource           `json:"boot-source,omitempty"`
	MachineConfig *MachineConfiguration `json:"machine-config,omitempty"`
	// Drives is always sent: Firecracker 1.7 refuses a config file without it.
	Drives            []Drive            `json:"drives"`
	NetworkInterfaces []NetworkInterface `json:"network-interfaces,omitempty"`
	Balloon           *Balloon           `json:"balloon,omitempty"`
	Vsock             *Vsock             `json:"vsock,omitempty"`
	Logger            *Logger            `json:"logger,omitempty"`
	Metrics           *Metrics           `json:"metrics,omitempty"`
	MmdsConfig        *MmdsConfig        `json:"mmds-config,omitempty"`
	Entropy           *EntropyDevice     `json:"entropy,omitempty"`
}

// Pmem is the body of PUT /pmem/{id} (v1.14 and later; RateLimiter v1.16 and later).
type Pmem struct {
	ID          string       `json:"id"`
	PathOnHost  string       `json:"path_on_host"`
	RootDevice  *bool        `json:"root_device,omitempty"`
	ReadOnly    *bool        `json:"read_only,omitempty"`
	RateLimiter *RateLimiter `json:"rate_limiter,omitempty"`
}

// PartialPmem is the body of PATCH /pmem/{id} (v1.16 and later).
type PartialPmem struct {
	ID          string       `json:"id"`
	RateLimiter *RateLimiter `json:"rate_limiter,omitempty"`
}

// SerialDevice is the body of PUT /serial (v1.14 and later; RateLimiter v1.16 and later).
type SerialDevice struct {
	SerialOutPath string       `json:"serial_out_path,omitempty"`
	RateLimiter   *TokenBucket `json:"rate_limiter,omitempty"`
}

// MemoryHotplugConfig is the body of PUT /hotplug/memory (v1.14 and later).
type MemoryHotplugConfig struct {
	TotalSizeMib *int `json:"total_size_mib,omitempty"`
	SlotSizeMib  *int `json:"slot_size_mib,omitempty"`
	BlockSizeMib *int `json:"block_size_mib,omitempty"`
}

// MemoryHotplugSizeUpdate is the body of PATCH /hotplug/memory (v1.14 and later).
type MemoryHotplugSizeUpdate struct {
	RequestedSizeMib *int `json:"requested_size_mib,omitempty"`
}

// MemoryHotplugStatus is the answer of GET /hotplug/memory (v1.14 and later).
type MemoryHotplugStatus struct {
	TotalSizeMib     int `json:"total_size_mib"`
	SlotSizeMib      int `json:"slot_size_mib"`
	BlockSizeMib     int `json:"block_size_mib"`
	PluggedSizeMib   int `json:"plugged_size_mib"`
	RequestedSizeMib int `json:"requested_size_mib"`
}

// CPUConfig is the body of PUT /cpu-config, a custom CPU template. Its modifiers are kept
// as raw JSON because their shape is architecture specific and changed between versions.
type CPUConfig struct {
	KvmCapabilities []string          `json:"kvm_capabilities,omitempty"`
	CpuidModifiers  []json.RawMessage `json:"cpuid_modifiers,omitempty"`
	MsrModifiers    []json.RawMessage `json:"msr_modifiers,omitempty"`
	RegModifiers    []json.RawMessage `json:"reg_modifiers,omitempty"`
	VcpuFeatures    []json.RawMessage `json:"vcpu_features,omitempty"`
}
