package smartvm_test

import (
	"bufio"
	"context"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"code.foss.global/push.rocks/smartvm"
	"code.foss.global/push.rocks/smartvm/config"
	"code.foss.global/push.rocks/smartvm/internal/fctest"
)

// TestVsockSocket checks that the vsock socket appears under the VM's directory at boot
// and that Cleanup removes it with its per-port siblings.
func TestVsockSocket(t *testing.T) {
	for _, target := range fctest.Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			t.Parallel()
			rig, svm, _ := newAPIRig(t, target, smartvm.Options{})
			ctx := rig.Ctx(time.Minute)
			cfg := rig.TinyVM()
			cfg.Vsock = &config.Vsock{GuestCID: 7}
			vm := createVM(t, ctx, svm, cfg)
			_, err := vm.DialVsock(ctx, 52)
			errCode(t, "DialVsock before Start", err, smartvm.CodeInvalidState)
			if err := vm.Start(ctx); err != nil {
				t.Fatal(err)
			}
			path := vm.VsockUDSPath()
			if want := filepath.Join(vm.Dir(), "vsock.sock"); path != want {
				t.Errorf("VsockUDSPath = %q, want %q", path, want)
			}
			if fi, err := os.Stat(path); err != nil || fi.Mode()&os.ModeSocket == 0 {
				t.Fatalf("no vsock socket after Start: %v", err)
			}
			sibling := tempFile(t, filepath.Dir(path), "vsock.sock_1024", 0)
			if err := vm.Cleanup(ctx); err != nil {
				t.Fatal(err)
			}
			for _, p := range []string{path, sibling} {
				if _, err := os.Stat(p); !os.IsNotExist(err) {
					t.Errorf("%s left after Cleanup: %v", p, err)
				}
			}
		})
	}
}

// TestDialVsockHandshake runs DialVsockPath against a fake Firecracker vsock socket: the
// handshake must be exact and no byte of the guest stream may be lost to it.
func TestDialVsockHandshake(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go fakeVsock(c)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := smartvm.DialVsockPath(ctx, path, 52)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.Write([]byte("ping\n"))
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil || line != "hello from 52\n" {
		t.Fatalf("guest stream = %q, %v", line, err)
	}
	_, err = smartvm.DialVsockPath(ctx, path, 99)
	errCode(t, "refused port", err, smartvm.CodeSocketRequestFailed)
	short, cancel2 := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel2()
	_, err = smartvm.DialVsockPath(short, path, 7)
	errCode(t, "silent port", err, smartvm.CodeAPITimeout)
}

// fakeVsock answers CONNECT 52 with OK and, in the same write, the first guest bytes;
// it closes CONNECT 99 and never answers other ports.
func fakeVsock(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	line, err := r.ReadString('\n')
	if err != nil {
		return
	}
	switch line {
	case "CONNECT 52\n":
		c.Write([]byte("OK 1073741824\nhello from 52\n"))
		r.ReadString('\n')
	case "CONNECT 99\n":
	default:
		time.Sleep(2 * time.Second)
	}
}
