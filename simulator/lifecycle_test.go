package simulator

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestConsoleTicksPauseResumeAndCtrlAltDel(t *testing.T) {
	r := startSim(t, Options{})
	r.expect("GET", "/", "", 200, "")
	r.boot()
	r.waitConsole("tick 2\n")
	if !strings.HasPrefix(r.console.String(), "smartvm tiny guest\ntick 1\ntick 2\n") {
		t.Fatalf("console starts with %q", r.console.String())
	}
	r.expect("PATCH", "/vm", `{"state":"Paused"}`, 204, "")
	if got := r.expect("GET", "/", "", 200, ""); !strings.Contains(got, `"state":"Paused"`) {
		t.Fatalf("instance info while paused: %s", got)
	}
	paused := len(tickLines(r.console.String()))
	time.Sleep(5 * testTick)
	if n := len(tickLines(r.console.String())); n != paused {
		t.Fatalf("ticks went on while paused: %d -> %d", paused, n)
	}
	// Ctrl-Alt-Del is accepted while paused and handled once the vCPUs run again.
	r.expect("PUT", "/actions", `{"action_type":"SendCtrlAltDel"}`, 204, "")
	r.expect("PATCH", "/vm", `{"state":"Resumed"}`, 204, "")
	if err := r.waitExit(); err != nil {
		t.Fatalf("Serve after Ctrl-Alt-Del: %v", err)
	}
	lines := strings.Split(strings.TrimSuffix(r.console.String(), "\n"), "\n")
	if lines[len(lines)-1] != "bye" {
		t.Fatalf("console does not end with bye: %q", r.console.String())
	}
	for i, n := range tickLines(r.console.String()) {
		if n != strconv.Itoa(i+1) {
			t.Fatalf("tick %d printed as %q: %q", i+1, n, r.console.String())
		}
	}
	if _, err := os.Stat(r.sock); err != nil {
		t.Fatalf("API socket should be left behind: %v", err)
	}
}

func TestIgnoredCtrlAltDelKeepsRunning(t *testing.T) {
	r := startSim(t, Options{IgnoreCtrlAltDel: true})
	r.boot()
	r.expect("PUT", "/actions", `{"action_type":"SendCtrlAltDel"}`, 204, "")
	n := len(tickLines(r.console.String()))
	r.waitConsole("tick " + strconv.Itoa(n+3) + "\n")
	if strings.Contains(r.console.String(), "bye") {
		t.Fatalf("guest said bye although it ignores Ctrl-Alt-Del")
	}
	r.expect("GET", "/", "", 200, "")
}

func TestStartRules(t *testing.T) {
	for _, v := range Versions() {
		t.Run(string(v), func(t *testing.T) {
			r := startSim(t, Options{Version: v})
			m := profileFor(v).msgs
			r.expect("PUT", "/actions", `{"action_type":"InstanceStart"}`, 400, m["no_kernel"])
			r.expect("PUT", "/actions", `{"action_type":"SendCtrlAltDel"}`, 400, m["pre_boot"])
			r.expect("PATCH", "/vm", `{"state":"Paused"}`, 400, m["pre_boot"])
			r.expect("PUT", "/actions", `{"action_type":"FlushMetrics"}`, 400, m["pre_boot"])
			bad := filepath.Join(r.dir, "empty")
			if err := os.WriteFile(bad, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			r.expect("PUT", "/boot-source", `{"kernel_image_path":"`+bad+`"}`, 204, "")
			want := m.get("kernel_elf", "Unable to read elf header")
			r.expect("PUT", "/actions", `{"action_type":"InstanceStart"}`, 400, want)
			r.boot()
			post := m["post_boot"]
			r.expect("PUT", "/actions", `{"action_type":"InstanceStart"}`, 400, post)
			for _, c := range [][2]string{
				{"/boot-source", `{"kernel_image_path":"/x"}`},
				{"/machine-config", `{"vcpu_count":1,"mem_size_mib":64}`},
				{"/logger", `{"level":"Info"}`},
				{"/vsock", `{"guest_cid":3,"uds_path":"/x"}`},
				{"/balloon", `{"amount_mib":1,"deflate_on_oom":false}`},
				{"/snapshot/load", `{"snapshot_path":"/x","mem_file_path":"/y"}`},
			} {
				r.expect("PUT", c[0], c[1], 400, post)
			}
			r.expect("PATCH", "/machine-config", `{"vcpu_count":2}`, 400, post)
			r.expect("PUT", "/actions", `{"action_type":"FlushMetrics"}`, 204, "")
		})
	}
}

func TestDrivesAfterBootPerVersion(t *testing.T) {
	for v, want := range map[Version]string{V1_14_2: "post_boot", V1_16_1: "pci_off"} {
		r := startSim(t, Options{Version: v})
		r.boot()
		r.expect("PUT", "/drives/d", `{"drive_id":"d","is_root_device":false,"path_on_host":"`+
			r.sock+`"}`, 400, profileFor(v).msgs[want])
	}
}

func TestServeEndsWithContextAndKeepsSocket(t *testing.T) {
	r := newRun(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.sim.Serve(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for !socketExists(r.sock) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Serve = %v, want context.Canceled", err)
	}
	if !socketExists(r.sock) {
		t.Fatalf("socket file removed on exit")
	}
	// A second process on the same path fails like Firecracker: the file is in the way.
	again, err := New(Options{SocketPath: r.sock})
	if err != nil {
		t.Fatal(err)
	}
	var ee *ExitError
	if err := again.Serve(context.Background()); !errors.As(err, &ee) || ee.Code != 1 ||
		!strings.Contains(ee.Message, "FailedToBindSocket") {
		t.Fatalf("Serve on a used path = %v", err)
	}
}

func TestConfigFileStartsAtOnce(t *testing.T) {
	dir := t.TempDir()
	k := fakeKernel(t, dir)
	cfg := filepath.Join(dir, "vm.json")
	body := `{"boot-source":{"kernel_image_path":"` + k + `"},"drives":[],` +
		`"machine-config":{"vcpu_count":2,"mem_size_mib":64},"unknown-section":1}`
	if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, noAPI := range []bool{false, true} {
		r := newRun(t, Options{ConfigFile: cfg, NoAPI: noAPI})
		r.serve()
		r.waitConsole("tick 1\n")
		if !noAPI {
			got := r.expect("GET", "/machine-config", "", 200, "")
			if !strings.Contains(got, `"vcpu_count":2`) {
				t.Fatalf("machine config %s", got)
			}
			r.expect("PUT", "/actions", `{"action_type":"InstanceStart"}`, 400,
				profileFor(DefaultVersion).msgs["post_boot"])
		}
	}
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"boot-source":{"kernel_image_path":"/x"}}`),
		0o644); err != nil {
		t.Fatal(err)
	}
	r := newRun(t, Options{ConfigFile: bad})
	var ee *ExitError
	if err := r.sim.Serve(context.Background()); !errors.As(err, &ee) || ee.Code != 1 ||
		!strings.Contains(ee.Message, "missing field `drives`") {
		t.Fatalf("bad config file: %v", err)
	}
}
