package api

import (
	"context"
	"errors"
	"net"
	"os"
	"testing"
	"time"

	"code.foss.global/push.rocks/smartvm/errdefs"
)

// listenLater creates a listener at path after delay and returns a channel that yields
// it (or nil on failure). The listener is closed when the test ends.
func listenLater(t *testing.T, path string, delay time.Duration) <-chan net.Listener {
	ch := make(chan net.Listener, 1)
	go func() {
		time.Sleep(delay)
		ln, err := net.Listen("unix", path)
		if err != nil {
			t.Errorf("listen: %v", err)
			ch <- nil
			return
		}
		ch <- ln
	}()
	t.Cleanup(func() {
		if ln := <-ch; ln != nil {
			ln.Close()
		}
	})
	return ch
}

func TestWaitSocketAppears(t *testing.T) {
	path := socketPath(t)
	listenLater(t, path, 30*time.Millisecond)
	exited := make(chan struct{})
	if err := WaitSocket(context.Background(), path, 10*time.Second, exited); err != nil {
		t.Fatalf("WaitSocket = %v, want nil", err)
	}
	if !SocketAlive(path) {
		t.Error("SocketAlive false after WaitSocket succeeded")
	}
}

func TestWaitSocketAlreadyThere(t *testing.T) {
	path := socketPath(t)
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	// Even a zero timeout succeeds: the socket is checked before the deadline.
	if err := WaitSocket(context.Background(), path, 0, nil); err != nil {
		t.Fatalf("WaitSocket = %v, want nil", err)
	}
}

func TestIsReady(t *testing.T) {
	path := socketPath(t)
	listenLater(t, path, 20*time.Millisecond)
	c := NewClient(path)
	if err := c.IsReady(context.Background(), 10*time.Second); err != nil {
		t.Fatalf("IsReady = %v", err)
	}
	missing := NewClient(socketPath(t))
	err := missing.IsReady(context.Background(), 20*time.Millisecond)
	if errdefs.CodeOf(err) != errdefs.SocketTimeout {
		t.Errorf("IsReady on a missing socket = %v, want SOCKET_TIMEOUT", err)
	}
}

func TestWaitSocketProcessExited(t *testing.T) {
	path := socketPath(t)
	exited := make(chan struct{})
	go func() {
		time.Sleep(20 * time.Millisecond)
		close(exited)
	}()
	err := WaitSocket(context.Background(), path, time.Minute, exited)
	if !errors.Is(err, ErrProcessExited) {
		t.Fatalf("WaitSocket = %v, want ErrProcessExited", err)
	}
}

func TestWaitSocketTimeout(t *testing.T) {
	path := socketPath(t)
	err := WaitSocket(context.Background(), path, 30*time.Millisecond, nil)
	var e *errdefs.Error
	if !errors.As(err, &e) || e.Code != errdefs.SocketTimeout {
		t.Fatalf("WaitSocket = %v, want SOCKET_TIMEOUT", err)
	}
	if !errors.Is(err, errdefs.New(errdefs.SocketTimeout, "")) {
		t.Error("SOCKET_TIMEOUT error does not match its sentinel")
	}
}

func TestWaitSocketContextCancelled(t *testing.T) {
	path := socketPath(t)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		time.Sleep(20 * time.Millisecond)
		cancel()
	}()
	err := WaitSocket(ctx, path, time.Minute, make(chan struct{}))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("WaitSocket = %v, want context.Canceled", err)
	}
}

func TestWaitSocketIgnoresNonSocket(t *testing.T) {
	path := socketPath(t)
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	err := WaitSocket(context.Background(), path, 30*time.Millisecond, nil)
	if errdefs.CodeOf(err) != errdefs.SocketTimeout {
		t.Fatalf("WaitSocket on a regular file = %v, want SOCKET_TIMEOUT", err)
	}
}

func TestWaitSocketStale(t *testing.T) {
	path := staleSocket(t)
	err := WaitSocket(context.Background(), path, 30*time.Millisecond, nil)
	if errdefs.CodeOf(err) != errdefs.SocketTimeout {
		t.Fatalf("WaitSocket on a stale socket = %v, want SOCKET_TIMEOUT", err)
	}
}

// staleSocket leaves a socket file at a fresh path with nobody listening on it.
func staleSocket(t *testing.T) string {
	t.Helper()
	path := socketPath(t)
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	fi, err := os.Stat(path)
	if err != nil || fi.Mode()&os.ModeSocket == 0 {
		t.Fatalf("stale socket file missing: %v", err)
	}
	return path
}

func TestSocketAlive(t *testing.T) {
	live := socketPath(t)
	ln, err := net.Listen("unix", live)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	regular := socketPath(t)
	if err := os.WriteFile(regular, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		path string
		want bool
	}{
		{"live", live, true},
		{"stale", staleSocket(t), false},
		{"missing", socketPath(t), false},
		{"regular file", regular, false},
		{"empty path", "", false},
	}
	for _, tt := range tests {
		if got := SocketAlive(tt.path); got != tt.want {
			t.Errorf("SocketAlive(%s) = %v, want %v", tt.name, got, tt.want)
		}
	}
}
