package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"code.foss.global/push.rocks/smartvm/errdefs"
)

func ptr[T any](v T) *T { return &v }

func TestRequestBytes(t *testing.T) {
	tests := []struct {
		name   string
		call   func(context.Context, *Client) error
		method string
		path   string
		body   string // "" means no body and no Content-Type
	}{
		{
			name: "machine config without smt",
			call: func(ctx context.Context, c *Client) error {
				return c.Put(ctx, "/machine-config",
					MachineConfiguration{VcpuCount: 2, MemSizeMib: 256})
			},
			method: "PUT", path: "/machine-config",
			body: `{"vcpu_count":2,"mem_size_mib":256}`,
		},
		{
			name: "machine config with every field",
			call: func(ctx context.Context, c *Client) error {
				return c.Put(ctx, "/machine-config", MachineConfiguration{VcpuCount: 4,
					MemSizeMib: 1024, Smt: ptr(false), CPUTemplate: "T2",
					TrackDirtyPages: ptr(true), HugePages: "2M"})
			},
			method: "PUT", path: "/machine-config",
			body: `{"vcpu_count":4,"mem_size_mib":1024,"smt":false,"cpu_template":"T2",` +
				`"track_dirty_pages":true,"huge_pages":"2M"}`,
		},
		{
			name: "drive with read-only false",
			call: func(ctx context.Context, c *Client) error {
				return c.Put(ctx, "/drives/rootfs", Drive{DriveID: "rootfs",
					IsRootDevice: true, PathOnHost: "/img/root.ext4", IsReadOnly: ptr(false)})
			},
			method: "PUT", path: "/drives/rootfs",
			body: `{"drive_id":"rootfs","is_root_device":true,` +
				`"path_on_host":"/img/root.ext4","is_read_only":false}`,
		},
		{
			name: "drive with rate limiter",
			call: func(ctx context.Context, c *Client) error {
				return c.Put(ctx, "/drives/d1", Drive{DriveID: "d1", PathOnHost: "/d",
					IsReadOnly: ptr(true), RateLimiter: &RateLimiter{
						Bandwidth: &TokenBucket{Size: 1000, RefillTime: 100,
							OneTimeBurst: ptr(int64(5))},
						Ops: &TokenBucket{Size: 0, RefillTime: 0}}})
			},
			method: "PUT", path: "/drives/d1",
			body: `{"drive_id":"d1","is_root_device":false,"path_on_host":"/d",` +
				`"is_read_only":true,"rate_limiter":{"bandwidth":{"size":1000,` +
				`"refill_time":100,"one_time_burst":5},"ops":{"size":0,"refill_time":0}}}`,
		},
		{
			name: "patch vm",
			call: func(ctx context.Context, c *Client) error {
				return c.Patch(ctx, "/vm", VM{State: VMStatePaused})
			},
			method: "PATCH", path: "/vm", body: `{"state":"Paused"}`,
		},
		{
			name: "action",
			call: func(ctx context.Context, c *Client) error {
				return c.Put(ctx, "/actions", InstanceActionInfo{ActionType: ActionInstanceStart})
			},
			method: "PUT", path: "/actions", body: `{"action_type":"InstanceStart"}`,
		},
		{
			name: "raw bytes sent as they are",
			call: func(ctx context.Context, c *Client) error {
				return c.Put(ctx, "/mmds", []byte(`{"a": 1}`))
			},
			method: "PUT", path: "/mmds", body: `{"a": 1}`,
		},
		{
			name: "json.RawMessage sent as it is",
			call: func(ctx context.Context, c *Client) error {
				return c.Patch(ctx, "/mmds", json.RawMessage(`{"b" :[true]}`))
			},
			method: "PATCH", path: "/mmds", body: `{"b" :[true]}`,
		},
		{
			name: "map body",
			call: func(ctx context.Context, c *Client) error {
				return c.Put(ctx, "/mmds", map[string]any{"z": 1, "a": "x"})
			},
			method: "PUT", path: "/mmds", body: `{"a":"x","z":1}`,
		},
		{
			name: "get has no body",
			call: func(ctx context.Context, c *Client) error {
				return c.Get(ctx, "/machine-config", nil)
			},
			method: "GET", path: "/machine-config",
		},
		{
			name: "do with nil body",
			call: func(ctx context.Context, c *Client) error {
				return c.Do(ctx, http.MethodPatch, "/balloon/hinting/start", nil, nil, 0)
			},
			method: "PATCH", path: "/balloon/hinting/start",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fc := newFakeFC(t, nil)
			c := NewClient(fc.path)
			defer c.Close()
			if err := tt.call(context.Background(), c); err != nil {
				t.Fatalf("request failed: %v", err)
			}
			got := fc.only(t)
			if got.Method != tt.method || got.Path != tt.path {
				t.Errorf("request line %s %s, want %s %s", got.Method, got.Path, tt.method, tt.path)
			}
			if string(got.Body) != tt.body {
				t.Errorf("body\n%s\nwant\n%s", got.Body, tt.body)
			}
			wantType := ""
			if tt.body != "" {
				wantType = "application/json"
			}
			if got.ContentType != wantType {
				t.Errorf("Content-Type %q, want %q", got.ContentType, wantType)
			}
			if got.Accept != "application/json" {
				t.Errorf("Accept %q, want application/json", got.Accept)
			}
		})
	}
}

func TestAPIErrorAnswers(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		body      string
		wantFault string
	}{
		{"fault json", 400, `{"fault_message":"The requested operation is not supported ` +
			`after starting the microVM."}`,
			"The requested operation is not supported after starting the microVM."},
		{"non-json body", 500, "internal oops\n", "internal oops"},
		{"json without fault message", 400, `{"error":"x"}`, `{"error":"x"}`},
		{"empty body", 404, "", ""},
		{"empty body unknown status", 599, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fc := newFakeFC(t, answer(tt.status, tt.body))
			c := NewClient(fc.path)
			defer c.Close()
			err := c.Put(context.Background(), "/drives/rootfs", Drive{DriveID: "rootfs"})
			var e *errdefs.Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v (%T), want *errdefs.Error", err, err)
			}
			if e.Code != errdefs.APIError || e.StatusCode != tt.status {
				t.Errorf("code %s status %d, want API_ERROR %d", e.Code, e.StatusCode, tt.status)
			}
			if got := e.Details["fault_message"]; got != tt.wantFault {
				t.Errorf("fault_message %q, want %q", got, tt.wantFault)
			}
			if FaultMessage(fmt.Errorf("boot: %w", err)) != tt.wantFault {
				t.Errorf("FaultMessage = %q, want %q", FaultMessage(err), tt.wantFault)
			}
			if !strings.Contains(e.Message, "PUT /drives/rootfs") {
				t.Errorf("message %q does not name the request", e.Message)
			}
			if strings.HasSuffix(e.Message, ": ") || e.Message == "" {
				t.Errorf("message %q ends without a reason", e.Message)
			}
			if tt.wantFault == "" {
				if _, ok := e.Details["fault_message"]; ok {
					t.Errorf("empty fault_message detail set: %v", e.Details)
				}
			}
		})
	}
}

func TestLongFaultTruncated(t *testing.T) {
	long := strings.Repeat("x", 5000)
	fc := newFakeFC(t, answer(400, `{"fault_message":"`+long+`"}`))
	c := NewClient(fc.path)
	err := c.Get(context.Background(), "/", nil)
	fault := FaultMessage(err)
	if len(fault) >= len(long) || !strings.HasPrefix(fault, "xxxx") {
		t.Errorf("fault_message of %d bytes not truncated: %d bytes", len(long), len(fault))
	}
}

func TestLongFaultKeepsUTF8(t *testing.T) {
	long := "a" + strings.Repeat("é", 3000) // the 1024 byte cut falls inside a rune
	fc := newFakeFC(t, answer(400, `{"fault_message":"`+long+`"}`))
	c := NewClient(fc.path)
	err := c.Get(context.Background(), "/", nil)
	fault := FaultMessage(err)
	if !utf8.ValidString(fault) || !utf8.ValidString(err.Error()) {
		t.Errorf("truncated fault is not valid UTF-8: %q", fault[len(fault)-8:])
	}
	if !strings.HasSuffix(fault, "é…") {
		t.Errorf("truncated fault ends %q", fault[len(fault)-8:])
	}
}

func TestFaultMessageOfOtherErrors(t *testing.T) {
	if got := FaultMessage(errors.New("x")); got != "" {
		t.Errorf("FaultMessage(plain) = %q", got)
	}
	if got := FaultMessage(nil); got != "" {
		t.Errorf("FaultMessage(nil) = %q", got)
	}
}

// hang returns a handler that never answers until the request is abandoned or the test
// ends.
func hang(t *testing.T) http.HandlerFunc {
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) })
	return func(_ http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-stop:
		}
	}
}

func TestTimeoutNoAnswer(t *testing.T) {
	fc := newFakeFC(t, hang(t))
	c := NewClient(fc.path)
	c.Timeout = 50 * time.Millisecond
	err := c.Put(context.Background(), "/actions", InstanceActionInfo{ActionType: "x"})
	if errdefs.CodeOf(err) != errdefs.APITimeout {
		t.Fatalf("err = %v, want API_TIMEOUT", err)
	}
	if !strings.Contains(err.Error(), "PUT /actions") {
		t.Errorf("error %q does not name the request", err)
	}
}

func TestTimeoutPerRequest(t *testing.T) {
	fc := newFakeFC(t, hang(t))
	c := NewClient(fc.path)
	c.Timeout = time.Hour // must not apply: Do gets its own timeout
	err := c.Do(context.Background(), http.MethodPut, "/snapshot/create",
		SnapshotCreateParams{SnapshotPath: "/s", MemFilePath: "/m"}, nil, 50*time.Millisecond)
	if errdefs.CodeOf(err) != errdefs.APITimeout {
		t.Fatalf("err = %v, want API_TIMEOUT", err)
	}
}

func TestTimeoutDuringBody(t *testing.T) {
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) })
	fc := newFakeFC(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100")
		w.WriteHeader(200)
		w.Write([]byte(`{"app_name"`))
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-stop:
		}
	})
	c := NewClient(fc.path)
	c.Timeout = 50 * time.Millisecond
	var info InstanceInfo
	err := c.Get(context.Background(), "/", &info)
	if errdefs.CodeOf(err) != errdefs.APITimeout {
		t.Fatalf("err = %v, want API_TIMEOUT", err)
	}
}

func TestCallerContextCancelled(t *testing.T) {
	fc := newFakeFC(t, hang(t))
	c := NewClient(fc.path)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		time.Sleep(20 * time.Millisecond)
		cancel()
	}()
	err := c.Get(ctx, "/", nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want one wrapping context.Canceled", err)
	}
	if errdefs.CodeOf(err) == "" {
		t.Errorf("err = %v, want an *errdefs.Error", err)
	}
}

func TestSocketMissing(t *testing.T) {
	path := socketPath(t)
	c := NewClient(path)
	if c.SocketPath() != path {
		t.Errorf("SocketPath() = %q, want %q", c.SocketPath(), path)
	}
	err := c.Get(context.Background(), "/", nil)
	if errdefs.CodeOf(err) != errdefs.SocketRequestFailed {
		t.Fatalf("err = %v, want SOCKET_REQUEST_FAILED", err)
	}
	if !strings.Contains(err.Error(), path) {
		t.Errorf("error %q does not name the socket", err)
	}
}

func TestEncodeFailure(t *testing.T) {
	fc := newFakeFC(t, nil)
	c := NewClient(fc.path)
	hooked := false
	c.Hook = func(string, string, []byte) { hooked = true }
	err := c.Put(context.Background(), "/mmds", map[string]any{"f": func() {}})
	if errdefs.CodeOf(err) != errdefs.InvalidConfig {
		t.Fatalf("err = %v, want INVALID_CONFIG", err)
	}
	if n := len(fc.requests()); n != 0 || hooked {
		t.Errorf("unencodable body was sent (%d requests, hook %v)", n, hooked)
	}
}

func TestHookSeesEveryRequest(t *testing.T) {
	fc := newFakeFC(t, nil)
	c := NewClient(fc.path)
	type call struct {
		method, path, body string
		nilBody            bool
	}
	var seen []call
	c.Hook = func(method, path string, body []byte) {
		seen = append(seen, call{method, path, string(body), body == nil})
	}
	ctx := context.Background()
	if err := c.Put(ctx, "/boot-source", BootSource{KernelImagePath: "/k"}); err != nil {
		t.Fatal(err)
	}
	if err := c.Get(ctx, "/vm/config", nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Patch(ctx, "/balloon", BalloonUpdate{AmountMib: 64}); err != nil {
		t.Fatal(err)
	}
	want := []call{
		{"PUT", "/boot-source", `{"kernel_image_path":"/k"}`, false},
		{"GET", "/vm/config", "", true},
		{"PATCH", "/balloon", `{"amount_mib":64}`, false},
	}
	if fmt.Sprint(seen) != fmt.Sprint(want) {
		t.Errorf("hook saw\n%v\nwant\n%v", seen, want)
	}
	reqs := fc.requests()
	for i, r := range reqs {
		if i < len(seen) && string(r.Body) != seen[i].body {
			t.Errorf("request %d: hook saw %q, server got %q", i, seen[i].body, r.Body)
		}
	}
	// The hook runs even when the request then fails.
	seen = nil
	bad := NewClient(socketPath(t))
	bad.Hook = c.Hook
	bad.Put(ctx, "/vm", VM{State: VMStateResumed})
	if len(seen) != 1 || seen[0].body != `{"state":"Resumed"}` {
		t.Errorf("hook on failing request saw %v", seen)
	}
}
