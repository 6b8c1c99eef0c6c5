package simulator

import (
	"fmt"
	"strings"
)

// Version is a Firecracker release the simulator can answer as.
type Version string

// The supported versions.
const (
	V1_7_0  Version = "1.7.0"
	V1_14_2 Version = "1.14.2"
	V1_16_1 Version = "1.16.1"
)

// DefaultVersion is the version answered when none is chosen.
const DefaultVersion = V1_16_1

// Versions lists the supported versions, oldest first.
func Versions() []Version { return []Version{V1_7_0, V1_14_2, V1_16_1} }

// ParseVersion accepts "1.16.1" or "v1.16.1".
func ParseVersion(s string) (Version, error) {
	v := Version(strings.TrimPrefix(strings.TrimSpace(s), "v"))
	for _, known := range Versions() {
		if v == known {
			return v, nil
		}
	}
	return "", fmt.Errorf("unsupported simulator version %q (want one of %v)", s, Versions())
}

// profile holds everything that differs between versions: which endpoints and fields
// exist and how errors are worded. Each field was read off the real binary (1.7.0, 1.14.2)
// or the release's source (1.16.1).
type profile struct {
	version Version
	// snapshotVersion is the snapshot data format version ("--snapshot-version").
	snapshotVersion string
	// bytewiseHex: the serde_json of 1.7 reads \u escapes one byte at a time.
	bytewiseHex bool
	// hinting, pmem, serial, hotplugMemory: endpoints added in 1.14.
	hinting, pmem, serial, hotplugMemory bool
	// patchPmem and deleteDevices: endpoints added in 1.16.
	patchPmem, deleteDevices bool
	// createsLogFiles: PUT /logger, PUT /metrics and --log-path create missing files
	// (1.14+); 1.7 opens them without O_CREAT.
	createsLogFiles bool
	// mmdsNeedsConfig: after boot, MMDS requests fail unless MMDS was configured on an
	// interface (1.16).
	mmdsNeedsConfig bool
	// hotplugPostBoot: PUT /drives, /pmem and /network-interfaces after boot try a PCI
	// hotplug (1.16) instead of being refused as pre-boot only.
	hotplugPostBoot bool
	// enablePCIFlag: the --enable-pci flag exists (1.14+).
	enablePCIFlag bool
	// statsPatchPanics: PATCH /balloon/statistics on a device that never activated makes
	// 1.7.0 panic (unwrap on None) and abort.
	statsPatchPanics bool
	// showCustomTemplate: 1.7 shows a custom CPU template as "cpu_template":"None".
	showCustomTemplate bool
	bodies             map[string]*typ
	msgs               messages
}

var profiles = map[Version]*profile{
	V1_7_0: {
		version: V1_7_0, snapshotVersion: "1.0.0", bytewiseHex: true,
		statsPatchPanics: true, showCustomTemplate: true,
	},
	V1_14_2: {
		version: V1_14_2, snapshotVersion: "8.0.0",
		hinting: true, pmem: true, serial: true, hotplugMemory: true,
		createsLogFiles: true, enablePCIFlag: true,
	},
	V1_16_1: {
		version: V1_16_1, snapshotVersion: "10.0.0",
		hinting: true, pmem: true, serial: true, hotplugMemory: true,
		patchPmem: true, deleteDevices: true, createsLogFiles: true,
		mmdsNeedsConfig: true, hotplugPostBoot: true, enablePCIFlag: true,
	},
}

func init() {
	for v, p := range profiles {
		p.bodies = bodySchemas(v)
		p.msgs = messagesFor(v)
	}
}

func profileFor(v Version) *profile {
	if p, ok := profiles[v]; ok {
		return p
	}
	return profiles[DefaultVersion]
}

// atLeast reports whether v is the same as or newer than o.
func (v Version) atLeast(o Version) bool {
	order := map[Version]int{V1_7_0: 0, V1_14_2: 1, V1_16_1: 2}
	return order[v] >= order[o]
}
