package simulator

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	guestimg "code.foss.global/push.rocks/smartvm/internal/guest"
)

// confStep is one request; {dir} and {kernel} in path or body are replaced. statusOnly
// marks answers whose fault_message legitimately differs (the simulator's file checks are
// shallower than Firecracker's).
type confStep struct {
	method, path, body string
	statusOnly         bool
	pause              time.Duration // wait before sending
}

// conformanceCases run against the simulator and, when SMARTVM_TEST_FIRECRACKER names a
// Firecracker binary, against it too; answers must agree.
var conformanceCases = []struct {
	name  string
	steps []confStep
}{
	{"info", []confStep{{"GET", "/", "", false, 0}, {"GET", "/version", "", false, 0},
		{"GET", "/machine-config", "", false, 0}, {"GET", "/vm/config", "", false, 0},
		{"GET", "/balloon", "", false, 0}, {"GET", "/mmds", "", false, 0}}},
	{"bad requests", []confStep{{"GET", "/nope", "", false, 0},
		{"PUT", "/vm/config", "{}", false, 0}, {"GET", "/", "{}", false, 0},
		{"PUT", "/machine-config", "", false, 0}, {"PATCH", "/machine-config", "{}", false, 0},
		{"PUT", "/machine-config", `{"vcpu_count":1,"mem_size_mib":64,"x":1}`, false, 0},
		{"PUT", "/machine-config", `{"vcpu_count":256,"mem_size_mib":64}`, false, 0},
		{"PUT", "/machine-config", `{"vcpu_count":3,"mem_size_mib":64,"smt":true}`, false, 0},
		{"PUT", "/machine-config", `{"vcpu_count":1,`, false, 0},
		{"PUT", "/vsock", `{"guest_cid":4294967296,"uds_path":"x"}`, false, 0},
		{"PUT", "/balloon", `{"amount_mib":1,"deflate_on_oom":false,` +
			`"stats_polling_interval_s":65536}`, false, 0},
		{"PUT", "/drives/", `{}`, false, 0}, {"PUT", "/drives/a-b", `{}`, false, 0},
		{"PUT", "/drives/a", `{"drive_id":"b","is_root_device":false}`, false, 0},
		{"PUT", "/network-interfaces/a", `{"iface_id":"b","host_dev_name":"t"}`, false, 0},
		{"PUT", "/actions", `{"action_type":"Bogus"}`, false, 0},
		{"PUT", "/snapshot/load", `{"snapshot_path":"/x"}`, false, 0}}},
	{"pre-boot refusals", []confStep{
		{"PATCH", "/vm", `{"state":"Paused"}`, false, 0},
		{"PUT", "/actions", `{"action_type":"SendCtrlAltDel"}`, false, 0},
		{"PUT", "/actions", `{"action_type":"FlushMetrics"}`, false, 0},
		{"PUT", "/actions", `{"action_type":"InstanceStart"}`, false, 0},
		{"PUT", "/snapshot/create", `{"snapshot_path":"{dir}/s","mem_file_path":"{dir}/m"}`,
			false, 0},
		{"PATCH", "/balloon", `{"amount_mib":1}`, false, 0},
		{"PATCH", "/drives/x", `{"drive_id":"x"}`, false, 0}}},
	{"mmds and vsock", []confStep{{"PATCH", "/mmds", `{"a":1}`, false, 0},
		{"PUT", "/mmds", `{"a":{"b":1},"c":[1.5]}`, false, 0},
		{"PATCH", "/mmds", `{"a":{"b":null,"d":2}}`, false, 0}, {"GET", "/mmds", "", false, 0},
		{"PUT", "/vsock", `{"guest_cid":3,"uds_path":"{dir}/v.sock"}`, false, 0},
		{"PUT", "/vsock", `{"guest_cid":3,"uds_path":"{dir}/api.sock"}`, false, 0},
		{"PUT", "/snapshot/load", `{"snapshot_path":"{dir}/s","mem_file_path":"{dir}/m"}`,
			false, 0}}},
	{"lifecycle", []confStep{
		{"PUT", "/machine-config", `{"vcpu_count":1,"mem_size_mib":32}`, false, 0},
		{"PUT", "/boot-source", `{"kernel_image_path":"{kernel}"}`, false, 0},
		{"PUT", "/actions", `{"action_type":"InstanceStart"}`, false, 0},
		{"GET", "/", "", false, 0},
		{"PUT", "/actions", `{"action_type":"InstanceStart"}`, false, 0},
		{"PUT", "/boot-source", `{"kernel_image_path":"{kernel}"}`, false, 0},
		{"PATCH", "/machine-config", `{"vcpu_count":2}`, false, 0},
		{"PUT", "/snapshot/create", `{"snapshot_path":"{dir}/s","mem_file_path":"{dir}/m"}`,
			false, 0},
		{"PATCH", "/vm", `{"state":"Paused"}`, false, 0}, {"GET", "/", "", false, 0},
		{"PUT", "/snapshot/create", `{"snapshot_path":"{dir}/s","mem_file_path":"{dir}/m"}`,
			false, 0},
		{"PATCH", "/vm", `{"state":"Resumed"}`, false, 0},
		{"PUT", "/actions", `{"action_type":"FlushMetrics"}`, false, 0},
		{"PUT", "/actions", `{"action_type":"SendCtrlAltDel"}`, false, 0}}},
}

type confAnswer struct {
	status int
	fault  string
}

func TestConformance(t *testing.T) {
	env := os.Getenv("SMARTVM_TEST_FIRECRACKER")
	if env == "" {
		t.Log("SMARTVM_TEST_FIRECRACKER is not set: checking the simulator only, " +
			"without comparing against a real Firecracker")
		conformance(t, "")
		return
	}
	for _, real := range strings.Split(env, ":") { // one path or several
		t.Run(filepath.Base(real), func(t *testing.T) { conformance(t, real) })
	}
}

// conformance runs every case on the simulator and, when real is not empty, on the real
// Firecracker binary real, comparing the answers.
func conformance(t *testing.T, real string) {
	version := DefaultVersion
	if real != "" {
		version = realVersion(t, real)
	}
	kernel := filepath.Join(t.TempDir(), "tinyguest.elf")
	if err := os.WriteFile(kernel, guestimg.ELF, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range conformanceCases {
		t.Run(c.name, func(t *testing.T) {
			sim := runConformance(t, c.steps, kernel, func(dir string) string {
				r := newRunIn(t, dir, Options{Version: version})
				r.serve()
				waitDial(t, r.sock)
				return r.sock
			})
			for i, a := range sim {
				if a.status == 0 {
					t.Fatalf("simulator gave no answer to step %d", i)
				}
			}
			if real == "" {
				return
			}
			fc := runConformance(t, c.steps, kernel, func(dir string) string {
				return startFirecracker(t, real, dir)
			})
			for i, s := range c.steps {
				if fc[i].status == 0 {
					t.Fatalf("Firecracker gave no answer to %s %s", s.method, s.path)
				}
				same := sim[i].status == fc[i].status &&
					(s.statusOnly || sim[i].fault == fc[i].fault)
				if !same {
					t.Errorf("%s %s %s:\n firecracker %d %q\n simulator   %d %q", s.method,
						s.path, s.body, fc[i].status, fc[i].fault, sim[i].status, sim[i].fault)
				}
			}
		})
	}
}

// runConformance starts a process with start (which returns its API socket) and sends
// the steps, recording each answer with the directory replaced by "{dir}".
func runConformance(t *testing.T, steps []confStep, kernel string,
	start func(dir string) string) []confAnswer {
	dir := t.TempDir()
	sock := start(dir)
	client := unixClient(sock)
	defer client.CloseIdleConnections()
	out := make([]confAnswer, len(steps))
	for i, s := range steps {
		time.Sleep(s.pause)
		fill := strings.NewReplacer("{dir}", dir, "{kernel}", kernel)
		status, body := send(client, s.method, fill.Replace(s.path), fill.Replace(s.body))
		fault := ""
		if status >= 400 {
			fault = strings.ReplaceAll(faultOf(t, body), dir, "{dir}")
		}
		out[i] = confAnswer{status: status, fault: fault}
	}
	return out
}

func unixClient(sock string) *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		}}}
}

// send returns the status and body, or status 0 when the process did not answer.
func send(c *http.Client, method, path, body string) (int, string) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, "http://localhost"+path, rd)
	if err != nil {
		return 0, err.Error()
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

// newRunIn is newRun with the socket in dir.
func newRunIn(t *testing.T, dir string, opts Options) *simRun {
	opts.SocketPath = filepath.Join(dir, "api.sock")
	return newRun(t, opts)
}

var versionLine = regexp.MustCompile(`Firecracker v(\d+)\.(\d+)\.(\d+)`)

// realVersion asks the binary for its version and picks the simulator version with the
// same major.minor.
func realVersion(t *testing.T, bin string) Version {
	out, err := exec.Command(bin, "--version").Output()
	m := versionLine.FindStringSubmatch(string(out))
	if err != nil || m == nil {
		t.Fatalf("%s --version: %v %q", bin, err, out)
	}
	for _, v := range Versions() {
		if strings.HasPrefix(string(v), m[1]+"."+m[2]+".") {
			if string(v) != m[1]+"."+m[2]+"."+m[3] {
				t.Logf("comparing Firecracker v%s.%s.%s with simulator %s", m[1], m[2], m[3], v)
			}
			return v
		}
	}
	t.Skipf("no simulator version for Firecracker v%s.%s.%s", m[1], m[2], m[3])
	return ""
}

// startFirecracker runs the real binary on dir/api.sock until the test ends.
func startFirecracker(t *testing.T, bin, dir string) string {
	sock, logPath := filepath.Join(dir, "api.sock"), filepath.Join(dir, "fc.log")
	if err := os.WriteFile(logPath, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--api-sock", sock, "--log-path", logPath)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	waitDial(t, sock)
	return sock
}

// waitDial waits until sock accepts connections.
func waitDial(t *testing.T, sock string) {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.Dial("unix", sock); err == nil {
			c.Close()
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("nothing listens on %s", sock)
}
