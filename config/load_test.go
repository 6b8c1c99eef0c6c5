package config

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"code.foss.global/push.rocks/smartvm/api"
	"code.foss.global/push.rocks/smartvm/errdefs"
)

func TestLoadCamelCaseRoundTrip(t *testing.T) {
	f := newFiles(t)
	for name, vm := range map[string]*VM{"minimal": minimalVM(f), "full": fullVM(f)} {
		data, err := json.Marshal(vm)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Load(data)
		if err != nil {
			t.Fatalf("%s: Load = %v\n%s", name, err, data)
		}
		if !reflect.DeepEqual(got, vm) {
			t.Errorf("%s: round trip changed the VM\n got %+v\nwant %+v", name, got, vm)
		}
	}
}

func TestLoadCamelCaseDocument(t *testing.T) {
	doc := `{
	  "id": "web-1",
	  "bootSource": {"kernelImagePath": "/k/vmlinux", "bootArgs": "console=ttyS0"},
	  "machineConfig": {"vcpuCount": 2, "memSizeMib": 512, "smt": true},
	  "drives": [{"driveId": "rootfs", "pathOnHost": "/r.ext4", "isRootDevice": true,
	              "rateLimiter": {"ops": {"size": 10, "refillTime": 100, "oneTimeBurst": 3}}}],
	  "networkInterfaces": [{"ifaceId": "eth0", "guestMac": "02:00:00:00:00:01", "mtu": 9000}],
	  "vsock": {"guestCid": 7},
	  "balloon": {"amountMib": 10, "deflateOnOom": false, "freePageReporting": true},
	  "mmds": {"version": "V1", "metadata": {"k": "v"}},
	  "logger": {"logPath": "/l", "level": "Info"},
	  "metrics": {"metricsPath": "/m"},
	  "entropy": {},
	  "noNetworkBootArgs": true
	}`
	got, err := Load([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	want := &VM{
		ID:            "web-1",
		BootSource:    BootSource{KernelImagePath: "/k/vmlinux", BootArgs: "console=ttyS0"},
		MachineConfig: MachineConfig{VcpuCount: 2, MemSizeMib: 512, Smt: true},
		Drives: []Drive{{DriveID: "rootfs", PathOnHost: "/r.ext4", IsRootDevice: true,
			RateLimiter: &RateLimiter{Ops: &TokenBucket{Size: 10, RefillTime: 100,
				OneTimeBurst: 3}}}},
		NetworkInterfaces: []NetworkInterface{{IfaceID: "eth0",
			GuestMAC: "02:00:00:00:00:01", MTU: 9000}},
		Vsock:             &Vsock{GuestCID: 7},
		Balloon:           &Balloon{AmountMib: 10, FreePageReporting: true},
		MMDS:              &MMDS{Version: "V1", Metadata: map[string]any{"k": "v"}},
		Logger:            &Logger{LogPath: "/l", Level: "Info"},
		Metrics:           &Metrics{MetricsPath: "/m"},
		Entropy:           &Entropy{},
		NoNetworkBootArgs: true,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Load\n got %+v\nwant %+v", got, want)
	}
}

// firecrackerDoc is a --config-file document using every section smartvm understands.
const firecrackerDoc = `{
  "boot-source": {"kernel_image_path": "/img/vmlinux", "boot_args": "console=ttyS0 quiet",
                  "initrd_path": "/img/initrd"},
  "machine-config": {"vcpu_count": 4, "mem_size_mib": 1024, "smt": false,
                     "cpu_template": "C3", "track_dirty_pages": true, "huge_pages": "2M"},
  "drives": [
    {"drive_id": "rootfs", "path_on_host": "/img/root.ext4", "is_root_device": true,
     "is_read_only": false, "partuuid": "1234-01", "cache_type": "Unsafe", "io_engine": "Sync",
     "rate_limiter": {"bandwidth": {"size": 1048576, "one_time_burst": 2048, "refill_time": 1000},
                      "ops": {"size": 500, "refill_time": 100}}},
    {"drive_id": "scratch", "path_on_host": "/img/scratch.img", "is_root_device": false,
     "is_read_only": true}
  ],
  "network-interfaces": [
    {"iface_id": "eth0", "host_dev_name": "tap7", "guest_mac": "06:00:ac:10:00:02",
     "rx_rate_limiter": {"bandwidth": {"size": 100, "refill_time": 10}},
     "tx_rate_limiter": {"ops": {"size": 5, "refill_time": 1}}, "mtu": 1500}
  ],
  "vsock": {"guest_cid": 52, "uds_path": "/run/v.sock"},
  "balloon": {"amount_mib": 128, "deflate_on_oom": true, "stats_polling_interval_s": 2,
              "free_page_hinting": true, "free_page_reporting": false},
  "logger": {"log_path": "/var/log/fc.log", "level": "Warning", "show_level": true,
             "show_log_origin": false, "module": "api_server"},
  "metrics": {"metrics_path": "/var/log/fc.metrics"},
  "mmds-config": {"version": "V2", "network_interfaces": ["eth0"],
                  "ipv4_address": "169.254.169.250", "imds_compat": true},
  "entropy": {"rate_limiter": {"bandwidth": {"size": 10, "refill_time": 5}}}
}`

func TestLoadFirecrackerFormat(t *testing.T) {
	got, err := Load([]byte(firecrackerDoc))
	if err != nil {
		t.Fatal(err)
	}
	want := &VM{
		BootSource: BootSource{KernelImagePath: "/img/vmlinux",
			BootArgs: "console=ttyS0 quiet", InitrdPath: "/img/initrd"},
		MachineConfig: MachineConfig{VcpuCount: 4, MemSizeMib: 1024, CPUTemplate: "C3",
			TrackDirtyPages: true, HugePages: "2M"},
		Drives: []Drive{
			{DriveID: "rootfs", PathOnHost: "/img/root.ext4", IsRootDevice: true,
				Partuuid: "1234-01", CacheType: "Unsafe", IoEngine: "Sync",
				RateLimiter: &RateLimiter{
					Bandwidth: &TokenBucket{Size: 1048576, RefillTime: 1000, OneTimeBurst: 2048},
					Ops:       &TokenBucket{Size: 500, RefillTime: 100}}},
			{DriveID: "scratch", PathOnHost: "/img/scratch.img", IsReadOnly: true},
		},
		NetworkInterfaces: []NetworkInterface{{IfaceID: "eth0", HostDevName: "tap7",
			GuestMAC:      "06:00:ac:10:00:02",
			RxRateLimiter: &RateLimiter{Bandwidth: &TokenBucket{Size: 100, RefillTime: 10}},
			TxRateLimiter: &RateLimiter{Ops: &TokenBucket{Size: 5, RefillTime: 1}},
			MTU:           1500}},
		Vsock: &Vsock{GuestCID: 52, UdsPath: "/run/v.sock"},
		Balloon: &Balloon{AmountMib: 128, DeflateOnOom: true, StatsPollingIntervalS: 2,
			FreePageHinting: true},
		MMDS: &MMDS{Version: "V2", NetworkInterfaces: []string{"eth0"},
			IPv4Address: "169.254.169.250", ImdsCompat: true},
		Logger: &Logger{LogPath: "/var/log/fc.log", Level: "Warning", ShowLevel: true,
			Module: "api_server"},
		Metrics: &Metrics{MetricsPath: "/var/log/fc.metrics"},
		Entropy: &Entropy{RateLimiter: &RateLimiter{Bandwidth: &TokenBucket{Size: 10,
			RefillTime: 5}}},
	}
	if !reflect.DeepEqual(got, want) {
		gj, _ := json.MarshalIndent(got, "", " ")
		wj, _ := json.MarshalIndent(want, "", " ")
		t.Errorf("Load\n got %s\nwant %s", gj, wj)
	}
}

func TestLoadFirecrackerMinimal(t *testing.T) {
	got, err := Load([]byte(`{"boot-source": {"kernel_image_path": "/k"},
		"machine-config": {"vcpu_count": 1, "mem_size_mib": 64}}`))
	if err != nil {
		t.Fatal(err)
	}
	want := &VM{BootSource: BootSource{KernelImagePath: "/k"},
		MachineConfig: MachineConfig{VcpuCount: 1, MemSizeMib: 64}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Load = %+v, want %+v", got, want)
	}
}

// loadFails asserts that Load rejects doc with INVALID_CONFIG and an error naming each of
// mention.
func loadFails(t *testing.T, doc string, mention ...string) {
	t.Helper()
	vm, err := Load([]byte(doc))
	if err == nil {
		t.Errorf("Load(%s) = %+v, want an error", doc, vm)
		return
	}
	if errdefs.CodeOf(err) != errdefs.InvalidConfig {
		t.Errorf("Load(%s) code %q, want INVALID_CONFIG", doc, errdefs.CodeOf(err))
	}
	for _, m := range mention {
		if !strings.Contains(err.Error(), m) {
			t.Errorf("Load(%s) error %q does not mention %q", doc, err, m)
		}
	}
}

func TestLoadRejectsUnknownKeys(t *testing.T) {
	loadFails(t, `{"bootSource": {"kernelImagePath": "/k"}, "bogusKey": 1}`, `"bogusKey"`)
	loadFails(t, `{"machineConfig": {"vcpuCount": 1, "vcpu_count": 1}}`, `"vcpu_count"`)
	loadFails(t, `{"drives": [{"driveId": "a", "pathOnHost": "/a", "readOnly": true}]}`,
		`"readOnly"`)
	loadFails(t, `{"mmds": {"metadata": {}, "ipv4": "x"}}`, `"ipv4"`)
	// Firecracker's own keys are unknown in the smartvm format without "boot-source".
	loadFails(t, `{"machine-config": {"vcpu_count": 1, "mem_size_mib": 1}}`,
		`"machine-config"`)
	// And camelCase keys are unknown in the Firecracker format.
	loadFails(t, `{"boot-source": {"kernel_image_path": "/k"},
		"machine-config": {"vcpuCount": 2}}`, `"vcpuCount"`)
	loadFails(t, `{"boot-source": {"kernel_image_path": "/k"}, "cpu-config": {}}`,
		`"cpu-config"`)
	loadFails(t, `{"boot-source": {"kernel_image_path": "/k"},
		"drives": [{"drive_id": "a", "is_root_device": true, "bogus": 1}]}`, `"bogus"`)
}

func TestLoadRejectsUnsupportedFirecrackerFields(t *testing.T) {
	// A vhost-user drive has no smartvm equivalent; dropping its socket silently would
	// turn it into a drive without a backing file.
	loadFails(t, `{"boot-source": {"kernel_image_path": "/k"},
		"drives": [{"drive_id": "vu", "is_root_device": false, "socket": "/run/vu.sock"}]}`,
		"drives[0].socket")
}

func TestLoadRejectsNonObjects(t *testing.T) {
	for _, doc := range []string{``, ` `, `null`, `[]`, `[{}]`, `"x"`, `1`, `true`, `{`,
		`{"id": }`, `{"id": "a",}`} {
		loadFails(t, doc)
	}
}

func TestLoadRejectsTrailingData(t *testing.T) {
	for _, doc := range []string{`{} x`, `{}{}`, `{} []`, `{"id":"a"} null`,
		`{"boot-source": {}} {}`} {
		loadFails(t, doc)
	}
	// Trailing white space is fine.
	if _, err := Load([]byte("{\"id\": \"a\"}\n\t \n")); err != nil {
		t.Errorf("trailing white space rejected: %v", err)
	}
}

func TestLoadRejectsWrongTypes(t *testing.T) {
	loadFails(t, `{"machineConfig": {"vcpuCount": "2"}}`, "vcpuCount")
	loadFails(t, `{"machineConfig": {"vcpuCount": 1.5}}`)
	loadFails(t, `{"vsock": {"guestCid": -3}}`)
	loadFails(t, `{"boot-source": {"kernel_image_path": 5}}`)
}

func TestLoadFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "vm.json")
	if err := os.WriteFile(good, []byte(firecrackerDoc), 0o600); err != nil {
		t.Fatal(err)
	}
	vm, err := LoadFile(good)
	if err != nil || vm.MachineConfig.VcpuCount != 4 {
		t.Fatalf("LoadFile = %+v, %v", vm, err)
	}
	_, err = LoadFile(filepath.Join(dir, "missing.json"))
	requireCode(t, err, errdefs.NotFound)
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"nope": 1}`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = LoadFile(bad)
	requireCode(t, err, errdefs.InvalidConfig)
	if !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("error %q does not name the file and the key", err)
	}
}

func FuzzLoad(f *testing.F) {
	files := files{dir: "/d", kernel: "/d/k", initrd: "/d/i", rootfs: "/d/r", data: "/d/x"}
	for _, vm := range []*VM{minimalVM(files), fullVM(files)} {
		data, _ := json.Marshal(vm)
		f.Add(data)
	}
	for _, s := range []string{firecrackerDoc, `{}`, `null`, `{"boot-source": null}`,
		`{"drives": []}`, `{"mmds": {"metadata": {}}}`, `{"mmds": {"metadata": {"a": [1.5e300]}}}`,
		`{"boot-source": {}, "mmds-config": {"network_interfaces": []}}`, `{"ID": "x"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		vm, err := Load(data)
		if err != nil {
			if vm != nil {
				t.Errorf("Load failed (%v) but returned a VM", err)
			}
			if errdefs.CodeOf(err) != errdefs.InvalidConfig {
				t.Errorf("Load error %v has code %q", err, errdefs.CodeOf(err))
			}
			return
		}
		// None of these may panic on whatever Load accepts.
		vm.Validate()
		vm.BootRequests(api.Version{Major: 1, Minor: 16, Patch: 1})
		vm.FirecrackerConfig(api.Version{})
		if c := vm.Clone(); !reflect.DeepEqual(c, vm) {
			t.Errorf("Clone differs\n got %+v\nwant %+v", c, vm)
		}
		first, err := json.Marshal(vm)
		if err != nil {
			t.Fatalf("marshal loaded VM: %v", err)
		}
		again, err := Load(first)
		if err != nil {
			t.Fatalf("re-Load of %s: %v", first, err)
		}
		if !reflect.DeepEqual(again, vm) {
			t.Errorf("re-Load changed the VM\n got %+v\nwant %+v\nfrom %s", again, vm, first)
		}
	})
}

// TestLoadErrorsReadable checks that JSON mistakes are reported in JSON terms: a position
// for a syntax error, the field path and JSON types for a type error.
func TestLoadErrorsReadable(t *testing.T) {
	for doc, want := range map[string]string{
		`{"machineConfig": {"vcpuCount": 1,}}`: "invalid JSON at byte",
		`{"machineConfig": {"vcpuCount": "two"}}`: "field machineConfig.vcpuCount: want a " +
			"whole number in range, got string",
		`{"drives": {"a": 1}}`: "field drives: want a list, got object",
	} {
		_, err := Load([]byte(doc))
		requireCode(t, err, errdefs.InvalidConfig)
		if !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "Go struct") {
			t.Errorf("Load(%s) = %v, want it to say %q", doc, err, want)
		}
	}
}
