package spec

import (
	"slices"
	"strings"
	"testing"
)

// opsSince records when operations appeared; none were removed between
// 1.7.0 and 1.16.1.
var opsSince = map[string]string{
	"PATCH /balloon/hinting/start": "1.14.2",
	"GET /balloon/hinting/status":  "1.14.2",
	"PATCH /balloon/hinting/stop":  "1.14.2",
	"GET /hotplug/memory":          "1.14.2",
	"PUT /hotplug/memory":          "1.14.2",
	"PATCH /hotplug/memory":        "1.14.2",
	"PUT /pmem/{id}":               "1.14.2",
	"PUT /serial":                  "1.14.2",
	"PATCH /pmem/{id}":             "1.16.1",
}

func TestOperationsPerVersion(t *testing.T) {
	base := loadSpec(t, "1.7.0").Operations()
	if len(base) != 29 {
		t.Errorf("1.7.0 has %d operations, want 29: %v", len(base), base)
	}
	for _, v := range allVersions {
		s := loadSpec(t, v)
		ops := s.Operations()
		for _, op := range base {
			if !slices.Contains(ops, op) {
				t.Errorf("%s lacks %s, which 1.7.0 has", v, op)
			}
		}
		for op, since := range opsSince {
			method, path, _ := strings.Cut(op, " ")
			want := atLeast(t, v, since)
			if got := s.HasPath(method, path); got != want {
				t.Errorf("%s: HasPath(%s) = %v, want %v", v, op, got, want)
			}
			if got := slices.Contains(ops, op); got != want {
				t.Errorf("%s: Operations() contains %s = %v, want %v", v, op, got, want)
			}
		}
		if want := len(base) + countSince(t, v); len(ops) != want {
			t.Errorf("%s has %d operations, want %d", v, len(ops), want)
		}
	}
}

func countSince(t *testing.T, v string) int {
	n := 0
	for _, since := range opsSince {
		if atLeast(t, v, since) {
			n++
		}
	}
	return n
}

func TestHasPath(t *testing.T) {
	s := loadSpec(t, "1.14.2")
	for _, c := range []struct {
		method, path string
		want         bool
	}{
		{"PUT", "/drives/{drive_id}", true},
		{"put", "/drives/rootfs", true},
		{"DELETE", "/drives/rootfs", false},
		{"PUT", "/drives", false},
		{"PUT", "/drives/", false},
		{"GET", "/", true},
		{"PUT", "/snapshot/load", true},
		{"PATCH", "/pmem/{id}", false},
	} {
		if got := s.HasPath(c.method, c.path); got != c.want {
			t.Errorf("HasPath(%s, %s) = %v, want %v", c.method, c.path, got, c.want)
		}
	}
}

func TestProperties(t *testing.T) {
	want := map[string]string{
		"1.7.0": "enable_diff_snapshots mem_backend mem_file_path resume_vm snapshot_path",
		"1.14.2": "enable_diff_snapshots mem_backend mem_file_path network_overrides resume_vm " +
			"snapshot_path track_dirty_pages",
		"1.16.1": "clock_realtime enable_diff_snapshots mem_backend mem_file_path network_overrides " +
			"resume_vm snapshot_path track_dirty_pages vsock_override",
	}
	for _, v := range allVersions {
		s := loadSpec(t, v)
		if got := strings.Join(s.Properties("SnapshotLoadParams"), " "); got != want[v] {
			t.Errorf("%s: Properties(SnapshotLoadParams) = %s, want %s", v, got, want[v])
		}
		if got := s.Properties("NoSuchDefinition"); got != nil {
			t.Errorf("%s: Properties(NoSuchDefinition) = %v, want nil", v, got)
		}
		hasMTU := slices.Contains(s.Properties("NetworkInterface"), "mtu")
		if hasMTU != (v == "1.16.1") {
			t.Errorf("%s: NetworkInterface has mtu = %v", v, hasMTU)
		}
		if !slices.Contains(s.Definitions(), "SnapshotLoadParams") {
			t.Errorf("%s: Definitions() lacks SnapshotLoadParams", v)
		}
	}
}

func TestEnum(t *testing.T) {
	s := loadSpec(t, "1.16.1")
	for _, c := range []struct {
		def, prop, want string
	}{
		{"MachineConfiguration", "huge_pages", "None 2M"},
		{"MachineConfiguration", "cpu_template", "C3 T2 T2S T2CL T2A V1N1 None"},
		{"CpuTemplate", "", "C3 T2 T2S T2CL T2A V1N1 None"},
		{"Vm", "state", "Paused Resumed"},
		{"Drive", "io_engine", "Sync Async"},
		{"MemoryBackend", "backend_type", "File Uffd"},
		{"Logger", "level", "Error Warning Info Debug Trace Off"},
		{"BootSource", "kernel_image_path", ""},
		{"NoSuch", "x", ""},
		{"Drive", "no_such", ""},
	} {
		if got := strings.Join(s.Enum(c.def, c.prop), " "); got != c.want {
			t.Errorf("Enum(%s, %s) = %q, want %q", c.def, c.prop, got, c.want)
		}
	}
}
