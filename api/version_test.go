package api

import (
	"slices"
	"testing"
)

func TestParseVersion(t *testing.T) {
	tests := []struct {
		in   string
		want Version
	}{
		{"1.14.2", Version{1, 14, 2}},
		{"v1.7.0", Version{1, 7, 0}},
		{"Firecracker v1.14.2\n", Version{1, 14, 2}},
		{"Firecracker v1.14.2\n\nsecond line", Version{1, 14, 2}},
		{"Firecracker v1.14.2\r\nsecond line", Version{1, 14, 2}},
		{"  Firecracker  v1.16.0  ", Version{1, 16, 0}},
		{"1.16.1-dev", Version{1, 16, 1}},
		{"\n1.2.3\r\nmore", Version{1, 2, 3}},
		{"v1.10.0+build.5", Version{1, 10, 0}},
		{"Firecracker v1.5.1 (x86_64)", Version{1, 5, 1}},
		{"0.0.0", Version{}},
		{"10.200.3000", Version{10, 200, 3000}},
	}
	for _, tt := range tests {
		got, err := ParseVersion(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseVersion(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestParseVersionBad(t *testing.T) {
	for _, in := range []string{
		"", "v", "Firecracker", "1", "1.2", "1.2.3.4", "a.b.c", "1.x.3", "1..3", "1.2.",
		"-1.2.3", "1.-2.3", "v 1.2.3x", "1.2.3x", " .1.2", "99999999999999999999.1.1",
		"firecracker v1.2.3", "1,2,3",
	} {
		if v, err := ParseVersion(in); err == nil {
			t.Errorf("ParseVersion(%q) = %v, want an error", in, v)
		}
	}
}

func FuzzParseVersion(f *testing.F) {
	for _, s := range []string{"1.14.2", "v1.7.0", "Firecracker v1.14.2\n", "1.16.1-dev",
		"", "1.2", "Firecracker  v1.2.3 x", "1.+2.3", "+1.2.3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseVersion(s)
		if err != nil {
			if !v.IsZero() {
				t.Errorf("ParseVersion(%q) failed but returned %v", s, v)
			}
			return
		}
		if v.Major < 0 || v.Minor < 0 || v.Patch < 0 {
			t.Errorf("ParseVersion(%q) = %+v, negative part", s, v)
		}
		again, err := ParseVersion(v.String())
		if err != nil || again != v {
			t.Errorf("ParseVersion(%q) = %v, but its String reparses as %v, %v", s, v, again, err)
		}
		if again, err := ParseVersion("Firecracker v" + v.String() + "\n"); err != nil ||
			again != v {
			t.Errorf("--version form of %v reparses as %v, %v", v, again, err)
		}
	})
}

func TestVersionString(t *testing.T) {
	if s := (Version{1, 14, 2}).String(); s != "1.14.2" {
		t.Errorf("String = %q", s)
	}
	if !(Version{}).IsZero() || (Version{0, 0, 1}).IsZero() {
		t.Error("IsZero wrong")
	}
}

func TestAtLeast(t *testing.T) {
	tests := []struct {
		v            Version
		major, minor int
		want         bool
	}{
		{Version{1, 14, 2}, 1, 14, true},
		{Version{1, 14, 0}, 1, 14, true},
		{Version{1, 13, 9}, 1, 14, false},
		{Version{1, 16, 1}, 1, 14, true},
		{Version{2, 0, 0}, 1, 99, true},
		{Version{0, 99, 0}, 1, 0, false},
		{Version{1, 7, 0}, 1, 16, false},
		{Version{}, 0, 0, true},
		{Version{}, 1, 0, false},
	}
	for _, tt := range tests {
		if got := tt.v.AtLeast(tt.major, tt.minor); got != tt.want {
			t.Errorf("%v.AtLeast(%d, %d) = %v, want %v", tt.v, tt.major, tt.minor, got, tt.want)
		}
	}
}

func TestSupports(t *testing.T) {
	v17, v114, v1141, v1161 := Version{1, 7, 0}, Version{1, 14, 2}, Version{1, 14, 1},
		Version{1, 16, 1}
	tests := []struct {
		v    Version
		f    Feature
		want bool
	}{
		{v17, FeatureNetworkMTU, false},
		{v114, FeatureNetworkMTU, false},
		{v1161, FeatureNetworkMTU, true},
		{v17, FeatureBalloonHinting, false},
		{v1141, FeatureBalloonHinting, true},
		{v114, FeatureBalloonReporting, true},
		{v17, FeatureMmdsImdsCompat, false},
		{v114, FeatureMmdsImdsCompat, true},
		{v114, FeatureVsockOverride, false},
		{v1161, FeatureVsockOverride, true},
		{v1161, FeatureClockRealtime, true},
		{v17, FeatureNetworkOverrides, false},
		{v114, FeatureNetworkOverrides, true},
		{v114, FeaturePmem, true},
		{v114, FeaturePmemRateLimiter, false},
		{v1161, FeatureSerialRateLimiter, true},
		{Version{1, 15, 0}, FeatureMemoryHotplug, true},
		{Version{2, 0, 0}, FeatureNetworkMTU, true},
		{v17, Feature("no such feature"), true},
	}
	for _, tt := range tests {
		if got := tt.v.Supports(tt.f); got != tt.want {
			t.Errorf("%v.Supports(%q) = %v, want %v", tt.v, tt.f, got, tt.want)
		}
	}
}

func TestFeatures(t *testing.T) {
	fs := Features()
	want := []Feature{FeatureNetworkOverrides, FeatureVsockOverride, FeatureClockRealtime,
		FeatureLoadTrackDirty, FeatureBalloonHinting, FeatureBalloonReporting,
		FeatureMmdsImdsCompat, FeatureNetworkMTU, FeaturePmem, FeatureSerialConfig,
		FeatureMemoryHotplug, FeaturePmemRateLimiter, FeatureSerialRateLimiter}
	slices.Sort(fs)
	slices.Sort(want)
	if !slices.Equal(fs, want) {
		t.Errorf("Features() = %v, want %v", fs, want)
	}
	for _, f := range fs {
		min := MinimumVersion(f)
		if min.IsZero() {
			t.Errorf("%q has no minimum version", f)
		}
		// Every feature is absent from the oldest supported release and from an unknown
		// version, and present from its minimum on.
		if (Version{}).Supports(f) || (Version{1, 7, 0}).Supports(f) {
			t.Errorf("%q supported by 1.7.0 or an unknown version", f)
		}
		if !min.Supports(f) {
			t.Errorf("%q not supported by its own minimum %v", f, min)
		}
	}
	if !MinimumVersion("no such feature").IsZero() {
		t.Error("MinimumVersion of an unknown feature is not zero")
	}
}
