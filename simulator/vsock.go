package simulator

import (
	"bufio"
	"errors"
	"net"
	"os"
	"syscall"
)

// vsockDev is the vsock device: Firecracker binds its host-side Unix socket when the device
// is configured (PUT /vsock or snapshot restore), not at boot, and never removes it on exit.
type vsockDev struct {
	cid  uint64
	path string
	ln   *net.UnixListener
}

// bindVsock listens on path. An existing file of any kind makes the bind fail.
func bindVsock(path string) (*net.UnixListener, error) {
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, err
	}
	ln.SetUnlinkOnClose(false)
	go serveVsock(ln)
	return ln, nil
}

// serveVsock accepts host connections. The simulated guest listens on no vsock port, so a
// "CONNECT <port>" request is answered by closing the connection.
func serveVsock(ln *net.UnixListener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		go func() {
			_, _ = bufio.NewReader(c).ReadString('\n')
			_ = c.Close()
		}()
	}
}

// setVsock is PUT /vsock: the old device's socket is removed first, as VsockBuilder::insert
// does, so a failed replacement leaves no device at all.
func (s *Sim) setVsock(f fields) reply {
	s.bootPath = true
	if old := s.res.vsock; old != nil {
		s.res.vsock = nil
		_ = old.ln.Close()
		if err := os.Remove(old.path); err != nil {
			return s.fail("vsock_bind", s.ioErrText(err))
		}
	}
	path := f.str("uds_path")
	ln, err := bindVsock(path)
	if err != nil {
		return s.fail("vsock_bind", s.ioErrText(err))
	}
	s.res.vsock = &vsockDev{cid: f.u64("guest_cid", 0), path: path, ln: ln}
	return ok()
}

func sigAbort() syscall.Signal { return syscall.SIGABRT }

// closeVsock stops listening; the socket file stays.
func (s *Sim) closeVsock() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v := s.res.vsock; v != nil && v.ln != nil {
		_ = v.ln.Close()
	}
}
