package spec

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
)

// envRequire makes missing specifications fail the tests instead of
// skipping them; CI sets it.
const envRequire = EnvRequire

// allVersions are the specification files the tests expect.
var allVersions = []string{"1.7.0", "1.14.2", "1.16.1"}

func TestMain(m *testing.M) {
	if _, err := Dir(); err != nil {
		// Make the skip visible even without -v.
		fmt.Fprintf(os.Stderr, "internal/spec: SKIPPING tests that need the Firecracker API "+
			"specs: %v\n", err)
	}
	os.Exit(m.Run())
}

// loadSpec returns the specification for version v, skipping the test
// when the specifications are not available (failing if SMARTVM_REQUIRE_SPECS
// is set).
func loadSpec(t testing.TB, v string) *Spec {
	t.Helper()
	if _, err := Dir(); err != nil {
		if os.Getenv(envRequire) != "" {
			t.Fatalf("%s is set but the specs are missing: %v", envRequire, err)
		}
		t.Skipf("Firecracker API specs not available, skipping: %v", err)
	}
	s, err := Load(v)
	if err != nil {
		t.Fatalf("Load(%s): %v", v, err)
	}
	if s.Version() != v {
		t.Fatalf("Load(%s).Version() = %s", v, s.Version())
	}
	return s
}

// problems lists the *Error values inside err.
func problems(err error) []*Error {
	var e *Error
	if errors.As(err, &e) && err == error(e) {
		return []*Error{e}
	}
	var out []*Error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, inner := range j.Unwrap() {
			out = append(out, problems(inner)...)
		}
	}
	return out
}

// atLeast reports whether version v is at least min.
func atLeast(t *testing.T, v, min string) bool {
	t.Helper()
	a, err1 := parseVersion(v)
	b, err2 := parseVersion(min)
	if err1 != nil || err2 != nil {
		t.Fatalf("bad version %q or %q", v, min)
	}
	return a.compare(b) >= 0
}

const (
	bucket  = `{"size":1048576,"one_time_burst":0,"refill_time":1000}`
	limiter = `{"bandwidth":` + bucket + `,"ops":{"size":100,"refill_time":1000}}`
)

// validRequests hold bodies Firecracker accepts, with the first version
// whose specification defines them.
var validRequests = []struct {
	since, method, path, body string
}{
	{"1.7.0", "GET", "/", ""},
	{"1.7.0", "GET", "/version", ""},
	{"1.7.0", "GET", "/vm/config", ""},
	{"1.7.0", "PUT", "/boot-source",
		`{"kernel_image_path":"/img/vmlinux","boot_args":"console=ttyS0 reboot=k","initrd_path":"/i"}`},
	{"1.7.0", "PUT", "/machine-config",
		`{"vcpu_count":2,"mem_size_mib":256,"smt":false,"track_dirty_pages":true,"huge_pages":"None"}`},
	{"1.7.0", "PATCH", "/machine-config", `{"vcpu_count":1,"mem_size_mib":18446744073709551615}`},
	{"1.7.0", "PATCH", "/machine-config", `{"track_dirty_pages":true}`},
	{"1.7.0", "PUT", "/drives/rootfs", `{"drive_id":"rootfs","path_on_host":"/img/rootfs.ext4",` +
		`"is_root_device":true,"is_read_only":false,"cache_type":"Unsafe","io_engine":"Sync",` +
		`"rate_limiter":` + limiter + `}`},
	{"1.7.0", "PATCH", "/drives/data_1", `{"drive_id":"data_1","path_on_host":"/img/other.ext4"}`},
	{"1.7.0", "PUT", "/network-interfaces/eth0", `{"iface_id":"eth0","host_dev_name":"tap0",` +
		`"guest_mac":"02:FC:00:00:00:01","rx_rate_limiter":` + limiter + `}`},
	{"1.7.0", "PATCH", "/network-interfaces/eth0",
		`{"iface_id":"eth0","tx_rate_limiter":{"bandwidth":` + bucket + `}}`},
	{"1.7.0", "PUT", "/vsock", `{"guest_cid":3,"uds_path":"/tmp/v.sock"}`},
	{"1.7.0", "PUT", "/balloon",
		`{"amount_mib":64,"deflate_on_oom":true,"stats_polling_interval_s":1}`},
	{"1.7.0", "PUT", "/logger", `{"log_path":"/tmp/fc.log","level":"Debug","show_level":true}`},
	// "Off" needs the YAML 1.1 repair in fixBoolEnum.
	{"1.7.0", "PUT", "/logger", `{"log_path":"/tmp/fc.log","level":"Off"}`},
	{"1.7.0", "PUT", "/metrics", `{"metrics_path":"/tmp/metrics"}`},
	{"1.7.0", "PUT", "/mmds/config",
		`{"version":"V2","network_interfaces":["eth0"],"ipv4_address":"169.254.169.254"}`},
	{"1.7.0", "PUT", "/entropy", `{"rate_limiter":` + limiter + `}`},
	{"1.7.0", "PUT", "/actions", `{"action_type":"InstanceStart"}`},
	{"1.7.0", "PATCH", "/vm", `{"state":"Paused"}`},
	{"1.7.0", "PUT", "/snapshot/create",
		`{"snapshot_type":"Diff","snapshot_path":"/s/state","mem_file_path":"/s/mem"}`},
	{"1.7.0", "PUT", "/snapshot/load",
		`{"snapshot_path":"/s/state","mem_file_path":"/s/mem","enable_diff_snapshots":true}`},
	{"1.7.0", "PUT", "/snapshot/load", `{"snapshot_path":"/s/state","resume_vm":true,` +
		`"mem_backend":{"backend_type":"File","backend_path":"/s/mem"}}`},
	{"1.14.2", "PUT", "/snapshot/load", `{"snapshot_path":"/s/state","track_dirty_pages":true,` +
		`"mem_backend":{"backend_type":"Uffd","backend_path":"/s/uffd.sock"},` +
		`"network_overrides":[{"iface_id":"eth0","host_dev_name":"tap7"}]}`},
	{"1.14.2", "PUT", "/serial", `{"serial_out_path":"/tmp/serial.log"}`},
	{"1.14.2", "PUT", "/hotplug/memory",
		`{"total_size_mib":1024,"slot_size_mib":128,"block_size_mib":2}`},
	{"1.14.2", "PATCH", "/hotplug/memory", `{"requested_size_mib":512}`},
	{"1.14.2", "PUT", "/pmem/pmem0", `{"id":"pmem0","path_on_host":"/img/p","read_only":true}`},
	{"1.14.2", "PATCH", "/balloon/hinting/start", ``},
	{"1.14.2", "PATCH", "/balloon/hinting/start", `{"acknowledge_on_stop":true}`},
	{"1.14.2", "PUT", "/mmds/config", `{"network_interfaces":["eth0"],"imds_compat":true}`},
	// The 1.7.0 CpuConfig schema is self-contradictory and is checked as a
	// free-form object, so this body passes there too.
	{"1.7.0", "PUT", "/cpu-config", `{"kvm_capabilities":["!121"],"cpuid_modifiers":[{"leaf":"0x1",` +
		`"subleaf":"0x0","flags":4294967295,"modifiers":[{"register":"eax","bitmap":"0bxx1"}]}]}`},
	{"1.16.1", "PUT", "/network-interfaces/eth0",
		`{"iface_id":"eth0","host_dev_name":"tap0","mtu":9000}`},
	{"1.16.1", "PUT", "/pmem/pmem0",
		`{"id":"pmem0","path_on_host":"/p","rate_limiter":` + limiter + `}`},
	{"1.16.1", "PATCH", "/pmem/pmem0", `{"id":"pmem0","rate_limiter":` + limiter + `}`},
	{"1.16.1", "PUT", "/serial", `{"serial_out_path":"/s","rate_limiter":` + bucket + `}`},
	{"1.16.1", "PUT", "/snapshot/load", `{"snapshot_path":"/s","mem_file_path":"/m",` +
		`"clock_realtime":true,"vsock_override":{"uds_path":"/tmp/new.sock"}}`},
}

func TestValidRequestsPass(t *testing.T) {
	for _, v := range allVersions {
		s := loadSpec(t, v)
		for _, c := range validRequests {
			if !atLeast(t, v, c.since) {
				continue
			}
			if err := s.ValidateRequest(c.method, c.path, []byte(c.body)); err != nil {
				t.Errorf("%s: %s %s %s: unexpected error:\n%v", v, c.method, c.path, c.body, err)
			}
		}
	}
}

// TestNewerRequestsFailOnOlderSpecs shows the version gates bite: every
// request introduced after 1.7.0 is rejected by the 1.7.0 specification,
// and every 1.16.1 request by the 1.14.2 one.
func TestNewerRequestsFailOnOlderSpecs(t *testing.T) {
	for _, v := range allVersions {
		s := loadSpec(t, v)
		for _, c := range validRequests {
			if atLeast(t, v, c.since) {
				continue
			}
			if err := s.ValidateRequest(c.method, c.path, []byte(c.body)); err == nil {
				t.Errorf("%s: %s %s %s (since %s) passed, want an error", v, c.method, c.path,
					c.body, c.since)
			}
		}
	}
}

func TestMMDSIsFreeForm(t *testing.T) {
	bodies := []string{
		`{}`,
		`{"latest":{"meta-data":{"ami-id":"ami-1","tags":["a",1,-2.5,null,true]}}}`,
		`{"anything":{"nested":{"deeper":{"x":1e300}}}}`,
	}
	for _, v := range allVersions {
		s := loadSpec(t, v)
		for _, method := range []string{"PUT", "PATCH"} {
			for _, b := range bodies {
				if err := s.ValidateRequest(method, "/mmds", []byte(b)); err != nil {
					t.Errorf("%s: %s /mmds %s: %v", v, method, b, err)
				}
			}
			// The contents must still be a JSON object.
			if err := s.ValidateRequest(method, "/mmds", []byte(`[1,2]`)); err == nil {
				t.Errorf("%s: %s /mmds with an array passed", v, method)
			}
		}
	}
}

func TestConcurrentUse(t *testing.T) {
	loadSpec(t, "1.14.2")
	done := make(chan error)
	for i := range 8 {
		go func() {
			s, err := Load(allVersions[i%len(allVersions)])
			if err == nil {
				err = s.ValidateRequest("PUT", "/boot-source", []byte(`{"kernel_image_path":"/k"}`))
			}
			if err == nil && s.ValidateRequest("PUT", "/boot-source", []byte(`{}`)) == nil {
				err = errors.New("missing kernel_image_path passed")
			}
			done <- err
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

func TestLoadMapsRunningVersions(t *testing.T) {
	s := loadSpec(t, "1.14.2")
	for _, running := range []string{"1.14.1", "v1.14.0", "1.15.3"} {
		got, err := Load(running)
		if err != nil {
			t.Fatalf("Load(%s): %v", running, err)
		}
		if got != s {
			t.Errorf("Load(%s) chose %s, want the cached 1.14.2 spec", running, got.Version())
		}
	}
	if got := strings.Join(Versions(), " "); got != strings.Join(allVersions, " ") {
		t.Errorf("Versions() = %s, want %v", got, allVersions)
	}
	if _, err := Load("1.0.0"); err == nil {
		t.Error("Load(1.0.0) succeeded; no spec is that old")
	}
}
