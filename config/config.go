// Package config describes a microVM in typed Go: boot source, machine, drives, network
// interfaces and the optional devices. A VM marshals to and from JSON with camelCase keys
// (the format of smartvm's TypeScript ancestor), Load also accepts Firecracker's own
// --config-file JSON, Validate reports every problem at once, and the Payload methods build
// the Firecracker request bodies for a given Firecracker version.
package config

// VM is the whole description of one microVM. The zero value is not valid: a VM needs at
// least a kernel and a machine size.
type VM struct {
	// ID names the VM: [A-Za-z0-9-], at most 64 characters. Empty means the manager
	// assigns a UUID.
	ID string `json:"id,omitempty"`
	// BootSource is the kernel, initrd and kernel command line.
	BootSource BootSource `json:"bootSource"`
	// MachineConfig is the vCPU count, memory and CPU options.
	MachineConfig MachineConfig `json:"machineConfig"`
	// Drives are block devices, in the order they are attached.
	Drives []Drive `json:"drives,omitempty"`
	// NetworkInterfaces are virtio-net devices. An interface without HostDevName gets a
	// TAP device created by smartvm's network manager.
	NetworkInterfaces []NetworkInterface `json:"networkInterfaces,omitempty"`
	// Vsock is the optional virtio-vsock device.
	Vsock *Vsock `json:"vsock,omitempty"`
	// Balloon is the optional memory balloon device. It can only be added before boot.
	Balloon *Balloon `json:"balloon,omitempty"`
	// MMDS configures the microVM metadata service and its initial contents.
	MMDS *MMDS `json:"mmds,omitempty"`
	// Logger configures Firecracker's own log. When nil, smartvm gives Firecracker a log
	// file in the VM's directory so that its lines never mix with the guest console.
	Logger *Logger `json:"logger,omitempty"`
	// Metrics configures Firecracker's metrics output.
	Metrics *Metrics `json:"metrics,omitempty"`
	// Entropy adds a virtio-rng device.
	Entropy *Entropy `json:"entropy,omitempty"`
	// NoNetworkBootArgs stops smartvm from appending ip= boot arguments for interfaces
	// whose TAP it creates.
	NoNetworkBootArgs bool `json:"noNetworkBootArgs,omitempty"`
}

// BootSource is the kernel to boot.
type BootSource struct {
	// KernelImagePath is the absolute path of an uncompressed kernel (ELF vmlinux).
	KernelImagePath string `json:"kernelImagePath"`
	// BootArgs is the kernel command line; Firecracker supplies its default when empty.
	BootArgs string `json:"bootArgs,omitempty"`
	// InitrdPath is the absolute path of an optional initrd.
	InitrdPath string `json:"initrdPath,omitempty"`
}

// MachineConfig sizes the VM.
type MachineConfig struct {
	// VcpuCount is 1 to 32. With Smt, it must be 1 or even.
	VcpuCount int `json:"vcpuCount"`
	// MemSizeMib is the guest memory in MiB; it must be positive.
	MemSizeMib int `json:"memSizeMib"`
	// Smt enables simultaneous multithreading (x86_64 only).
	Smt bool `json:"smt,omitempty"`
	// CPUTemplate is a static CPU template name (C3, T2, T2S, T2CL, T2A, V1N1, None).
	CPUTemplate string `json:"cpuTemplate,omitempty"`
	// TrackDirtyPages enables dirty page tracking, which Diff snapshots need.
	TrackDirtyPages bool `json:"trackDirtyPages,omitempty"`
	// HugePages is "None" or "2M".
	HugePages string `json:"hugePages,omitempty"`
}

// Drive is a block device backed by a host file.
type Drive struct {
	// DriveID names the drive; unique within the VM.
	DriveID string `json:"driveId"`
	// PathOnHost is the absolute path of the backing file.
	PathOnHost string `json:"pathOnHost"`
	// IsRootDevice makes this the root device; at most one drive may be.
	IsRootDevice bool `json:"isRootDevice,omitempty"`
	// IsReadOnly attaches the drive read-only.
	IsReadOnly bool `json:"isReadOnly,omitempty"`
	// Partuuid selects the root partition by its PARTUUID instead of /dev/vda.
	Partuuid string `json:"partuuid,omitempty"`
	// CacheType is "Unsafe" (default) or "Writeback".
	CacheType string `json:"cacheType,omitempty"`
	// IoEngine is "Sync" (default) or "Async".
	IoEngine string `json:"ioEngine,omitempty"`
	// RateLimiter limits the drive's bandwidth and operations.
	RateLimiter *RateLimiter `json:"rateLimiter,omitempty"`
}

// RateLimiter holds two token buckets. A nil bucket is unlimited.
type RateLimiter struct {
	Bandwidth *TokenBucket `json:"bandwidth,omitempty"`
	Ops       *TokenBucket `json:"ops,omitempty"`
}

// TokenBucket refills Size tokens every RefillTime milliseconds. Size 0 disables it.
type TokenBucket struct {
	Size         int64 `json:"size"`
	RefillTime   int64 `json:"refillTime"`
	OneTimeBurst int64 `json:"oneTimeBurst,omitempty"`
}

// NetworkInterface is a virtio-net device.
type NetworkInterface struct {
	// IfaceID names the interface; unique within the VM.
	IfaceID string `json:"ifaceId"`
	// HostDevName is an existing TAP device. Empty means smartvm creates one on its
	// bridge, with an address, a MAC and NAT.
	HostDevName string `json:"hostDevName,omitempty"`
	// GuestMAC is the guest's MAC address (aa:bb:cc:dd:ee:ff). Empty means smartvm picks a
	// deterministic one for auto TAPs, or Firecracker a random one.
	GuestMAC string `json:"guestMac,omitempty"`
	// RxRateLimiter limits traffic towards the guest.
	RxRateLimiter *RateLimiter `json:"rxRateLimiter,omitempty"`
	// TxRateLimiter limits traffic from the guest.
	TxRateLimiter *RateLimiter `json:"txRateLimiter,omitempty"`
	// MTU sets the device MTU (Firecracker 1.16 and later).
	MTU int `json:"mtu,omitempty"`
}

// Vsock is a virtio-vsock device.
type Vsock struct {
	// GuestCID is the guest's context id; 3 or more.
	GuestCID uint32 `json:"guestCid"`
	// UdsPath is the host Unix socket. Empty means <dataDir>/vms/<id>/vsock.sock.
	UdsPath string `json:"udsPath,omitempty"`
}

// Balloon is a virtio-balloon device.
type Balloon struct {
	// AmountMib is the initial balloon size.
	AmountMib int `json:"amountMib"`
	// DeflateOnOom lets the guest deflate the balloon when it runs out of memory.
	DeflateOnOom bool `json:"deflateOnOom"`
	// StatsPollingIntervalS enables statistics every so many seconds; 0 disables them,
	// and they cannot be switched on or off after boot.
	StatsPollingIntervalS int `json:"statsPollingIntervalS,omitempty"`
	// FreePageHinting enables free page hinting (Firecracker 1.14 and later).
	FreePageHinting bool `json:"freePageHinting,omitempty"`
	// FreePageReporting enables free page reporting (Firecracker 1.14 and later).
	FreePageReporting bool `json:"freePageReporting,omitempty"`
}

// MMDS configures the metadata service.
type MMDS struct {
	// Version is "V1" or "V2"; empty leaves Firecracker's default.
	Version string `json:"version,omitempty"`
	// NetworkInterfaces are the interface ids that may reach MMDS. Empty means all of them.
	NetworkInterfaces []string `json:"networkInterfaces,omitempty"`
	// IPv4Address is the MMDS address; Firecracker defaults to 169.254.169.254.
	IPv4Address string `json:"ipv4Address,omitempty"`
	// ImdsCompat makes MMDS answer IMDS-style (Firecracker 1.14 and later).
	ImdsCompat bool `json:"imdsCompat,omitempty"`
	// Metadata is the initial content, put before boot. Its values are never logged.
	Metadata map[string]any `json:"metadata,omitempty"`
}

// Logger configures Firecracker's log.
type Logger struct {
	LogPath       string `json:"logPath"`
	Level         string `json:"level,omitempty"`
	ShowLevel     bool   `json:"showLevel,omitempty"`
	ShowLogOrigin bool   `json:"showLogOrigin,omitempty"`
	Module        string `json:"module,omitempty"`
}

// Metrics configures Firecracker's metrics file or FIFO.
type Metrics struct {
	MetricsPath string `json:"metricsPath"`
}

// Entropy is a virtio-rng device.
type Entropy struct {
	RateLimiter *RateLimiter `json:"rateLimiter,omitempty"`
}
