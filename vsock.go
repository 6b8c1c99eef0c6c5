package smartvm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"code.foss.global/push.rocks/smartvm/errdefs"
)

var opDialVsock = &Operation{Name: "DialVsock", States: live}

func init() { registerOperations(opDialVsock) }

// maxVsockReply bounds Firecracker's answer to CONNECT ("OK <port>\n").
const maxVsockReply = 32

// VsockUDSPath returns the host Unix socket of the VM's vsock device, as sent to
// Firecracker: config.Vsock.UdsPath, or <dataDir>/vms/<id>/vsock.sock when that was empty.
// It is "" before Start and for a VM without vsock. Cleanup removes the socket and the
// <path>_<port> sockets of guest-initiated connections.
func (m *MicroVM) VsockUDSPath() string { return m.vsockPath() }

// DialVsock connects to port on the guest through the VM's vsock device: it dials the
// device's Unix socket and performs Firecracker's handshake ("CONNECT <port>\n", answered
// by "OK <hostport>\n"). The returned connection carries the guest stream. ctx bounds the
// handshake; a guest that does not listen on port makes Firecracker close the connection
// or never answer, which ends as an error when ctx does.
func (m *MicroVM) DialVsock(ctx context.Context, port uint32) (net.Conn, error) {
	if _, err := m.begin(opDialVsock); err != nil {
		return nil, err
	}
	path := m.vsockPath()
	if path == "" {
		return nil, errdefs.New(errdefs.InvalidConfig,
			"DialVsock: VM %s has no vsock device; set config.Vsock before Start", m.id)
	}
	conn, err := DialVsockPath(ctx, path, port)
	if err != nil {
		return nil, fmt.Errorf("VM %s: %w", m.id, err)
	}
	return conn, nil
}

// DialVsockPath dials guest port through the Firecracker vsock socket at udsPath; see
// MicroVM.DialVsock. Errors are SOCKET_REQUEST_FAILED, or API_TIMEOUT when ctx ended the
// handshake.
func DialVsockPath(ctx context.Context, udsPath string, port uint32) (net.Conn, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", udsPath)
	if err != nil {
		return nil, vsockError(ctx, err, "dial vsock socket %s", udsPath)
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	err = vsockHandshake(conn, port)
	if !stop() || err != nil {
		conn.Close()
		if err == nil {
			err = ctx.Err()
		}
		return nil, vsockError(ctx, err, "vsock CONNECT %d via %s", port, udsPath)
	}
	return conn, nil
}

// vsockHandshake sends CONNECT and reads the answer one byte at a time, so that no byte
// of the guest's stream is consumed.
func vsockHandshake(conn net.Conn, port uint32) error {
	if _, err := fmt.Fprintf(conn, "CONNECT %d\n", port); err != nil {
		return err
	}
	var line []byte
	b := make([]byte, 1)
	for len(line) < maxVsockReply {
		if _, err := conn.Read(b); err != nil {
			return fmt.Errorf("read answer: %w", err)
		}
		if b[0] == '\n' {
			return parseVsockReply(line)
		}
		line = append(line, b[0])
	}
	return fmt.Errorf("answer %q too long", line)
}

func parseVsockReply(line []byte) error {
	rest, ok := bytes.CutPrefix(line, []byte("OK "))
	if !ok {
		return fmt.Errorf("unexpected answer %q", line)
	}
	if _, err := strconv.ParseUint(string(rest), 10, 32); err != nil {
		return fmt.Errorf("unexpected answer %q", line)
	}
	return nil
}

func vsockError(ctx context.Context, err error, format string, args ...any) error {
	code := errdefs.SocketRequestFailed
	if ctx.Err() != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		code = errdefs.APITimeout
	}
	return errdefs.Wrap(err, code, format, args...)
}
