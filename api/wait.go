package api

import (
	"context"
	"errors"
	"net"
	"os"
	"time"

	"code.foss.global/push.rocks/smartvm/errdefs"
)

// ErrProcessExited is returned by WaitSocket when the exited channel closes first.
var ErrProcessExited = errors.New("process exited before its API socket was ready")

// pollInterval is how often WaitSocket looks for the socket. A stat is cheap, so this is
// kept well under a millisecond: the socket is noticed within about pollInterval of its
// creation.
const pollInterval = 250 * time.Microsecond

// WaitSocket waits until the Unix socket at path accepts a connection. It returns nil when
// it does, ErrProcessExited as soon as exited (which may be nil) is closed, an
// *errdefs.Error with code SOCKET_TIMEOUT after timeout, or ctx's error.
func WaitSocket(ctx context.Context, path string, timeout time.Duration,
	exited <-chan struct{}) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()

	for {
		if socketAccepts(path) {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-exited:
			return ErrProcessExited
		case <-deadline.C:
			return errdefs.New(errdefs.SocketTimeout,
				"API socket %s not ready within %s", path, timeout)
		case <-tick.C:
		}
	}
}

func socketAccepts(path string) bool {
	fi, err := os.Stat(path)
	if err != nil || fi.Mode()&os.ModeSocket == 0 {
		return false
	}
	conn, err := net.DialTimeout("unix", path, 100*time.Millisecond)
	if err != nil {
		return false
	}
	conn.Close()
	return true
}

// IsReady waits up to timeout for the client's socket to accept connections. See
// WaitSocket.
func (c *Client) IsReady(ctx context.Context, timeout time.Duration) error {
	return WaitSocket(ctx, c.socketPath, timeout, nil)
}

// SocketAlive reports whether a process answers on the Unix socket at path. Start uses it to
// refuse a socket path where a live VMM listens.
func SocketAlive(path string) bool {
	return socketAccepts(path)
}
