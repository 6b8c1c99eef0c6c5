package api

import (
	"fmt"
	"strconv"
	"strings"
)

// Version is a Firecracker release number.
type Version struct {
	Major, Minor, Patch int
}

// ParseVersion reads "1.14.2", "v1.14.2" or "Firecracker v1.14.2" (the first line of
// `firecracker --version`). A suffix such as "-dev" is ignored.
func ParseVersion(s string) (Version, error) {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = strings.TrimSpace(s[:i]) // also drops the '\r' of a CRLF line end
	}
	s = strings.TrimPrefix(strings.TrimSpace(strings.TrimPrefix(s, "Firecracker")), "v")
	if i := strings.IndexAny(s, "-+ "); i >= 0 {
		s = s[:i]
	}
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return Version{}, fmt.Errorf("parse version %q: want MAJOR.MINOR.PATCH", s)
	}
	var n [3]int
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 {
			return Version{}, fmt.Errorf("parse version %q: bad number %q", s, p)
		}
		n[i] = v
	}
	return Version{n[0], n[1], n[2]}, nil
}

// String formats v as "1.14.2".
func (v Version) String() string {
	return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch)
}

// IsZero reports whether v is unknown.
func (v Version) IsZero() bool { return v == Version{} }

// AtLeast reports whether v is major.minor or newer.
func (v Version) AtLeast(major, minor int) bool {
	if v.Major != major {
		return v.Major > major
	}
	return v.Minor >= minor
}

// OldestSupported is the oldest Firecracker release smartvm is tested with. Older ones
// may work for the calls they share but are not supported.
var OldestSupported = Version{1, 7, 0}

// Feature names an API capability that only some Firecracker versions have.
type Feature string

// The version-dependent features smartvm knows about. Each was read off the published API
// specs of 1.7.0, 1.14.2 and 1.16.1; a feature whose minimum is 1.14 may have appeared in a
// release between 1.8 and 1.14, which smartvm does not distinguish.
const (
	FeatureNetworkOverrides  Feature = "snapshot/load network_overrides"
	FeatureVsockOverride     Feature = "snapshot/load vsock_override"
	FeatureClockRealtime     Feature = "snapshot/load clock_realtime"
	FeatureLoadTrackDirty    Feature = "snapshot/load track_dirty_pages"
	FeatureBalloonHinting    Feature = "balloon free page hinting"
	FeatureBalloonReporting  Feature = "balloon free page reporting"
	FeatureMmdsImdsCompat    Feature = "mmds-config imds_compat"
	FeatureNetworkMTU        Feature = "network-interfaces mtu"
	FeaturePmem              Feature = "pmem devices"
	FeatureSerialConfig      Feature = "serial device config"
	FeatureMemoryHotplug     Feature = "memory hotplug"
	FeaturePmemRateLimiter   Feature = "pmem rate limiter"
	FeatureSerialRateLimiter Feature = "serial rate limiter"
)

var featureMinimum = map[Feature]Version{
	FeatureNetworkOverrides:  {1, 14, 0},
	FeatureVsockOverride:     {1, 16, 0},
	FeatureClockRealtime:     {1, 16, 0},
	FeatureLoadTrackDirty:    {1, 14, 0},
	FeatureBalloonHinting:    {1, 14, 0},
	FeatureBalloonReporting:  {1, 14, 0},
	FeatureMmdsImdsCompat:    {1, 14, 0},
	FeatureNetworkMTU:        {1, 16, 0},
	FeaturePmem:              {1, 14, 0},
	FeatureSerialConfig:      {1, 14, 0},
	FeatureMemoryHotplug:     {1, 14, 0},
	FeaturePmemRateLimiter:   {1, 16, 0},
	FeatureSerialRateLimiter: {1, 16, 0},
}

// MinimumVersion returns the first version known to have f.
func MinimumVersion(f Feature) Version { return featureMinimum[f] }

// Supports reports whether v has feature f. An unknown (zero) version supports only what
// every version has.
func (v Version) Supports(f Feature) bool {
	min, ok := featureMinimum[f]
	if !ok {
		return true
	}
	return v.AtLeast(min.Major, min.Minor)
}

// Features lists every version-dependent feature.
func Features() []Feature {
	out := make([]Feature, 0, len(featureMinimum))
	for f := range featureMinimum {
		out = append(out, f)
	}
	return out
}
