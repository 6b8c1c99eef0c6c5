package images

import (
	"context"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"code.foss.global/push.rocks/smartvm/errdefs"
)

func needMkfs(t *testing.T) {
	t.Helper()
	if _, err := NewManager(Options{}).findMkfs(); err != nil {
		t.Skip("mkfs.ext4 not installed (apt-get install e2fsprogs)")
	}
}

func TestCreateBlankRootfs(t *testing.T) {
	needMkfs(t)
	m := newTestManager(t, nil, nil)
	ctx := context.Background()
	p, err := m.CreateBlankRootfs(ctx, "blank.ext4", 64)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(RootfsDir(m.DataDir()), "blank.ext4"); p != want {
		t.Errorf("path = %s, want %s", p, want)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	magic := make([]byte, 2)
	if _, err := f.ReadAt(magic, 1024+0x38); err != nil {
		t.Fatal(err)
	}
	if binary.LittleEndian.Uint16(magic) != 0xEF53 {
		t.Errorf("no ext superblock magic: %x", magic)
	}
	inv, err := m.List()
	if err != nil || len(inv.Rootfs) != 1 {
		t.Fatalf("List = %+v, %v", inv.Rootfs, err)
	}
	fi := inv.Rootfs[0]
	if fi.Size != 64<<20 || fi.DiskBytes >= fi.Size/2 {
		t.Errorf("size %d, disk %d: want 64 MiB, sparse", fi.Size, fi.DiskBytes)
	}
	if fsck, err := exec.LookPath("e2fsck"); err == nil {
		if out, err := exec.Command(fsck, "-fn", p).CombinedOutput(); err != nil {
			t.Errorf("e2fsck: %v\n%s", err, out)
		}
	}
	// The name is taken now.
	_, err = m.CreateBlankRootfs(ctx, "blank.ext4", 8)
	e := wantCode(t, err, errdefs.RootfsCreateFailed)
	if !strings.Contains(e.Message, "already exists") {
		t.Errorf("message %q", e.Message)
	}
	if fi2, _ := os.Stat(p); fi2.Size() != 64<<20 {
		t.Error("the existing image was touched")
	}
}

func TestCreateBlankRootfsMkfsFails(t *testing.T) {
	fake := filepath.Join(t.TempDir(), "mkfs.ext4")
	os.WriteFile(fake, []byte("#!/bin/sh\necho 'mke2fs: Device size reported to be zero' >&2\n"+
		"exit 1\n"), 0o755)
	m := newTestManager(t, nil, func(o *Options) { o.MkfsPath = fake })
	_, err := m.CreateBlankRootfs(context.Background(), "x.ext4", 16)
	e := wantCode(t, err, errdefs.RootfsCreateFailed)
	if !strings.Contains(e.Message, "Device size reported to be zero") {
		t.Errorf("message %q lacks mkfs's output", e.Message)
	}
	if names := dirNames(t, RootfsDir(m.DataDir())); len(names) != 0 {
		t.Errorf("rootfs/ holds %v after a failed mkfs", names)
	}
}

func TestCreateBlankRootfsMkfsMissing(t *testing.T) {
	m := newTestManager(t, nil, func(o *Options) { o.MkfsPath = "/nonexistent/mkfs.ext4" })
	_, err := m.CreateBlankRootfs(context.Background(), "x.ext4", 16)
	e := wantCode(t, err, errdefs.RootfsCreateFailed)
	if !strings.Contains(e.Message, "e2fsprogs") {
		t.Errorf("message %q does not say what to install", e.Message)
	}
}

func TestCreateBlankRootfsRejectsBadInput(t *testing.T) {
	m := newTestManager(t, nil, nil)
	ctx := context.Background()
	for _, size := range []int{0, -1, MaxRootfsMiB + 1} {
		_, err := m.CreateBlankRootfs(ctx, "ok", size)
		wantCode(t, err, errdefs.InvalidConfig)
	}
	for _, name := range []string{"", "../x", "a/b", ".."} {
		_, err := m.CreateBlankRootfs(ctx, name, 8)
		wantCode(t, err, errdefs.InvalidConfig)
	}
}

func TestRemoveRootfs(t *testing.T) {
	m := newTestManager(t, nil, nil)
	os.MkdirAll(RootfsDir(m.DataDir()), 0o755)
	p := filepath.Join(RootfsDir(m.DataDir()), "vm1.ext4")
	os.WriteFile(p, []byte("x"), 0o644)
	if err := m.RemoveRootfs("vm1.ext4"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Errorf("%s still exists", p)
	}
	wantCode(t, m.RemoveRootfs("vm1.ext4"), errdefs.NotFound)
	wantCode(t, m.RemoveRootfs("../vm1.ext4"), errdefs.InvalidConfig)
}

func TestEnsureLayoutAndList(t *testing.T) {
	m := newTestManager(t, nil, nil)
	inv, err := m.List() // nothing exists yet
	if err != nil || len(inv.Binaries)+len(inv.Kernels)+len(inv.Rootfs) != 0 {
		t.Fatalf("List on an empty dir = %+v, %v", inv, err)
	}
	if err := m.EnsureLayout(); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{BinRoot(m.DataDir()), KernelsDir(m.DataDir()),
		RootfsDir(m.DataDir()), SocketsDir(m.DataDir()), SnapshotsDir(m.DataDir()),
		VMsDir(m.DataDir())} {
		if fi, err := os.Stat(d); err != nil || !fi.IsDir() {
			t.Errorf("%s: %v", d, err)
		}
	}
	if fi, _ := os.Stat(SocketsDir(m.DataDir())); fi.Mode().Perm() != 0o700 {
		t.Errorf("sockets/ mode %v, want 0700", fi.Mode().Perm())
	}
	// An incomplete release folder and temporary files are not listed.
	os.MkdirAll(filepath.Join(BinRoot(m.DataDir()), "v1.2.3"), 0o755)
	os.WriteFile(filepath.Join(BinRoot(m.DataDir()), "v1.2.3", "firecracker"), nil, 0o755)
	os.WriteFile(filepath.Join(KernelsDir(m.DataDir()), ".k.partial-1"), nil, 0o644)
	inv, err = m.List()
	if err != nil || len(inv.Binaries)+len(inv.Kernels) != 0 {
		t.Errorf("List = %+v, %v; want incomplete and temporary entries hidden", inv, err)
	}
	if NewManager(Options{}).DataDir() != DefaultDataDir() {
		t.Error("empty DataDir does not default to DefaultDataDir()")
	}
}
