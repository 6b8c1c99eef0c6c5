package simulator

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// rawExchange writes data on a fresh connection and reads until the peer has been quiet
// for a moment.
func rawExchange(t *testing.T, sock, data string) string {
	t.Helper()
	c, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, data); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	buf := make([]byte, 4096)
	for {
		_ = c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		n, err := c.Read(buf)
		out.Write(buf[:n])
		if err != nil {
			return out.String()
		}
	}
}

// Byte-exact answers captured from Firecracker 1.14.2.
func TestHTTPWireFormat(t *testing.T) {
	r := startSim(t, Options{Version: V1_14_2})
	cases := []struct{ req, want string }{
		{"GET /version HTTP/1.1\r\n\r\n", "HTTP/1.1 200 \r\nServer: Firecracker API\r\n" +
			"Connection: keep-alive\r\nContent-Type: application/json\r\nContent-Length: 32" +
			"\r\n\r\n{\"firecracker_version\":\"1.14.2\"}"},
		{"PUT /mmds HTTP/1.1\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\n{}",
			"HTTP/1.1 204 \r\nServer: Firecracker API\r\nConnection: keep-alive\r\n\r\n"},
		{"DELETE / HTTP/1.1\r\n\r\n", "HTTP/1.1 400 \r\nServer: Firecracker API\r\n" +
			"Connection: keep-alive\r\nContent-Type: application/json\r\nContent-Length: 110" +
			"\r\n\r\n{ \"error\": \"Invalid HTTP Method: Unsupported HTTP method.\n" +
			"All previous unanswered requests will be dropped.\" }"},
		{"GET / HTTP/2.0\r\n\r\n", "HTTP/1.1 400 \r\nServer: Firecracker API\r\n" +
			"Connection: keep-alive\r\nContent-Type: application/json\r\nContent-Length: 112" +
			"\r\n\r\n{ \"error\": \"Invalid HTTP Version: Unsupported HTTP version.\n" +
			"All previous unanswered requests will be dropped.\" }"},
		{"GET /machine-config HTTP/1.1\r\n\r\nGET /version HTTP/1.0\r\n\r\n",
			"HTTP/1.1 200 \r\nServer: Firecracker API\r\nConnection: keep-alive\r\n" +
				"Content-Type: application/json\r\nContent-Length: 93\r\n\r\n{\"vcpu_count\":1," +
				"\"mem_size_mib\":128,\"smt\":false,\"track_dirty_pages\":false,\"huge_pages\":" +
				"\"None\"}HTTP/1.1 200 \r\nServer: Firecracker API\r\nConnection: keep-alive\r\n" +
				"Content-Type: application/json\r\nContent-Length: 32\r\n\r\n" +
				"{\"firecracker_version\":\"1.14.2\"}"},
		{"PUT /actions HTTP/1.1\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n{}",
			"HTTP/1.1 100 \r\nServer: Firecracker API\r\nConnection: keep-alive\r\n\r\n" +
				"HTTP/1.1 400 \r\nServer: Firecracker API\r\nConnection: keep-alive\r\n" +
				"Content-Type: application/json\r\nContent-Length: 132\r\n\r\n" +
				"{\"fault_message\":" +
				"\"An error occurred when deserializing the json body of a request: missing " +
				"field `action_type` at line 1 column 2.\"}"},
		{"PUT /vsock HTTP/1.1\r\nContent-Length: 46\r\n\r\n" +
			`{"vsock_id":"v","guest_cid":3,"uds_path":"v1"}`,
			"HTTP/1.1 204 \r\nServer: Firecracker API\r\nConnection: keep-alive\r\n" +
				"Deprecation: true\r\n\r\n"},
	}
	wd, _ := os.Getwd()
	if err := os.Chdir(r.dir); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	for _, c := range cases {
		if got := rawExchange(t, r.sock, c.req); got != c.want {
			t.Errorf("%q:\n got %q\nwant %q", c.req, got, c.want)
		}
	}
	big := `{"a":"` + strings.Repeat("x", 52000) + `"}`
	got := rawExchange(t, r.sock, "PUT /mmds HTTP/1.1\r\nContent-Length: 52008\r\n\r\n"+big)
	if !strings.Contains(got, "Request payload with size 52008 is larger than the limit of "+
		"51200 allowed by server.") {
		t.Errorf("oversized body: %q", got[:min(len(got), 300)])
	}
}

func TestRoutingRulesPerVersion(t *testing.T) {
	cases := []struct {
		v                  Version
		method, path, body string
		status             int
		fault              string
	}{
		{V1_14_2, "GET", "/nope", "", 400, "Invalid request method and/or path: GET nope."},
		{V1_14_2, "PUT", "/vm/config", "{}", 400, "Invalid request method and/or path: PUT vm."},
		{V1_14_2, "GET", "/", "{}", 400, "GET request cannot have a body."},
		{V1_14_2, "PUT", "/machine-config", "", 400, "Empty PUT request."},
		{V1_14_2, "PUT", "/drives/", `{}`, 400, "The ID cannot be empty."},
		{V1_14_2, "PUT", "/snapshot/foo", `{}`, 400,
			"Invalid request method and/or path: PUT /snapshot/foo."},
		{V1_14_2, "GET", "/balloon/hinting/foo", "", 400,
			"Unrecognized GET request path `/hinting/foo`."},
		{V1_7_0, "GET", "/balloon/hinting/status", "", 400,
			"Unrecognized GET request path `hinting`."},
		{V1_7_0, "PUT", "/serial", `{}`, 400, "Invalid request method and/or path: PUT serial."},
		{V1_14_2, "PUT", "/serial", `{}`, 204, ""},
		{V1_14_2, "GET", "/version/x", "", 200, ""},
		{V1_16_1, "DELETE", "/drives/d", "", 400,
			"The requested operation is not supported before starting the microVM."},
		{V1_16_1, "PUT", "/network-interfaces/n", `{"iface_id":"n","host_dev_name":"",` +
			`"mtu":1500}`, 204, ""},
		{V1_14_2, "PUT", "/network-interfaces/n", `{"iface_id":"n","host_dev_name":"",` +
			`"mtu":1500}`, 400, "An error occurred when deserializing the json body of a " +
			"request: unknown field `mtu`, expected one of `iface_id`, `host_dev_name`, " +
			"`guest_mac`, `rx_rate_limiter`, `tx_rate_limiter` at line 1 column 40."},
	}
	for _, c := range cases {
		r := startSim(t, Options{Version: c.v})
		r.expect(c.method, c.path, c.body, c.status, c.fault)
	}
}

func TestSimulatorSwitches(t *testing.T) {
	r := startSim(t, Options{Fail: []string{"PUT /machine-config", "GET /balloon*"},
		Delay: time.Millisecond})
	r.expect("PUT", "/machine-config", `{"vcpu_count":1,"mem_size_mib":64}`, 400,
		"Injected failure (simulator): PUT /machine-config")
	r.expect("GET", "/balloon/statistics", "", 400,
		"Injected failure (simulator): GET /balloon/statistics")
	r.expect("GET", "/machine-config", "", 200, "")

	crash := startSim(t, Options{CrashAt: 2})
	crash.expect("GET", "/", "", 200, "")
	if _, err := crash.client.Get("http://localhost/"); err == nil {
		t.Fatalf("the crashing request got an answer")
	}
	var ee *ExitError
	if err := crash.waitExit(); !errors.As(err, &ee) || ee.Code != 1 {
		t.Fatalf("crash-at: Serve = %v", err)
	}

	dir := t.TempDir()
	sock := filepath.Join(dir, "api.sock")
	s, err := New(Options{SocketPath: sock, NoSocket: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := s.Serve(ctx); !errors.Is(err, context.DeadlineExceeded) || socketExists(sock) {
		t.Fatalf("no-socket: Serve = %v, socket exists %v", err, socketExists(sock))
	}
	s, _ = New(Options{SocketPath: sock, CrashAtStart: true})
	if err := s.Serve(context.Background()); !errors.As(err, &ee) || !socketExists(sock) {
		t.Fatalf("crash at start: Serve = %v, socket exists %v", err, socketExists(sock))
	}
}
