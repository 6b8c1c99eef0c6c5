package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"code.foss.global/push.rocks/smartvm/errdefs"
)

// Default request timeouts. Configuration calls are quick; snapshot calls copy guest memory
// and get far longer.
const (
	DefaultTimeout         = 5 * time.Second
	DefaultSnapshotTimeout = 2 * time.Minute
)

// RequestHook sees every request a Client sends, before it is sent. body is the exact JSON
// sent, or nil. Hooks must not modify body.
type RequestHook func(method, path string, body []byte)

// Client talks to one Firecracker process over its API socket. It is safe for concurrent
// use.
type Client struct {
	socketPath string
	httpc      *http.Client

	// Timeout bounds each request that has no timeout of its own.
	Timeout time.Duration
	// Hook, when set, sees every request. Set it before the first request.
	Hook RequestHook
}

// NewClient returns a Client for the API socket at socketPath. It does not connect.
func NewClient(socketPath string) *Client {
	transport := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", socketPath)
		},
		MaxIdleConns:        2,
		MaxIdleConnsPerHost: 2,
		IdleConnTimeout:     30 * time.Second,
	}
	return &Client{
		socketPath: socketPath,
		httpc:      &http.Client{Transport: transport},
		Timeout:    DefaultTimeout,
	}
}

// SocketPath returns the path of the API socket.
func (c *Client) SocketPath() string { return c.socketPath }

// Close drops idle connections. The Client stays usable.
func (c *Client) Close() {
	c.httpc.CloseIdleConnections()
}

// Get sends GET path and decodes the answer into out, when out is not nil.
func (c *Client) Get(ctx context.Context, path string, out any) error {
	return c.Do(ctx, http.MethodGet, path, nil, out, 0)
}

// Put sends PUT path with body encoded as JSON.
func (c *Client) Put(ctx context.Context, path string, body any) error {
	return c.Do(ctx, http.MethodPut, path, body, nil, 0)
}

// Patch sends PATCH path with body encoded as JSON.
func (c *Client) Patch(ctx context.Context, path string, body any) error {
	return c.Do(ctx, http.MethodPatch, path, body, nil, 0)
}

// Do sends one request. body is encoded as JSON unless it is nil or already a []byte or
// json.RawMessage. out, when not nil, receives the decoded answer. timeout 0 means
// c.Timeout. The caller's ctx still applies.
func (c *Client) Do(ctx context.Context, method, path string, body, out any,
	timeout time.Duration) error {
	payload, err := encodeBody(body)
	if err != nil {
		return errdefs.Wrap(err, errdefs.InvalidConfig, "%s %s: encode body", method, path)
	}
	if c.Hook != nil {
		c.Hook(method, path, payload)
	}
	if timeout <= 0 {
		timeout = c.Timeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	resp, err := c.send(ctx, method, path, payload)
	if err != nil {
		return c.transportError(ctx, method, path, timeout, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return c.transportError(ctx, method, path, timeout, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return apiError(method, path, resp.StatusCode, data)
	}
	if out == nil || len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		// The answer is never quoted: it may hold MMDS secrets.
		// Nor is the decoder's error, which can carry values from it.
		if json.Valid(data) { // the caller's type does not fit the answer
			return errdefs.New(errdefs.InvalidConfig, "%s %s: the answer does not fit "+
				"into %T%s", method, path, out, decodeField(err))
		}
		return errdefs.New(errdefs.APIError, "%s %s: unreadable answer", method, path)
	}
	return nil
}

func (c *Client) send(ctx context.Context, method, path string,
	payload []byte) (*http.Response, error) {
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://localhost"+path, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return c.httpc.Do(req)
}

func (c *Client) transportError(ctx context.Context, method, path string,
	timeout time.Duration, err error) error {
	if errors.Is(ctx.Err(), context.Canceled) {
		return errdefs.Wrap(ctx.Err(), errdefs.SocketRequestFailed,
			"%s %s: canceled by the caller before Firecracker answered", method, path)
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return errdefs.Wrap(err, errdefs.APITimeout,
			"%s %s: no answer within %s", method, path, timeout)
	}
	return errdefs.Wrap(err, errdefs.SocketRequestFailed,
		"%s %s via %s", method, path, c.socketPath)
}

func apiError(method, path string, status int, data []byte) error {
	var fault FaultResponse
	msg := strings.TrimSpace(string(data))
	if json.Unmarshal(data, &fault) == nil && fault.FaultMessage != "" {
		msg = fault.FaultMessage
	}
	if msg == "" {
		// No body to quote: name the status instead, and set no fault_message.
		reason := http.StatusText(status)
		if reason == "" {
			reason = "empty answer"
		}
		e := errdefs.New(errdefs.APIError, "%s %s: %s", method, path, reason)
		e.StatusCode = status
		return e
	}
	e := errdefs.New(errdefs.APIError, "%s %s: %s", method, path, truncate(msg, 1024))
	e.StatusCode = status
	return e.WithDetail("fault_message", truncate(msg, 1024))
}

func encodeBody(body any) ([]byte, error) {
	switch b := body.(type) {
	case nil:
		return nil, nil
	case []byte:
		return b, nil
	case json.RawMessage:
		return b, nil
	}
	data, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("marshal %T: %w", body, err)
	}
	return data, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n-- // never cut a UTF-8 sequence in two
	}
	return s[:n] + "…"
}

// FaultMessage returns Firecracker's fault_message carried anywhere in err's chain, or "".
func FaultMessage(err error) string {
	for err != nil {
		var e *errdefs.Error
		if !errors.As(err, &e) {
			return ""
		}
		if msg := e.Details["fault_message"]; msg != "" {
			return msg
		}
		err = e.Err
	}
	return ""
}

// decodeField names the JSON field a type error happened at, without its value.
func decodeField(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return fmt.Sprintf(" (at field %s, want %s)", te.Field, te.Type)
	}
	return ""
}
