package spec

import (
	"strings"
	"testing"
)

const (
	bootOK = `{"kernel_image_path":"/k"}`
	netOK  = `"iface_id":"eth0","host_dev_name":"tap0"`
	diskOK = `"drive_id":"rootfs","path_on_host":"/r","is_root_device":true`
)

// invalidRequests each fail for a stated reason. field is the expected
// Error.Field ("" for whole-request problems) and text a substring of the
// message. versions limits the case to some specifications (all if empty).
var invalidRequests = []struct {
	name               string
	versions           []string
	method, path, body string
	field, text        string
}{
	{name: "unknown top-level field", method: "PUT", path: "/boot-source",
		body: `{"kernel_image_path":"/k","bogus":1}`, field: "bogus", text: "unknown field"},
	{name: "unknown nested field", method: "PUT", path: "/drives/rootfs",
		body:  `{` + diskOK + `,"rate_limiter":{"bandwidth":{"size":1,"refill_time":1,"bogus":2}}}`,
		field: "rate_limiter.bandwidth.bogus", text: "unknown field"},
	{name: "unknown field in array item", versions: []string{"1.14.2", "1.16.1"},
		method: "PUT", path: "/snapshot/load",
		body:  `{"snapshot_path":"/s","mem_file_path":"/m","network_overrides":[{` + netOK + `,"x":1}]}`,
		field: "network_overrides.0.x", text: "unknown field"},
	{name: "wrong type string for integer", method: "PUT", path: "/machine-config",
		body: `{"vcpu_count":"2","mem_size_mib":256}`, field: "vcpu_count", text: "integer"},
	{name: "wrong type number for string", method: "PUT", path: "/boot-source",
		body: `{"kernel_image_path":7}`, field: "kernel_image_path", text: "string"},
	{name: "wrong type for boolean", method: "PUT", path: "/drives/rootfs",
		body: `{` + diskOK + `,"is_read_only":"no"}`, field: "is_read_only", text: "boolean"},
	{name: "null for a typed field", method: "PUT", path: "/boot-source",
		body: `{"kernel_image_path":"/k","boot_args":null}`, field: "boot_args", text: "null"},
	{name: "missing required", method: "PUT", path: "/network-interfaces/eth0",
		body: `{"iface_id":"eth0"}`, field: "host_dev_name", text: "missing"},
	{name: "missing required nested", method: "PUT", path: "/drives/rootfs",
		body:  `{` + diskOK + `,"rate_limiter":{"ops":{"size":5}}}`,
		field: "rate_limiter.ops.refill_time", text: "missing"},
	{name: "enum huge_pages", method: "PUT", path: "/machine-config",
		body: `{"vcpu_count":1,"mem_size_mib":128,"huge_pages":"1G"}`, field: "huge_pages", text: "2M"},
	{name: "enum vm state", method: "PATCH", path: "/vm",
		body: `{"state":"Stopped"}`, field: "state", text: "Resumed"},
	{name: "enum action", method: "PUT", path: "/actions",
		body: `{"action_type":"Reboot"}`, field: "action_type", text: "InstanceStart"},
	{name: "enum nested", method: "PUT", path: "/snapshot/load",
		body:  `{"snapshot_path":"/s","mem_backend":{"backend_type":"Disk","backend_path":"/m"}}`,
		field: "mem_backend.backend_type", text: "Uffd"},
	{name: "float for integer", method: "PUT", path: "/machine-config",
		body: `{"vcpu_count":1,"mem_size_mib":128.0}`, field: "mem_size_mib", text: "float"},
	{name: "exponent for integer", method: "PUT", path: "/machine-config",
		body: `{"vcpu_count":1,"mem_size_mib":1e3}`, field: "mem_size_mib", text: "float"},
	{name: "negative integer", method: "PUT", path: "/balloon",
		body: `{"amount_mib":-1,"deflate_on_oom":true}`, field: "amount_mib", text: "negative"},
	{name: "negative nested integer", method: "PUT", path: "/entropy",
		body:  `{"rate_limiter":{"bandwidth":{"size":-1,"refill_time":1}}}`,
		field: "rate_limiter.bandwidth.size", text: "at least 0"},
	{name: "over uint64", method: "PUT", path: "/machine-config",
		body:  `{"vcpu_count":1,"mem_size_mib":18446744073709551616}`,
		field: "mem_size_mib", text: "64-bit"},
	{name: "over u16 field", method: "PUT", path: "/balloon",
		body:  `{"amount_mib":1,"deflate_on_oom":false,"stats_polling_interval_s":65536}`,
		field: "stats_polling_interval_s", text: "16-bit"},
	{name: "over u32 format int32", versions: []string{"1.14.2", "1.16.1"},
		method: "PUT", path: "/cpu-config",
		body:  `{"cpuid_modifiers":[{"leaf":"0","subleaf":"0","flags":4294967296,"modifiers":[]}]}`,
		field: "cpuid_modifiers.0.flags", text: "32-bit"},
	{name: "below minimum", method: "PUT", path: "/vsock",
		body: `{"guest_cid":2,"uds_path":"/v"}`, field: "guest_cid", text: "3"},
	{name: "above maximum", method: "PUT", path: "/machine-config",
		body: `{"vcpu_count":33,"mem_size_mib":128}`, field: "vcpu_count", text: "32"},
	{name: "mtu below minimum", versions: []string{"1.16.1"},
		method: "PUT", path: "/network-interfaces/eth0",
		body: `{` + netOK + `,"mtu":67}`, field: "mtu", text: "68"},
	{name: "mmds address not link-local", method: "PUT", path: "/mmds/config",
		body:  `{"network_interfaces":["eth0"],"ipv4_address":"10.0.0.1"}`,
		field: "ipv4_address", text: "regular expression"},
	{name: "1.16 field on 1.14", versions: []string{"1.14.2"}, method: "PUT",
		path: "/network-interfaces/eth0", body: `{` + netOK + `,"mtu":1500}`,
		field: "mtu", text: "unknown field"},
	{name: "1.16 snapshot field on 1.14", versions: []string{"1.7.0", "1.14.2"},
		method: "PUT", path: "/snapshot/load",
		body:  `{"snapshot_path":"/s","mem_file_path":"/m","vsock_override":{"uds_path":"/v"}}`,
		field: "vsock_override", text: "unknown field"},
	{name: "1.14 snapshot field on 1.7", versions: []string{"1.7.0"}, method: "PUT",
		path:  "/snapshot/load",
		body:  `{"snapshot_path":"/s","mem_file_path":"/m","track_dirty_pages":true}`,
		field: "track_dirty_pages", text: "unknown field"},
	{name: "1.14 balloon field on 1.7", versions: []string{"1.7.0"}, method: "PUT", path: "/balloon",
		body:  `{"amount_mib":1,"deflate_on_oom":false,"free_page_reporting":true}`,
		field: "free_page_reporting", text: "unknown field"},
	{name: "both memory sources", method: "PUT", path: "/snapshot/load",
		body: `{"snapshot_path":"/s","mem_file_path":"/m",` +
			`"mem_backend":{"backend_type":"File","backend_path":"/m"}}`,
		field: "", text: "mem_backend, mem_file_path"},
	{name: "no memory source", method: "PUT", path: "/snapshot/load",
		body: `{"snapshot_path":"/s"}`, field: "", text: "mem_backend, mem_file_path"},
	{name: "path id differs from body", method: "PUT", path: "/drives/rootfs",
		body:  `{"drive_id":"data","path_on_host":"/r","is_root_device":false}`,
		field: "drive_id", text: `"data" does not match`},
	{name: "invalid path id", method: "PUT", path: "/network-interfaces/eth-0",
		body: `{"iface_id":"eth-0","host_dev_name":"tap0"}`, field: "", text: "iface_id=\"eth-0\""},
	{name: "empty patch", method: "PATCH", path: "/machine-config", body: `{}`,
		field: "", text: "at least 1"},
	{name: "required on PUT but not on PATCH", method: "PUT", path: "/machine-config",
		body: `{"track_dirty_pages":true}`, field: "vcpu_count", text: "missing"},
	{name: "empty body on PUT", method: "PUT", path: "/machine-config", body: ``,
		field: "", text: "body is required"},
	{name: "body on GET", method: "GET", path: "/machine-config", body: `{}`,
		field: "", text: "takes no body"},
	{name: "not JSON", method: "PUT", path: "/boot-source", body: `kernel=/k`,
		field: "", text: "not valid JSON"},
	{name: "trailing data", method: "PUT", path: "/boot-source", body: bootOK + `{}`,
		field: "", text: "trailing data"},
	{name: "invalid UTF-8", method: "PUT", path: "/boot-source",
		body: "{\"kernel_image_path\":\"\xff\"}", field: "", text: "UTF-8"},
	{name: "top-level array", method: "PUT", path: "/boot-source", body: `[` + bootOK + `]`,
		field: "", text: "object"},
	{name: "too deep", method: "PUT", path: "/mmds",
		body:  strings.Repeat(`{"a":`, 129) + `1` + strings.Repeat(`}`, 129),
		field: "", text: "deeper than 128"},
	{name: "unknown path", method: "GET", path: "/nope", field: "", text: "no such path"},
	{name: "unknown method", method: "DELETE", path: "/drives/rootfs", field: "",
		text: "method not defined"},
	{name: "query string", method: "GET", path: "/version?x=1", field: "", text: "query"},
	{name: "serial on 1.7", versions: []string{"1.7.0"}, method: "PUT", path: "/serial",
		body: `{"serial_out_path":"/s"}`, field: "", text: "no such path in the firecracker 1.7.0"},
	{name: "memory hotplug on 1.7", versions: []string{"1.7.0"}, method: "PUT",
		path: "/hotplug/memory", body: `{"total_size_mib":1024}`, field: "", text: "no such path"},
	{name: "pmem on 1.7", versions: []string{"1.7.0"}, method: "PUT", path: "/pmem/p0",
		body: `{"id":"p0","path_on_host":"/p"}`, field: "", text: "no such path"},
	{name: "pmem patch on 1.14", versions: []string{"1.14.2"}, method: "PATCH",
		path: "/pmem/p0", body: `{"id":"p0"}`, field: "", text: "method not defined"},
}

func TestInvalidRequestsFail(t *testing.T) {
	for _, v := range allVersions {
		s := loadSpec(t, v)
		for _, c := range invalidRequests {
			if len(c.versions) > 0 && !containsString(c.versions, v) {
				continue
			}
			err := s.ValidateRequest(c.method, c.path, []byte(c.body))
			if err == nil {
				t.Errorf("%s: %s: %s %s passed, want an error", v, c.name, c.method, c.path)
				continue
			}
			if !hasProblem(err, c.method, c.path, c.field, c.text) {
				t.Errorf("%s: %s: want a problem with field %q mentioning %q, got:\n%v",
					v, c.name, c.field, c.text, err)
			}
		}
	}
}

// hasProblem reports whether err holds an *Error for the request with the
// given field whose message contains text and names the field.
func hasProblem(err error, method, path, field, text string) bool {
	for _, p := range problems(err) {
		msg := p.Error()
		if p.Method == method && p.Path == path && p.Field == field &&
			strings.Contains(msg, path) && strings.Contains(msg, field) &&
			strings.Contains(msg, text) {
			return true
		}
	}
	return false
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestAllProblemsReported(t *testing.T) {
	s := loadSpec(t, "1.16.1")
	body := `{"vcpu_count":"2","mem_size_mib":-1,"huge_pages":"1G","extra":true}`
	err := s.ValidateRequest("put", "/machine-config", []byte(body))
	want := []string{"extra", "huge_pages", "mem_size_mib", "vcpu_count"}
	var got []string
	for _, p := range problems(err) {
		got = append(got, p.Field)
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("fields = %v, want %v (sorted, one problem each); error:\n%v", got, want, err)
	}
}
