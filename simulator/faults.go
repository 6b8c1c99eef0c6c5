package simulator

import (
	"errors"
	"fmt"
	"io/fs"
	"syscall"
)

// messages maps a message id to Firecracker's fault_message format for one version. The
// texts were captured from the real 1.7.0 and 1.14.2 binaries (curl on the API socket) and
// read from the 1.16.1 sources; %s/%d verbs stand where Firecracker prints a value.
type messages map[string]string

// msgCommon holds the texts shared by all three versions.
var msgCommon = messages{
	"serde":    "An error occurred when deserializing the json body of a request: %s.",
	"empty_id": "The ID cannot be empty.",
	"invalid_id": "API Resource IDs can only contain alphanumeric characters and " +
		"underscores.",
	"path_method":     "Invalid request method and/or path: %s %s.",
	"get_body":        "GET request cannot have a body.",
	"empty_put":       "Empty PUT request.",
	"empty_patch":     "Empty PATCH request.",
	"empty_delete":    "Empty Delete request.",
	"id_mismatch":     "The id from the path does not match the id from the body!",
	"net_id_mismatch": "The id from the path [%s] does not match the id from the body [%s]!",
	"unrecognized":    "Unrecognized %s request path `%s`.",
	"snap_no_op":      "Missing snapshot operation type.",
	"mem_missing":     "missing field: either `mem_backend` or `mem_file_path` is required",
	"mem_too_many": "too many fields: either `mem_backend` or `mem_file_path` exclusively " +
		"is required",
	"post_boot":   "The requested operation is not supported after starting the microVM.",
	"pre_boot":    "The requested operation is not supported before starting the microVM.",
	"no_kernel":   "Start microvm error: Cannot start microvm without kernel configuration.",
	"kernel_open": "Boot source error: The kernel file cannot be opened: %s",
	"initrd_open": "Boot source error: The initrd file cannot be opened due to invalid path " +
		"or invalid permissions. %s",
	"vcpu_count": "Machine config error: The number of vCPUs must be greater than 0, less " +
		"than 32 and must be 1 or an even number if SMT is enabled.",
	"mem_size": "Machine config error: The memory size (MiB) is either 0, or not a " +
		"multiple of the configured page size.",
	"mem_balloon": "Machine config error: The memory size (MiB) is smaller than the " +
		"previously set balloon device target size.",
	"root_exists": "Drive config error: A root block device already exists!",
	"mac_in_use":  "Network config error: The MAC address is already in use: %s",
	"tap_name": "Network config error: Could not create the network device: Open tap " +
		"device failed: Invalid interface name",
	"balloon_none": "Balloon config error: No balloon device found.",
	"balloon_big":  "Balloon config error: Amount of pages requested is too large.",
	"logger_open":  "Logger error: Failed to open target file: %s",
	"metrics_init": "Metrics error: Cannot initialize the metrics system due to bad user " +
		"input: %s",
	"metrics_reinit": "Reinitialization of metrics not allowed.",
	"mmds_empty": "MMMDS config error: The list of network interface IDs that allow " +
		"forwarding MMDS requests is empty.",
	"mmds_iface": "MMMDS config error: The list of network interface IDs provided contains " +
		"at least one ID that does not correspond to any existing network interface.",
	"mmds_ip":     "MMMDS config error: The MMDS IPv4 address is not link local.",
	"mmds_uninit": "MMDS error: The MMDS data store is not initialized.",
	"mmds_limit":  "MMDS limit exceeded error: The MMDS patch request doesn't fit.",
	"snap_running": "Create snapshot error: Cannot save the microVM state: Operation not " +
		"allowed: save/restore unavailable while running",
	"snap_open":     "Create snapshot error: Cannot perform open on the snapshot backing file: %s",
	"snap_mem_open": "Create snapshot error: Cannot perform open on the memory backing file: %s",
	"load_after_config": "Load snapshot error: Loading a microVM snapshot not allowed after " +
		"configuring boot-specific resources.",
	"load_open": "Load snapshot error: Failed to restore from snapshot: Failed to get " +
		"snapshot state from file: Failed to open snapshot file: %s",
	"load_version": "Load snapshot error: Failed to restore from snapshot: Failed to get " +
		"snapshot state from file: Failed to load snapshot state from file: Invalid data " +
		"version: %s",
	"load_mem": "Load snapshot error: Failed to restore from snapshot: Failed to load guest " +
		"memory: Error creating guest memory from file: Failed to load guest memory: %s",
	"injected": "Injected failure (simulator): %s %s",
	"tap_ifreq": "Network config error: Could not create the network device: Open tap " +
		"device failed: Error while creating ifreq structure: %s. Invalid TUN/TAP Backend " +
		"provided by %s. Check our documentation on setting up the network devices.",
	"load_unknown_net": "Load snapshot error: Failed to restore from snapshot: Failed to " +
		"get snapshot state from file: Unknown Network Device.",
	"load_unknown_vsock": "Load snapshot error: Failed to restore from snapshot: Failed " +
		"to get snapshot state from file: Unknown Vsock Device.",
	"load_uffd": "Load snapshot error: Failed to restore from snapshot: Failed to load " +
		"guest memory: Error creating guest memory from uffd: Failed to connect to UDS Unix " +
		"stream: %s",
}

// msgByVersion holds the texts that differ between versions.
var msgByVersion = map[Version]messages{
	V1_7_0: {
		"kernel_elf": "Start microvm error: Cannot load kernel due to invalid memory " +
			"configuration or invalid kernel image: Kernel Loader: failed to load ELF kernel " +
			"image%.0s",
		"vhost_connect": "Drive config error: Unable to create the virtio block device: " +
			"VhostUserBackend(VhostUser(Connect(%s)))",
		"drive_backend": "Drive config error: Unable to patch the block device: Device " +
			"manager error: Running method expected different backend. Please verify the " +
			"request arguments.",
		"drive_update_file": "Drive config error: Unable to patch the block device: Device " +
			"manager error: Virtio backend error: Error manipulating the backing file: %s %s " +
			"Please verify the request arguments.",
		"load_vsock": "Load snapshot error: Failed to restore from snapshot: Failed to build " +
			"microVM from snapshot: Failed to restore MMIO device: Cannot restore devices: " +
			"VsockUnixBackend: Error binding to the host-side Unix socket: %s",
		"block_config": "Drive config error: Unable to create the virtio block " +
			"device: InvalidBlockConfig",
		"block_file": "Drive config error: Unable to create the virtio block " +
			"device: VirtioBackend(BackingFile(%s, %q))",
		"vsock_bind": "Vsock config error: Cannot create backend for vsock device: " +
			"UnixBind(%s)",
		"drive_missing": "Drive config error: Unable to patch the block device: Device " +
			"manager error: Failed to find the device on the bus. Please verify the request " +
			"arguments.",
		"net_missing": "Network config error: Unable to update the net device: " +
			"Device manager error: Failed to find the device on the bus.",
		"balloon_absent": "Balloon config error: Error creating the balloon device: " +
			"DeviceNotFound",
		"balloon_update_absent": "Balloon config error: Error creating the balloon device: " +
			"DeviceNotFound",
		"balloon_inactive": "Balloon config error: Error creating the balloon device: " +
			"DeviceNotActive",
		"balloon_nostats": "Balloon config error: Error creating the balloon device: " +
			"StatisticsDisabled",
		"balloon_stats_change": "Balloon config error: Error creating the balloon device: " +
			"StatisticsStateChange",
		"balloon_too_big": "Balloon config error: Error creating the balloon device: " +
			"TooManyPagesRequested",
		"diff_snapshot": "The requested operation is not supported: Diff snapshots are not " +
			"allowed on uVMs with dirty page tracking disabled.",
		"load_garbage": "Load snapshot error: Failed to restore from snapshot: Failed to get " +
			"snapshot state from file: Failed to load snapshot state from file: CRC64 " +
			"validation failed: %s",
	},
	V1_14_2: msgModern(),
	V1_16_1: msgModern(),
}

// msgModern holds the 1.14/1.16 wordings (the 1.16.1 sources keep the 1.14.2 texts for
// every message the simulator produces).
func msgModern() messages {
	return messages{
		"kernel_elf": "Start microvm error: System configuration error: Cannot load kernel " +
			"due to invalid memory configuration or invalid kernel image: Kernel Loader: " +
			"failed to load ELF kernel image: Kernel Loader: %s",
		"vhost_connect": "Drive config error: Unable to create the virtio block device: " +
			"Vhost user backend error: Vhost-user error: Failed to connect to UDS Unix " +
			"stream: %s",
		"drive_backend": "Drive config error: Unable to patch the block device: Block: " +
			"Running method expected different backend. Please verify the request arguments.",
		"drive_update_file": "Drive config error: Unable to patch the block device: Block: " +
			"Virtio backend error: Error manipulating the backing file: %s %s Please verify " +
			"the request arguments.",
		"load_vsock": "Load snapshot error: Failed to restore from snapshot: Failed to build " +
			"microVM from snapshot: Failed to restore devices: Error restoring MMIO devices: " +
			"VsockUnixBackend: Error binding to the host-side Unix socket: %s",
		"pmem_block_root": "Pmem device error: Attempt to add pmem as a root device while " +
			"the root device defined as a block device",
		"pmem_missing": "Pmem config error: Unable to patch the pmem device: Failed perform " +
			"action on device: Device not found Please verify the request arguments.",
		"hotplug_inactive": "Memory hotplug update error: Failed to create memory hotplug " +
			"device: Device is not active",
		"block_config": "Drive config error: Unable to create the virtio block " +
			"device: Invalid block config.",
		"block_file": "Drive config error: Unable to create the virtio block " +
			"device: Virtio backend error: Error manipulating the backing file: %s %s",
		"vsock_bind": "Vsock config error: Cannot create backend for vsock device: " +
			"Error binding to the host-side Unix socket: %s",
		"drive_missing": "Drive config error: Unable to patch the block device: " +
			"Failed perform action on device: Device not found Please verify the request " +
			"arguments.",
		"net_missing": "Network config error: Unable to update the net device: " +
			"Failed perform action on device: Device not found",
		"balloon_absent": "Internal VMM error: Failed perform action on device: Device " +
			"not found",
		"balloon_update_absent": "Balloon update error: Failed perform action on device: " +
			"Device not found",
		"balloon_inactive": "Balloon update error: Balloon: Device not activated yet.",
		"balloon_nostats": "Internal VMM error: Balloon: Received stats query when " +
			"stats are disabled.",
		"balloon_stats_change": "Balloon update error: Balloon: Statistics cannot be " +
			"enabled/disabled after activation.",
		"balloon_too_big": "Balloon update error: Balloon: Requested memory should be " +
			"less than %dMiB",
		"hinting_off": "Balloon update error: Balloon: Attempting to use hinting " +
			"when not enabled",
		"hotplug_absent": "Internal VMM error: Failed perform action on device: Device " +
			"not found",
		"hotplug_update_absent": "Memory hotplug update error: Failed perform action on " +
			"device: Device not found",
		"hotplug_total_small": "Memory hotplug config error: Total size must not be lower " +
			"than slot size (%d MiB)",
		"hotplug_block_pow2": "Memory hotplug config error: Block size must be a power of 2",
		"hotplug_block_small": "Memory hotplug config error: Block size must not be lower " +
			"than %d MiB",
		"hotplug_slot_small": "Memory hotplug config error: Slot size must not be lower " +
			"than %d MiB",
		"hotplug_slot_multiple": "Memory hotplug config error: Slot size must be a multiple " +
			"of block size (%d MiB)",
		"hotplug_total_multiple": "Memory hotplug config error: Total size must be a multiple " +
			"of slot size (%d MiB)",
		"pmem_open": "Pmem device error: Unable to create the virtio-pmem device: " +
			"Error accessing backing file: %s",
		"pmem_empty": "Pmem device error: Unable to create the virtio-pmem device: " +
			"Error backing file size is 0",
		"pmem_root": "Pmem device error: A root pmem device already exist",
		"block_pmem_root": "Drive config error: Attempt to add block as a root device " +
			"while the root device defined as a pmem device",
		"pci_off": "PCI is not enabled",
		"load_garbage": "Load snapshot error: Failed to restore from snapshot: Failed to get " +
			"snapshot state from file: Failed to load snapshot state from file: An error " +
			"occured during bincode decoding: LimitExceeded%.0s",
	}
}

// messagesFor merges the common and the per-version texts.
func messagesFor(v Version) messages {
	out := messages{}
	for k, s := range msgCommon {
		out[k] = s
	}
	for k, s := range msgByVersion[v] {
		out[k] = s
	}
	if v == V1_16_1 {
		// 1.16 renamed two VmmActionError variants.
		out["pmem_open"] = "Pmem config error: Unable to create the virtio-pmem device: " +
			"Error accessing backing file: %s"
		out["pmem_empty"] = "Pmem config error: Unable to create the virtio-pmem device: " +
			"Error backing file size is 0"
		out["pmem_root"] = "Pmem config error: A root pmem device already exist"
		out["pmem_block_root"] = "Pmem config error: Attempt to add pmem as a root device " +
			"while the root device defined as a block device"
	}
	return out
}

// get formats message id; a missing id is a programming error and says so.
func (m messages) get(id string, args ...any) string {
	f, ok := m[id]
	if !ok {
		return "simulator: no message " + id
	}
	if len(args) == 0 {
		return f
	}
	return fmt.Sprintf(f, args...)
}

// muslErrors are musl's strerror texts (Firecracker is linked against musl), with the
// io::ErrorKind Rust derives from the errno.
var muslErrors = map[syscall.Errno][2]string{
	syscall.ENOENT:       {"No such file or directory", "NotFound"},
	syscall.EACCES:       {"Permission denied", "PermissionDenied"},
	syscall.EPERM:        {"Operation not permitted", "PermissionDenied"},
	syscall.EISDIR:       {"Is a directory", "IsADirectory"},
	syscall.ENOTDIR:      {"Not a directory", "NotADirectory"},
	syscall.EEXIST:       {"File exists", "AlreadyExists"},
	syscall.EADDRINUSE:   {"Address in use", "AddrInUse"},
	syscall.EINVAL:       {"Invalid argument", "InvalidInput"},
	syscall.ENAMETOOLONG: {"Filename too long", "InvalidFilename"},
	syscall.ELOOP:        {"Symbolic link loop", "FilesystemLoop"},
	syscall.EROFS:        {"Read-only file system", "ReadOnlyFilesystem"},
	syscall.ENOSPC:       {"No space left on device", "StorageFull"},
	syscall.ECONNREFUSED: {"Connection refused", "ConnectionRefused"},
}

func errnoOf(err error) syscall.Errno {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		if e, ok := pe.Err.(syscall.Errno); ok {
			return e
		}
	}
	return syscall.EIO
}

// osErr renders err as Rust's io::Error Display: "No such file or directory (os error 2)".
func osErr(err error) string {
	e := errnoOf(err)
	text := e.Error()
	if m, ok := muslErrors[e]; ok {
		text = m[0]
	}
	return fmt.Sprintf("%s (os error %d)", text, int(e))
}

// osErrDebug renders err as Rust's io::Error Debug, which 1.7 printed in some messages.
func osErrDebug(err error) string {
	e := errnoOf(err)
	text, kind := e.Error(), "Uncategorized"
	if m, ok := muslErrors[e]; ok {
		text, kind = m[0], m[1]
	}
	return fmt.Sprintf("Os { code: %d, kind: %s, message: %q }", int(e), kind, text)
}
