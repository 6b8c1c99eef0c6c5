package api

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"golang.org/x/sys/unix"

	"code.foss.global/push.rocks/smartvm/errdefs"
)

// ErrProcessExited is returned by WaitSocket when the exited channel closes first.
var ErrProcessExited = errors.New("process exited before its API socket was ready")

// checkInterval bounds each wait between checks: the process's exit, ctx and the
// deadline are noticed within it even when no file event comes.
const checkInterval = 2 * time.Millisecond

// WaitSocket waits until the Unix socket at path accepts a connection. It returns nil when
// it does, ErrProcessExited as soon as exited (which may be nil) is closed, an
// *errdefs.Error with code SOCKET_TIMEOUT after timeout, or ctx's error.
//
// It watches the socket's directory with inotify through Go's network poller, so the
// socket is noticed as soon as it is created, without spinning or holding a thread. After
// a file event it retries the connection briefly in a tight loop, since a server binds its
// socket (the event) an instant before it listens. Where inotify is unavailable it polls.
func WaitSocket(ctx context.Context, path string, timeout time.Duration,
	exited <-chan struct{}) error {
	deadline := time.Now().Add(timeout)
	w := newDirWatch(filepath.Dir(path))
	// Closing an inotify instance waits for a kernel grace period (milliseconds), so it
	// is done off the caller's path.
	defer func() { go w.close() }()

	for {
		if socketAccepts(path) {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-exited:
			return ErrProcessExited
		default:
		}
		if !time.Now().Before(deadline) {
			return errdefs.New(errdefs.SocketTimeout,
				"API socket %s not ready within %s", path, timeout)
		}
		if w.wait(min(checkInterval, time.Until(deadline))) && spinAccepts(path) {
			return nil
		}
	}
}

// spinAccepts retries the connection for up to a millisecond, yielding between tries.
func spinAccepts(path string) bool {
	for end := time.Now().Add(time.Millisecond); time.Now().Before(end); {
		if socketAccepts(path) {
			return true
		}
		runtime.Gosched()
	}
	return false
}

// dirWatch is an inotify watch for files created in one directory, read through the
// network poller. A nil file means inotify is unavailable.
type dirWatch struct{ f *os.File }

func newDirWatch(dir string) dirWatch {
	fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		return dirWatch{}
	}
	if _, err := unix.InotifyAddWatch(fd, dir, unix.IN_CREATE|unix.IN_MOVED_TO); err != nil {
		unix.Close(fd)
		return dirWatch{}
	}
	return dirWatch{f: os.NewFile(uintptr(fd), "inotify")}
}

// wait returns true when a file event arrived within d, false after d.
func (w dirWatch) wait(d time.Duration) bool {
	if w.f == nil {
		time.Sleep(d)
		return false
	}
	w.f.SetReadDeadline(time.Now().Add(d))
	var buf [4096]byte
	n, _ := w.f.Read(buf[:])
	return n > 0
}

func (w dirWatch) close() {
	if w.f != nil {
		w.f.Close()
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
