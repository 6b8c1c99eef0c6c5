package simulator

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestVsockSocketLifecycle(t *testing.T) {
	r := startSim(t, Options{})
	m := profileFor(DefaultVersion).msgs
	a, b := filepath.Join(r.dir, "a.sock"), filepath.Join(r.dir, "b.sock")
	r.expect("PUT", "/vsock", `{"guest_cid":3,"uds_path":"`+a+`"}`, 204, "")
	if !socketExists(a) {
		t.Fatalf("vsock socket not created at PUT /vsock")
	}
	c, err := net.Dial("unix", a)
	if err != nil {
		t.Fatalf("vsock socket does not accept: %v", err)
	}
	c.Close()
	r.expect("PUT", "/vsock", `{"guest_cid":4,"uds_path":"`+b+`"}`, 204, "")
	if _, err := os.Stat(a); !os.IsNotExist(err) {
		t.Fatalf("replaced vsock socket should be removed: %v", err)
	}
	r.expect("PUT", "/vsock", `{"guest_cid":4,"uds_path":"`+r.sock+`"}`, 400,
		m.get("vsock_bind", "Address in use (os error 98)"))
	got := r.expect("GET", "/vm/config", "", 200, "")
	if !strings.Contains(got, `"vsock":null`) || socketExists(b) {
		t.Fatalf("a failed replacement leaves no vsock: %s", got)
	}
	r.expect("PUT", "/vsock", `{"guest_cid":4,"uds_path":"`+b+`"}`, 204, "")
	r.boot()
	r.expect("PUT", "/actions", `{"action_type":"SendCtrlAltDel"}`, 204, "")
	if err := r.waitExit(); err != nil {
		t.Fatal(err)
	}
	if !socketExists(b) {
		t.Fatalf("vsock socket should be left behind on exit")
	}
}

func TestMMDS(t *testing.T) {
	for _, v := range Versions() {
		r := startSim(t, Options{Version: v})
		m := profileFor(v).msgs
		r.expect("GET", "/mmds", "", 200, "")
		r.expect("PATCH", "/mmds", `{"a":1}`, 400, m["mmds_uninit"])
		r.expect("PUT", "/mmds", `{"a":{"b":1,"c":2},"d":[1]}`, 204, "")
		r.expect("PATCH", "/mmds", `{"a":{"b":null,"e":3},"d":{"x":true}}`, 204, "")
		if got := r.expect("GET", "/mmds", "", 200, ""); got !=
			`{"a":{"c":2,"e":3},"d":{"x":true}}` {
			t.Fatalf("%s: merged MMDS = %s", v, got)
		}
		r.expect("PUT", "/mmds", `{"big":"`+strings.Repeat("x", 50000)+`"}`, 204, "")
		r.expect("PATCH", "/mmds", `{"more":"`+strings.Repeat("x", 2000)+`"}`, 413,
			m["mmds_limit"])
		r.expect("PUT", "/mmds", `{"a":{"c":2,"e":3},"d":{"x":true}}`, 204, "")
		r.expect("PUT", "/mmds/config", `{"network_interfaces":[]}`, 400, m["mmds_empty"])
		r.expect("PUT", "/mmds/config", `{"network_interfaces":["eth0"]}`, 400,
			m["mmds_iface"])
		r.boot()
		want := 200
		if v == V1_16_1 {
			want = 400 // 1.16 serves MMDS only on an interface configured for it
		}
		r.expect("GET", "/mmds", "", want, "")
	}
}

func TestMMDSConfigAppearsInVMConfig(t *testing.T) {
	r := startSim(t, Options{Version: V1_16_1})
	m := profileFor(V1_16_1).msgs
	r.expect("PUT", "/network-interfaces/eth0", `{"iface_id":"eth0","host_dev_name":""}`,
		204, "")
	r.expect("PUT", "/mmds/config",
		`{"network_interfaces":["eth0"],"ipv4_address":"169.254.0.1"}`, 400, m["mmds_ip"])
	rep := r.expect("PUT", "/mmds/config", `{"network_interfaces":["eth0"]}`, 204, "")
	_ = rep
	got := r.expect("GET", "/vm/config", "", 200, "")
	want := `"mmds-config":{"version":"V1","network_interfaces":["eth0"],` +
		`"ipv4_address":"169.254.169.254","imds_compat":false}`
	if !strings.Contains(got, want) {
		t.Fatalf("vm config %s lacks %s", got, want)
	}
	r.boot()
	r.expect("PUT", "/mmds", `{"k":"v"}`, 204, "")
	r.expect("GET", "/mmds", "", 200, "")
}

func TestBalloonWithoutAndWithDriver(t *testing.T) {
	for _, driver := range []bool{false, true} {
		r := startSim(t, Options{Version: V1_14_2, BalloonDriver: driver})
		m := profileFor(V1_14_2).msgs
		r.expect("GET", "/balloon", "", 400, m["balloon_none"])
		r.expect("PUT", "/balloon", `{"amount_mib":129,"deflate_on_oom":true}`, 400,
			m["balloon_big"])
		r.boot([3]string{"PUT", "/balloon",
			`{"amount_mib":8,"deflate_on_oom":true,"stats_polling_interval_s":1}`})
		r.expect("PATCH", "/balloon/statistics", `{"stats_polling_interval_s":0}`, 400,
			m["balloon_stats_change"])
		if !driver {
			r.expect("PATCH", "/balloon", `{"amount_mib":4}`, 400, m["balloon_inactive"])
			got := r.expect("GET", "/balloon/statistics", "", 200, "")
			if got != `{"target_pages":2048,"actual_pages":0,"target_mib":8,"actual_mib":0}` {
				t.Fatalf("inactive balloon stats %s", got)
			}
			continue
		}
		r.expect("PATCH", "/balloon", `{"amount_mib":200}`, 400, m.get("balloon_too_big", 200))
		r.expect("PATCH", "/balloon", `{"amount_mib":4}`, 204, "")
		got := r.expect("GET", "/balloon/statistics", "", 200, "")
		if !strings.HasPrefix(got, `{"target_pages":1024,"actual_pages":1024,"target_mib":4,`) {
			t.Fatalf("balloon stats with a driver %s", got)
		}
	}
}

func TestLoggerAndMetricsFiles(t *testing.T) {
	dir := t.TempDir()
	logPath, metrics := filepath.Join(dir, "fc.log"), filepath.Join(dir, "metrics.json")
	r := startSim(t, Options{Version: V1_14_2, LogPath: logPath})
	r.expect("PUT", "/metrics", `{"metrics_path":"`+metrics+`"}`, 204, "")
	r.expect("PUT", "/metrics", `{"metrics_path":"`+metrics+`"}`, 400,
		profileFor(V1_14_2).msgs.get("metrics_init", "Reinitialization of metrics not allowed."))
	r.boot()
	r.expect("PUT", "/actions", `{"action_type":"FlushMetrics"}`, 204, "")
	data, err := os.ReadFile(metrics)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[1], `{"utc_timestamp_ms":`) {
		t.Fatalf("want a metrics line at start and one per flush, got %q", data)
	}
	logged, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Running Firecracker v1.14.2",
		`The API server received a Put request on "/actions" with body ` +
			`"{\"action_type\":\"FlushMetrics\"}".`,
		"Received Error. Status code: 400 Bad Request. Message: Metrics error"} {
		if !strings.Contains(string(logged), want) {
			t.Errorf("log lacks %q:\n%s", want, logged)
		}
	}
	// 1.7.0 opens log files without creating them.
	r = startSim(t, Options{Version: V1_7_0})
	r.expect("PUT", "/logger", `{"log_path":"`+filepath.Join(dir, "new.log")+`"}`, 400,
		profileFor(V1_7_0).msgs.get("logger_open", "No such file or directory (os error 2)"))
}

func TestDeviceRules(t *testing.T) {
	r := startSim(t, Options{Version: V1_14_2})
	m := profileFor(V1_14_2).msgs
	disk := fakeKernel(t, r.dir)
	root := `{"drive_id":"%s","is_root_device":true,"path_on_host":"` + disk + `"}`
	r.expect("PUT", "/drives/rootfs", strings.Replace(root, "%s", "rootfs", 1), 204, "")
	r.expect("PUT", "/drives/other", strings.Replace(root, "%s", "other", 1), 400,
		m["root_exists"])
	r.expect("PUT", "/drives/x", `{"drive_id":"x","is_root_device":false}`, 400,
		m["block_config"])
	r.expect("PUT", "/drives/x", `{"drive_id":"x","is_root_device":false,"path_on_host":"`+
		r.dir+`"}`, 400, m.get("block_file", "Is a directory (os error 21)", r.dir))
	r.expect("PUT", "/drives/a-b", `{}`, 400, m["invalid_id"])
	r.expect("PUT", "/drives/x", `{"drive_id":"y","is_root_device":false}`, 400,
		m["id_mismatch"])
	mac := `{"iface_id":"%s","host_dev_name":"","guest_mac":"06:00:AC:10:00:02"}`
	r.expect("PUT", "/network-interfaces/a", strings.Replace(mac, "%s", "a", 1), 204, "")
	r.expect("PUT", "/network-interfaces/b", strings.Replace(mac, "%s", "b", 1), 400,
		m.get("mac_in_use", "06:00:ac:10:00:02"))
	r.expect("PUT", "/network-interfaces/c", `{"iface_id":"c","host_dev_name":"`+
		strings.Repeat("t", 16)+`"}`, 400, m["tap_name"])
	r.expect("PUT", "/network-interfaces/c", `{"iface_id":"d","host_dev_name":""}`, 400,
		m.get("net_id_mismatch", "c", "d"))
}

func TestSerialOutputFile(t *testing.T) {
	r := startSim(t, Options{Version: V1_14_2})
	out := filepath.Join(r.dir, "serial.out")
	r.expect("PUT", "/serial", `{"serial_out_path":"`+out+`"}`, 204, "")
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatalf("the serial file is opened at start, not at PUT /serial: %v", err)
	}
	r.boot()
	deadline := time.Now().Add(10 * time.Second)
	for {
		data, _ := os.ReadFile(out)
		if strings.HasPrefix(string(data), "smartvm tiny guest\ntick 1\n") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("serial file holds %q", data)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if r.console.String() != "" {
		t.Fatalf("stdout should stay empty with a serial file, got %q", r.console.String())
	}
}
