package smartvm_test

import (
	"context"
	"encoding/json"
	"errors"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"code.foss.global/push.rocks/smartvm"
	"code.foss.global/push.rocks/smartvm/api"
	"code.foss.global/push.rocks/smartvm/config"
	"code.foss.global/push.rocks/smartvm/errdefs"
	"code.foss.global/push.rocks/smartvm/internal/fctest"
	"code.foss.global/push.rocks/smartvm/internal/proc"
	"code.foss.global/push.rocks/smartvm/internal/spec"
)

// specVersions are the versions whose API specs the payload tests check against.
var specVersions = []string{"1.7.0", "1.14.2", "1.16.1"}

// TestLoadPayloadPerVersion builds /snapshot/load bodies for each spec version and checks
// that each validates against that version's spec, carries exactly one memory field, uses
// the dirty-tracking field of its version, and that fields a version lacks are refused
// rather than sent.
func TestLoadPayloadPerVersion(t *testing.T) {
	all := smartvm.SnapshotLoadOptions{SnapshotPath: "/s/vm.snap", Resume: true,
		TrackDirtyPages: true, NetworkOverrides: map[string]string{"eth1": "tap9", "eth0": "tap8"},
		VsockOverride: "/s/v.sock", ClockRealtime: true}
	for _, vs := range specVersions {
		v, _ := api.ParseVersion(vs)
		sp := spec.LoadForTest(t, vs)
		for _, o := range optionSubsets(all) {
			body, err := smartvm.LoadPayloadForTest(v, o, "/s/vm.mem", o.TrackDirtyPages)
			if !supports(v, o) {
				if smartvm.ErrorCode(err) != smartvm.CodeUnsupportedVersion {
					t.Errorf("%s %+v: err = %v, want UNSUPPORTED_VERSION", vs, o, err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s %+v: %v", vs, o, err)
			}
			data, _ := json.Marshal(body)
			if err := sp.ValidateRequest("PUT", "/snapshot/load", data); err != nil {
				t.Errorf("%s: %s breaks the spec: %v", vs, data, err)
			}
			checkLoadBody(t, vs, v, o, string(data))
		}
	}
}

func checkLoadBody(t *testing.T, vs string, v api.Version, o smartvm.SnapshotLoadOptions,
	body string) {
	t.Helper()
	if strings.Contains(body, "mem_file_path") || !strings.Contains(body, `"mem_backend"`) {
		t.Errorf("%s: %s: want mem_backend only", vs, body)
	}
	newTrack := v.AtLeast(1, 14)
	if o.TrackDirtyPages && (strings.Contains(body, "track_dirty_pages") != newTrack ||
		strings.Contains(body, "enable_diff_snapshots") == newTrack) {
		t.Errorf("%s: %s: wrong dirty tracking field", vs, body)
	}
	if len(o.NetworkOverrides) > 0 && !strings.Contains(body,
		`"network_overrides":[{"iface_id":"eth0","host_dev_name":"tap8"},`+
			`{"iface_id":"eth1","host_dev_name":"tap9"}]`) {
		t.Errorf("%s: %s: overrides missing or unordered", vs, body)
	}
}

// optionSubsets returns all with each combination of its version-dependent fields.
func optionSubsets(all smartvm.SnapshotLoadOptions) []smartvm.SnapshotLoadOptions {
	var out []smartvm.SnapshotLoadOptions
	for mask := range 16 {
		o := smartvm.SnapshotLoadOptions{SnapshotPath: all.SnapshotPath, Resume: all.Resume}
		if mask&1 != 0 {
			o.TrackDirtyPages = true
		}
		if mask&2 != 0 {
			o.NetworkOverrides = all.NetworkOverrides
		}
		if mask&4 != 0 {
			o.VsockOverride = all.VsockOverride
		}
		if mask&8 != 0 {
			o.ClockRealtime = true
		}
		out = append(out, o)
	}
	return out
}

func supports(v api.Version, o smartvm.SnapshotLoadOptions) bool {
	return (len(o.NetworkOverrides) == 0 || v.Supports(api.FeatureNetworkOverrides)) &&
		(o.VsockOverride == "" || v.Supports(api.FeatureVsockOverride)) &&
		(!o.ClockRealtime || v.Supports(api.FeatureClockRealtime))
}

// TestFeatureTableMatchesSpecs checks api's feature table against the three specs: each
// feature's field or endpoint exists in exactly the versions the table says.
func TestFeatureTableMatchesSpecs(t *testing.T) {
	prop := func(def, field string) func(*spec.Spec) bool {
		return func(sp *spec.Spec) bool { return slices.Contains(sp.Properties(def), field) }
	}
	path := func(method, p string) func(*spec.Spec) bool {
		return func(sp *spec.Spec) bool { return sp.HasPath(method, p) }
	}
	checks := map[api.Feature]func(*spec.Spec) bool{
		api.FeatureNetworkOverrides:  prop("SnapshotLoadParams", "network_overrides"),
		api.FeatureVsockOverride:     prop("SnapshotLoadParams", "vsock_override"),
		api.FeatureClockRealtime:     prop("SnapshotLoadParams", "clock_realtime"),
		api.FeatureLoadTrackDirty:    prop("SnapshotLoadParams", "track_dirty_pages"),
		api.FeatureBalloonHinting:    path("PATCH", "/balloon/hinting/start"),
		api.FeatureBalloonReporting:  prop("Balloon", "free_page_reporting"),
		api.FeatureMmdsImdsCompat:    prop("MmdsConfig", "imds_compat"),
		api.FeatureNetworkMTU:        prop("NetworkInterface", "mtu"),
		api.FeaturePmem:              path("PUT", "/pmem/{id}"),
		api.FeatureSerialConfig:      path("PUT", "/serial"),
		api.FeatureMemoryHotplug:     path("PUT", "/hotplug/memory"),
		api.FeaturePmemRateLimiter:   prop("Pmem", "rate_limiter"),
		api.FeatureSerialRateLimiter: prop("SerialDevice", "rate_limiter"),
	}
	for _, f := range api.Features() {
		if checks[f] == nil {
			t.Errorf("feature %q has no spec check", f)
		}
	}
	for _, vs := range specVersions {
		v, _ := api.ParseVersion(vs)
		sp := spec.LoadForTest(t, vs)
		for f, has := range checks {
			if got := has(sp); got != v.Supports(f) {
				t.Errorf("%s: spec has %q = %v, feature table says %v", vs, f, got,
					v.Supports(f))
			}
		}
	}
}

// TestCPUTemplatesPerVersion checks that the CPU template names config accepts are exactly
// those of every supported version's spec (they did not change between 1.7 and 1.16).
func TestCPUTemplatesPerVersion(t *testing.T) {
	for _, vs := range specVersions {
		sp := spec.LoadForTest(t, vs)
		want := sp.Enum("CpuTemplate", "")
		if got := config.CPUTemplates; !slices.Equal(got, want) {
			t.Errorf("%s: config.CPUTemplates = %v, spec says %v", vs, got, want)
		}
	}
}

// TestMergeLimiter checks Firecracker's PATCH merge: an omitted bucket keeps its value, a
// zero bucket removes it.
func TestMergeLimiter(t *testing.T) {
	bw := &config.TokenBucket{Size: 1000, RefillTime: 100}
	ops := &config.TokenBucket{Size: 5, RefillTime: 10}
	ops2 := &config.TokenBucket{Size: 7, RefillTime: 20, OneTimeBurst: 3}
	zero := &config.TokenBucket{}
	for _, c := range []struct {
		name          string
		cur, upd, out *config.RateLimiter
	}{
		{"nil update", &config.RateLimiter{Ops: ops}, nil, &config.RateLimiter{Ops: ops}},
		{"add bucket", &config.RateLimiter{Ops: ops}, &config.RateLimiter{Bandwidth: bw},
			&config.RateLimiter{Bandwidth: bw, Ops: ops}},
		{"replace bucket", &config.RateLimiter{Bandwidth: bw, Ops: ops},
			&config.RateLimiter{Ops: ops2}, &config.RateLimiter{Bandwidth: bw, Ops: ops2}},
		{"zero removes", &config.RateLimiter{Bandwidth: bw, Ops: ops},
			&config.RateLimiter{Ops: zero}, &config.RateLimiter{Bandwidth: bw}},
		{"all removed", &config.RateLimiter{Ops: ops}, &config.RateLimiter{Ops: zero}, nil},
		{"from none", nil, &config.RateLimiter{Ops: ops}, &config.RateLimiter{Ops: ops}},
	} {
		got := smartvm.MergeLimiterForTest(c.cur, c.upd)
		a, _ := json.Marshal(got)
		b, _ := json.Marshal(c.out)
		if string(a) != string(b) {
			t.Errorf("%s: merge = %s, want %s", c.name, a, b)
		}
	}
}

// TestBalloonErrorMapping checks that Firecracker's fault messages of 1.7 and 1.14 for an
// inactive device and for disabled statistics map to their documented codes.
func TestBalloonErrorMapping(t *testing.T) {
	for fault, want := range map[string]smartvm.Code{
		"Balloon config error: Error creating the balloon device: DeviceNotActive": smartvm.
			CodeBalloonInactive,
		"Balloon update error: Balloon: Device not activated yet.": smartvm.CodeBalloonInactive,
		"Balloon config error: Error creating the balloon device: StatisticsDisabled": smartvm.
			CodeBalloonStatsDisabled,
		"Internal VMM error: Balloon: Received stats query when stats are disabled.": smartvm.
			CodeBalloonStatsDisabled,
		"Balloon config error: Error creating the balloon device: StatisticsStateChange": smartvm.
			CodeAPIError,
	} {
		inner := errdefs.New(errdefs.APIError, "PATCH /balloon: %s", fault).
			WithDetail("fault_message", fault)
		inner.StatusCode = 400
		err := smartvm.BalloonErrorForTest(errdefs.Wrap(inner, errdefs.APIError, "op"))
		var e *smartvm.Error
		if !errors.As(err, &e) || e.Code != want {
			t.Errorf("%q → %v, want %s", fault, err, want)
		} else if want != smartvm.CodeAPIError && (e.StatusCode != 400 ||
			e.Details["fault_message"] != fault) {
			t.Errorf("%q → %v, want %s with status and fault", fault, err, want)
		}
	}
}

// TestOldVersionsRejectNewFields sends 1.16-only fields straight to every older target,
// bypassing smartvm: each must be refused with 400, which is why smartvm never sends them
// to those versions (TestLoadSnapshotRefusals, TestLoadPayloadPerVersion).
func TestOldVersionsRejectNewFields(t *testing.T) {
	for _, target := range fctest.Targets(t) {
		if target.Version.AtLeast(1, 16) {
			continue
		}
		t.Run(target.Name, func(t *testing.T) {
			t.Parallel()
			c := spawnBare(t, target)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			for path, body := range map[string]string{
				"/snapshot/load": `{"snapshot_path":"/x","mem_backend":{"backend_type":"File",` +
					`"backend_path":"/y"},"vsock_override":{"uds_path":"/z"}}`,
				"/network-interfaces/eth0": `{"iface_id":"eth0","host_dev_name":"tap0",` +
					`"mtu":1500}`,
			} {
				err := c.Do(ctx, "PUT", path, []byte(body), nil, 0)
				var e *smartvm.Error
				if !errors.As(err, &e) || e.StatusCode != 400 {
					t.Errorf("PUT %s with a 1.16 field = %v, want HTTP 400", path, err)
				}
			}
		})
	}
}

// spawnBare runs target with only an API socket and returns a client for it.
func spawnBare(t *testing.T, target fctest.Target) *api.Client {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "api.sock")
	args := append(append([]string(nil), target.Args...), "--api-sock", sock)
	cmd := exec.Command(target.Binary, args...)
	if err := proc.Start(cmd); err != nil { // dies with the test process
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	if err := api.WaitSocket(context.Background(), sock, 10*time.Second, nil); err != nil {
		t.Fatal(err)
	}
	return api.NewClient(sock)
}
