package config

import (
	"encoding/json"
	"slices"
	"testing"

	"code.foss.global/push.rocks/smartvm/api"
	"code.foss.global/push.rocks/smartvm/internal/spec"
)

// specVersions are the Firecracker releases whose API specs the payloads are checked
// against.
var specVersions = []api.Version{v170, v1142, v1161}

func loadSpec(t *testing.T, v api.Version) *spec.Spec {
	t.Helper()
	s := spec.LoadForTest(t, v.String())
	if s.Version() != v.String() {
		t.Fatalf("spec.Load(%v) chose %s", v, s.Version())
	}
	return s
}

// vmFor returns a VM using every feature that v supports.
func vmFor(f files, v api.Version) *VM {
	vm := fullVM(f)
	for _, vc := range versionCases {
		if !v.AtLeast(vc.minimum.Major, vc.minimum.Minor) {
			switch vc.name {
			case "mtu":
				vm.NetworkInterfaces[0].MTU = 0
			case "hinting":
				vm.Balloon.FreePageHinting = false
			case "reporting":
				vm.Balloon.FreePageReporting = false
			case "imds":
				vm.MMDS.ImdsCompat = false
			}
		}
	}
	return vm
}

// specVMs are the VMs whose payloads are checked for version v.
func specVMs(f files, v api.Version) map[string]*VM {
	sparse := minimalVM(f)
	sparse.Logger = &Logger{LogPath: "/l"}
	sparse.Metrics = &Metrics{MetricsPath: "/m"}
	sparse.Drives = []Drive{{DriveID: "d", PathOnHost: f.data,
		RateLimiter: &RateLimiter{Ops: &TokenBucket{}}}}
	sparse.NetworkInterfaces = []NetworkInterface{{IfaceID: "a", HostDevName: "tapa"}}
	sparse.Balloon = &Balloon{}
	sparse.Entropy = &Entropy{RateLimiter: &RateLimiter{}}
	sparse.MMDS = &MMDS{Metadata: map[string]any{}}
	sparse.Vsock = &Vsock{GuestCID: 3, UdsPath: "/v.sock"}
	return map[string]*VM{"minimal": minimalVM(f), "sparse": sparse, "full": vmFor(f, v)}
}

func TestBootRequestsMatchSpec(t *testing.T) {
	f := newFiles(t)
	for _, v := range specVersions {
		s := loadSpec(t, v)
		for name, vm := range specVMs(f, v) {
			if err := vm.Validate(); err != nil {
				t.Fatalf("%v %s: invalid test VM: %v", v, name, err)
			}
			for _, w := range wireRequests(t, vm, v) {
				if err := s.ValidateRequest(w.method, w.path, []byte(w.body)); err != nil {
					t.Errorf("%v %s: %v\nbody %s", v, name, err, w.body)
				}
			}
		}
	}
}

// configSections maps each key of Firecracker's config file to the request that takes
// the same body.
var configSections = map[string]string{
	"boot-source":    "/boot-source",
	"machine-config": "/machine-config",
	"balloon":        "/balloon",
	"vsock":          "/vsock",
	"logger":         "/logger",
	"metrics":        "/metrics",
	"mmds-config":    "/mmds/config",
	"entropy":        "/entropy",
}

func TestFirecrackerConfigMatchesSpec(t *testing.T) {
	f := newFiles(t)
	for _, v := range specVersions {
		s := loadSpec(t, v)
		for name, vm := range specVMs(f, v) {
			fc, err := vm.FirecrackerConfig(v)
			if err != nil {
				t.Fatalf("%v %s: %v", v, name, err)
			}
			data, err := json.Marshal(fc)
			if err != nil {
				t.Fatal(err)
			}
			var doc map[string]json.RawMessage
			if err := json.Unmarshal(data, &doc); err != nil {
				t.Fatal(err)
			}
			checked := 0
			check := func(path string, body []byte) {
				checked++
				if err := s.ValidateRequest("PUT", path, body); err != nil {
					t.Errorf("%v %s: %v\nbody %s", v, name, err, body)
				}
			}
			for key, raw := range doc {
				switch key {
				case "drives", "network-interfaces":
					checkList(t, key, raw, check)
				default:
					path, ok := configSections[key]
					if !ok {
						t.Errorf("%v %s: config file key %q has no request to check", v,
							name, key)
						continue
					}
					check(path, raw)
				}
			}
			if checked < 2 {
				t.Errorf("%v %s: only %d sections checked", v, name, checked)
			}
		}
	}
}

// checkList checks each element of a drives or network-interfaces list against the PUT
// request of that device.
func checkList(t *testing.T, key string, raw json.RawMessage, check func(string, []byte)) {
	t.Helper()
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	idKey, prefix := "drive_id", "/drives/"
	if key == "network-interfaces" {
		idKey, prefix = "iface_id", "/network-interfaces/"
	}
	for _, item := range items {
		var ids map[string]any
		if err := json.Unmarshal(item, &ids); err != nil {
			t.Fatal(err)
		}
		id, _ := ids[idKey].(string)
		check(prefix+id, item)
	}
}

func TestEnumsMatchSpec(t *testing.T) {
	for _, v := range specVersions {
		s := loadSpec(t, v)
		for _, e := range []struct {
			def, prop string
			ours      []string
		}{
			{"Drive", "cache_type", CacheTypes},
			{"Drive", "io_engine", IoEngines},
			{"MachineConfiguration", "huge_pages", HugePages},
			{"MachineConfiguration", "cpu_template", CPUTemplates},
			{"MmdsConfig", "version", MMDSVersions},
			{"Logger", "level", LogLevels},
		} {
			theirs := s.Enum(e.def, e.prop)
			if len(theirs) == 0 {
				t.Errorf("%v: spec has no enum %s.%s", v, e.def, e.prop)
			}
			a, b := slices.Sorted(slices.Values(e.ours)), slices.Sorted(slices.Values(theirs))
			if !slices.Equal(a, b) {
				t.Errorf("%v: %s.%s: smartvm allows %v, spec %v", v, e.def, e.prop, a, b)
			}
		}
	}
}
