package config

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"code.foss.global/push.rocks/smartvm/api"
	"code.foss.global/push.rocks/smartvm/errdefs"
)

var (
	v170  = api.Version{Major: 1, Minor: 7, Patch: 0}
	v1142 = api.Version{Major: 1, Minor: 14, Patch: 2}
	v1161 = api.Version{Major: 1, Minor: 16, Patch: 1}
)

// wire is a request as sent: method, path and the JSON body.
type wire struct{ method, path, body string }

func (w wire) String() string { return w.method + " " + w.path + " " + w.body }

// wireRequests runs BootRequests and encodes every body as the client would.
func wireRequests(t *testing.T, vm *VM, v api.Version) []wire {
	t.Helper()
	reqs, err := vm.BootRequests(v)
	if err != nil {
		t.Fatalf("BootRequests(%v) = %v", v, err)
	}
	out := make([]wire, len(reqs))
	for i, r := range reqs {
		body, err := json.Marshal(r.Body)
		if err != nil {
			t.Fatalf("marshal %s: %v", r, err)
		}
		out[i] = wire{r.Method, r.Path, string(body)}
	}
	return out
}

func compareWire(t *testing.T, got, want []wire, dir string) {
	t.Helper()
	for i := range want {
		want[i].body = strings.ReplaceAll(want[i].body, "$DIR", dir)
	}
	for i := 0; i < max(len(got), len(want)); i++ {
		switch {
		case i >= len(got):
			t.Errorf("request %d missing, want %v", i, want[i])
		case i >= len(want):
			t.Errorf("request %d extra: %v", i, got[i])
		case got[i] != want[i]:
			t.Errorf("request %d:\n got %v\nwant %v", i, got[i], want[i])
		}
	}
}

func TestBootRequestsFull(t *testing.T) {
	f := newFiles(t)
	got := wireRequests(t, fullVM(f), v1161)
	want := []wire{
		{"PUT", "/logger", `{"log_path":"/var/log/fc.log","level":"Debug",` +
			`"show_level":true,"show_log_origin":true,"module":"vmm"}`},
		{"PUT", "/metrics", `{"metrics_path":"/var/log/fc.metrics"}`},
		{"PUT", "/machine-config", `{"vcpu_count":2,"mem_size_mib":256,"smt":true,` +
			`"cpu_template":"T2","track_dirty_pages":true,"huge_pages":"None"}`},
		{"PUT", "/boot-source", `{"kernel_image_path":"$DIR/vmlinux",` +
			`"boot_args":"console=ttyS0 reboot=k panic=1","initrd_path":"$DIR/initrd.img"}`},
		{"PUT", "/drives/rootfs", `{"drive_id":"rootfs","is_root_device":true,` +
			`"path_on_host":"$DIR/rootfs.ext4","is_read_only":false,"cache_type":"Writeback",` +
			`"io_engine":"Sync","rate_limiter":{"bandwidth":{"size":1048576,` +
			`"refill_time":1000,"one_time_burst":4096},"ops":{"size":100,"refill_time":1000}}}`},
		{"PUT", "/drives/data_1", `{"drive_id":"data_1","is_root_device":false,` +
			`"path_on_host":"$DIR/data.img","is_read_only":true,"partuuid":"abcd-01",` +
			`"io_engine":"Async"}`},
		{"PUT", "/network-interfaces/eth0", `{"iface_id":"eth0","host_dev_name":"tap0",` +
			`"guest_mac":"02:00:0a:00:00:02","rx_rate_limiter":{"bandwidth":{"size":5000,` +
			`"refill_time":100}},"tx_rate_limiter":{"ops":{"size":10,"refill_time":10}},` +
			`"mtu":1400}`},
		{"PUT", "/network-interfaces/eth1", `{"iface_id":"eth1","host_dev_name":"tap1"}`},
		{"PUT", "/vsock", `{"guest_cid":3,"uds_path":"/tmp/vm-1-vsock.sock"}`},
		{"PUT", "/balloon", `{"amount_mib":64,"deflate_on_oom":true,` +
			`"stats_polling_interval_s":5,"free_page_hinting":true,"free_page_reporting":true}`},
		{"PUT", "/entropy", `{"rate_limiter":{"bandwidth":{"size":64,"refill_time":10}}}`},
		{"PUT", "/mmds/config", `{"version":"V2","network_interfaces":["eth0"],` +
			`"ipv4_address":"169.254.170.2","imds_compat":true}`},
		{"PUT", "/mmds", `{"latest":{"meta-data":{"count":3,"instance-id":"i-1",` +
			`"tags":["a",true,null]}}}`},
	}
	compareWire(t, got, want, f.dir)
}

func TestBootRequestsMinimal(t *testing.T) {
	f := newFiles(t)
	got := wireRequests(t, minimalVM(f), api.Version{})
	compareWire(t, got, []wire{
		{"PUT", "/machine-config", `{"vcpu_count":1,"mem_size_mib":128}`},
		{"PUT", "/boot-source", `{"kernel_image_path":"$DIR/vmlinux"}`},
	}, f.dir)
}

func TestBootRequestsOmitFalseOptionals(t *testing.T) {
	f := newFiles(t)
	vm := minimalVM(f)
	vm.Logger = &Logger{LogPath: "/l"}
	vm.Drives = []Drive{{DriveID: "d", PathOnHost: f.data}}
	vm.NetworkInterfaces = []NetworkInterface{{IfaceID: "a", HostDevName: "tapa"},
		{IfaceID: "b", HostDevName: "tapb"}}
	vm.Balloon = &Balloon{}
	vm.Entropy = &Entropy{}
	vm.MMDS = &MMDS{}
	vm.Vsock = &Vsock{GuestCID: 3, UdsPath: "/v.sock"}
	got := wireRequests(t, vm, v170)
	compareWire(t, got, []wire{
		{"PUT", "/logger", `{"log_path":"/l"}`},
		{"PUT", "/machine-config", `{"vcpu_count":1,"mem_size_mib":128}`},
		{"PUT", "/boot-source", `{"kernel_image_path":"$DIR/vmlinux"}`},
		{"PUT", "/drives/d", `{"drive_id":"d","is_root_device":false,` +
			`"path_on_host":"$DIR/data.img","is_read_only":false}`},
		{"PUT", "/network-interfaces/a", `{"iface_id":"a","host_dev_name":"tapa"}`},
		{"PUT", "/network-interfaces/b", `{"iface_id":"b","host_dev_name":"tapb"}`},
		{"PUT", "/vsock", `{"guest_cid":3,"uds_path":"/v.sock"}`},
		{"PUT", "/balloon", `{"amount_mib":0,"deflate_on_oom":false}`},
		{"PUT", "/entropy", `{}`},
		// No metadata, no PUT /mmds; an empty interface list means all of them.
		{"PUT", "/mmds/config", `{"network_interfaces":["a","b"]}`},
	}, f.dir)
}

func TestBootRequestsMMDSWithoutInterfaces(t *testing.T) {
	f := newFiles(t)
	vm := minimalVM(f)
	vm.MMDS = &MMDS{Metadata: map[string]any{"k": "v"}}
	got := wireRequests(t, vm, v1142)
	compareWire(t, got, []wire{
		{"PUT", "/machine-config", `{"vcpu_count":1,"mem_size_mib":128}`},
		{"PUT", "/boot-source", `{"kernel_image_path":"$DIR/vmlinux"}`},
		{"PUT", "/mmds", `{"k":"v"}`},
	}, f.dir)
}

func TestRequestString(t *testing.T) {
	if s := (Request{Method: "PUT", Path: "/drives/rootfs"}).String(); s != "PUT /drives/rootfs" {
		t.Errorf("String = %q", s)
	}
}

// versionCase sets one version-dependent field.
type versionCase struct {
	name    string
	set     func(vm *VM)
	path    string // request that carries the field
	key     string // JSON key of the field
	minimum api.Version
}

var versionCases = []versionCase{
	{"mtu", func(vm *VM) { vm.NetworkInterfaces[0].MTU = 9000 },
		"/network-interfaces/eth0", `"mtu":9000`, api.Version{Major: 1, Minor: 16}},
	{"hinting", func(vm *VM) { vm.Balloon.FreePageHinting = true },
		"/balloon", `"free_page_hinting":true`, api.Version{Major: 1, Minor: 14}},
	{"reporting", func(vm *VM) { vm.Balloon.FreePageReporting = true },
		"/balloon", `"free_page_reporting":true`, api.Version{Major: 1, Minor: 14}},
	{"imds", func(vm *VM) { vm.MMDS.ImdsCompat = true },
		"/mmds/config", `"imds_compat":true`, api.Version{Major: 1, Minor: 14}},
}

// plainVM is fullVM without any version-dependent field.
func plainVM(f files) *VM {
	vm := fullVM(f)
	vm.NetworkInterfaces[0].MTU = 0
	vm.Balloon.FreePageHinting, vm.Balloon.FreePageReporting = false, false
	vm.MMDS.ImdsCompat = false
	return vm
}

func TestVersionDependentFields(t *testing.T) {
	f := newFiles(t)
	for _, vc := range versionCases {
		for _, v := range []api.Version{{}, v170, v1142, v1161} {
			t.Run(fmt.Sprintf("%s/%v", vc.name, v), func(t *testing.T) {
				vm := plainVM(f)
				vc.set(vm)
				supported := v.AtLeast(vc.minimum.Major, vc.minimum.Minor)
				reqs, err := vm.BootRequests(v)
				_, fcErr := vm.FirecrackerConfig(v)
				if !supported {
					requireCode(t, err, errdefs.UnsupportedVersion)
					requireCode(t, fcErr, errdefs.UnsupportedVersion)
					if !strings.Contains(err.Error(), vc.minimum.String()) ||
						!strings.Contains(err.Error(), "running "+v.String()) {
						t.Errorf("error %q names neither minimum nor running version", err)
					}
					if reqs != nil {
						t.Errorf("BootRequests returned requests with its error")
					}
					return
				}
				if err != nil || fcErr != nil {
					t.Fatalf("BootRequests = %v, FirecrackerConfig = %v", err, fcErr)
				}
				found := false
				for _, w := range wireRequests(t, vm, v) {
					if w.path == vc.path {
						found = strings.Contains(w.body, vc.key)
					}
				}
				if !found {
					t.Errorf("%s not sent in %s", vc.key, vc.path)
				}
			})
		}
	}
}

func TestPlainVMSendsNoVersionFields(t *testing.T) {
	f := newFiles(t)
	for _, w := range wireRequests(t, plainVM(f), v1161) {
		for _, key := range []string{"mtu", "free_page", "imds_compat"} {
			if strings.Contains(w.body, `"`+key) {
				t.Errorf("%s %s sends %s although it is unset: %s", w.method, w.path, key,
					w.body)
			}
		}
	}
}

func TestFirecrackerConfigMinimal(t *testing.T) {
	f := newFiles(t)
	fc, err := minimalVM(f).FirecrackerConfig(v170)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(fc)
	want := `{"boot-source":{"kernel_image_path":"` + f.kernel + `"},` +
		`"machine-config":{"vcpu_count":1,"mem_size_mib":128},"drives":[]}`
	if string(got) != want {
		t.Errorf("FirecrackerConfig\n got %s\nwant %s", got, want)
	}
}

// firecrackerEquivalent is what a VM becomes after a trip through Firecracker's config
// file format: no id, no smartvm options, no MMDS contents, and MMDS names its interfaces.
func firecrackerEquivalent(vm *VM) *VM {
	out := vm.Clone()
	out.ID, out.NoNetworkBootArgs = "", false
	if out.MMDS != nil {
		if len(vm.NetworkInterfaces) == 0 {
			out.MMDS = nil
		} else {
			out.MMDS.Metadata = nil
			if len(out.MMDS.NetworkInterfaces) == 0 {
				for _, n := range vm.NetworkInterfaces {
					out.MMDS.NetworkInterfaces = append(out.MMDS.NetworkInterfaces, n.IfaceID)
				}
			}
		}
	}
	return out
}

func TestFirecrackerConfigLoadsBack(t *testing.T) {
	f := newFiles(t)
	allIfaces := fullVM(f)
	allIfaces.MMDS.NetworkInterfaces = nil
	noIfaces := fullVM(f)
	noIfaces.NetworkInterfaces, noIfaces.MMDS.NetworkInterfaces = nil, nil
	cases := map[string]*VM{"minimal": minimalVM(f), "full": fullVM(f),
		"mmds on all interfaces": allIfaces, "mmds without interfaces": noIfaces}
	for name, vm := range cases {
		fc, err := vm.FirecrackerConfig(v1161)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		data, err := json.Marshal(fc)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Load(data)
		if err != nil {
			t.Fatalf("%s: Load(%s) = %v", name, data, err)
		}
		if want := firecrackerEquivalent(vm); !reflect.DeepEqual(got, want) {
			gj, _ := json.Marshal(got)
			wj, _ := json.Marshal(want)
			t.Errorf("%s: loaded back\n got %s\nwant %s", name, gj, wj)
		}
	}
}

func TestCloneIsDeep(t *testing.T) {
	f := newFiles(t)
	orig := fullVM(f)
	want, _ := json.Marshal(orig)
	c := orig.Clone()
	if !reflect.DeepEqual(c, orig) {
		t.Fatal("clone differs from the original")
	}
	c.ID = "other"
	c.Drives[0].DriveID = "x"
	c.Drives[0].RateLimiter.Bandwidth.Size = 1
	c.Drives[0].RateLimiter.Ops = nil
	c.NetworkInterfaces[0].HostDevName = "tapX"
	c.NetworkInterfaces[0].RxRateLimiter.Bandwidth.RefillTime = 1
	c.NetworkInterfaces[0].TxRateLimiter.Ops.Size = 1
	c.Vsock.UdsPath = "/x"
	c.Balloon.AmountMib = 1
	c.MMDS.NetworkInterfaces[0] = "x"
	c.MMDS.Metadata["new"] = "x"
	c.MMDS.Metadata["latest"].(map[string]any)["meta-data"].(map[string]any)["tags"].([]any)[0] = "z"
	c.Logger.Level = "Off"
	c.Metrics.MetricsPath = "/x"
	c.Entropy.RateLimiter.Bandwidth.Size = 1
	if got, _ := json.Marshal(orig); string(got) != string(want) {
		t.Errorf("changing the clone changed the original\n got %s\nwant %s", got, want)
	}
	if (&VM{}).Clone() == nil {
		t.Error("Clone of an empty VM is nil")
	}
}
