package simulator

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"code.foss.global/push.rocks/smartvm/api"
)

// syncBuffer is a goroutine-safe console.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// simRun is one in-process simulator under test.
type simRun struct {
	t       *testing.T
	sim     *Sim
	dir     string
	sock    string
	console *syncBuffer
	done    chan error
	cancel  context.CancelFunc
	client  *http.Client
}

const testTick = 20 * time.Millisecond

// startSim serves a Sim on a socket in a temporary directory until the test ends.
func startSim(t *testing.T, opts Options) *simRun {
	t.Helper()
	r := newRun(t, opts)
	r.serve()
	if !opts.NoSocket && !opts.NoAPI {
		if err := api.WaitSocket(context.Background(), r.sock, 10*time.Second, nil); err != nil {
			t.Fatalf("socket: %v", err)
		}
	}
	return r
}

func newRun(t *testing.T, opts Options) *simRun {
	t.Helper()
	dir := t.TempDir()
	if opts.SocketPath == "" {
		opts.SocketPath = filepath.Join(dir, "api.sock")
	}
	if opts.Tick == 0 {
		opts.Tick = testTick
	}
	console := &syncBuffer{}
	opts.Console = console
	sim, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	sock := opts.SocketPath
	client := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		}}, Timeout: 10 * time.Second}
	return &simRun{t: t, sim: sim, dir: dir, sock: sock, console: console,
		done: make(chan error, 1), client: client}
}

func (r *simRun) serve() {
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() { r.done <- r.sim.Serve(ctx) }()
	r.t.Cleanup(func() {
		cancel()
		r.client.CloseIdleConnections()
		select {
		case <-r.done:
		case <-time.After(10 * time.Second):
			r.t.Errorf("Serve did not return after cancel")
		}
	})
}

// call sends one request and returns the status and body.
func (r *simRun) call(method, path, body string) (int, string) {
	r.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, "http://localhost"+path, rd)
	if err != nil {
		r.t.Fatalf("request: %v", err)
	}
	resp, err := r.client.Do(req)
	if err != nil {
		r.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

// expect sends a request and checks its status, and its fault_message when want is set.
func (r *simRun) expect(method, path, body string, status int, fault string) string {
	r.t.Helper()
	got, data := r.call(method, path, body)
	if len(body) > 200 {
		body = body[:200] + "..."
	}
	if got != status {
		r.t.Fatalf("%s %s %s: status %d, want %d (body %s)", method, path, body, got, status,
			data)
	}
	if fault != "" {
		if msg := faultOf(r.t, data); msg != fault {
			r.t.Fatalf("%s %s %s:\n got fault %q\nwant fault %q", method, path, body, msg, fault)
		}
	}
	return data
}

func faultOf(t *testing.T, body string) string {
	t.Helper()
	var f struct {
		FaultMessage *string `json:"fault_message"`
	}
	if err := json.Unmarshal([]byte(body), &f); err != nil || f.FaultMessage == nil {
		t.Fatalf("no fault_message in %q", body)
	}
	return *f.FaultMessage
}

// waitConsole waits until the console holds want.
func (r *simRun) waitConsole(want string) {
	r.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(r.console.String(), want) {
		if time.Now().After(deadline) {
			r.t.Fatalf("console never showed %q; got %q", want, r.console.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitExit waits for Serve to return on its own.
func (r *simRun) waitExit() error {
	r.t.Helper()
	select {
	case err := <-r.done:
		r.done <- err // keep it for the cleanup
		return err
	case <-time.After(10 * time.Second):
		r.t.Fatalf("Serve did not return")
	}
	return nil
}

// fakeKernel writes a file with a little-endian ELF64 header.
func fakeKernel(t *testing.T, dir string) string {
	t.Helper()
	hdr := make([]byte, 64)
	copy(hdr, "\x7fELF\x02\x01\x01")
	p := filepath.Join(dir, "vmlinux")
	if err := os.WriteFile(p, hdr, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// boot configures a kernel and starts the VM.
func (r *simRun) boot(extra ...[3]string) {
	r.t.Helper()
	k := fakeKernel(r.t, r.dir)
	r.expect("PUT", "/boot-source", `{"kernel_image_path":"`+k+`"}`, 204, "")
	for _, e := range extra {
		r.expect(e[0], e[1], e[2], 204, "")
	}
	r.expect("PUT", "/actions", `{"action_type":"InstanceStart"}`, 204, "")
}

// tickLines returns the "tick N" numbers printed so far.
func tickLines(console string) []string {
	var out []string
	for _, l := range strings.Split(console, "\n") {
		if n, ok := strings.CutPrefix(l, "tick "); ok {
			out = append(out, n)
		}
	}
	return out
}
