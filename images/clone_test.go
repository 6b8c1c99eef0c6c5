package images

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"code.foss.global/push.rocks/smartvm/errdefs"
)

const (
	sparseSize = 1 << 30  // apparent size of the test image
	sparseData = 64 << 20 // bytes of data in it
	chunk      = 4 << 20  // data is written in chunks of this size
)

// makeSparseImage writes a 1 GiB sparse file holding 64 MiB of random data in 16
// chunks spread over it, with a hole at the start and at the end.
func makeSparseImage(tb testing.TB, p string) {
	tb.Helper()
	f, err := os.Create(p)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(sparseSize); err != nil {
		tb.Fatal(err)
	}
	rng := rand.NewChaCha8([32]byte{1, 2, 3})
	buf := make([]byte, chunk)
	n := sparseData / chunk
	stride := int64(sparseSize / n)
	for i := range n {
		rng.Read(buf)
		if _, err := f.WriteAt(buf, int64(i)*stride+1<<20); err != nil {
			tb.Fatal(err)
		}
	}
	if err := f.Sync(); err != nil {
		tb.Fatal(err)
	}
}

func diskBytes(tb testing.TB, p string) int64 {
	tb.Helper()
	var st syscall.Stat_t
	if err := syscall.Stat(p, &st); err != nil {
		tb.Fatal(err)
	}
	return st.Blocks * 512
}

// sameContent compares two files chunk by chunk.
func sameContent(tb testing.TB, a, b string) bool {
	tb.Helper()
	fa, err := os.Open(a)
	if err != nil {
		tb.Fatal(err)
	}
	defer fa.Close()
	fb, err := os.Open(b)
	if err != nil {
		tb.Fatal(err)
	}
	defer fb.Close()
	ba, bb := make([]byte, 4<<20), make([]byte, 4<<20)
	for {
		na, ea := io.ReadFull(fa, ba)
		nb, eb := io.ReadFull(fb, bb)
		if na != nb || !bytes.Equal(ba[:na], bb[:nb]) {
			return false
		}
		if ea != nil || eb != nil {
			return ea == eb || (na == 0 && nb == 0)
		}
	}
}

// checkSparseClone asserts that dst is a byte-identical, still sparse copy of src.
func checkSparseClone(t *testing.T, src, dst string) {
	t.Helper()
	fi, err := os.Stat(dst)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() != sparseSize {
		t.Fatalf("clone size %d, want %d", fi.Size(), sparseSize)
	}
	if !sameContent(t, src, dst) {
		t.Fatal("clone content differs from the source")
	}
	// Allow a little for file system metadata and block rounding.
	if used := diskBytes(t, dst); used > sparseData+8<<20 {
		t.Errorf("clone uses %d MiB on disk, want about %d MiB (holes kept)",
			used>>20, sparseData>>20)
	} else {
		t.Logf("clone uses %d MiB on disk for %d MiB apparent", used>>20, fi.Size()>>20)
	}
}

func TestCloneRootfsSparse(t *testing.T) {
	m := newTestManager(t, nil, nil)
	os.MkdirAll(RootfsDir(m.DataDir()), 0o755)
	src := filepath.Join(RootfsDir(m.DataDir()), "base.ext4")
	makeSparseImage(t, src)
	if used := diskBytes(t, src); used > sparseData+8<<20 {
		t.Skipf("this file system does not keep holes (%d MiB used)", used>>20)
	}
	ctx := context.Background()
	p, err := m.CloneRootfs(ctx, "base.ext4", "vm1.ext4") // by name
	if err != nil {
		t.Fatal(err)
	}
	checkSparseClone(t, src, p)
	p2, err := m.CloneRootfs(ctx, src, "vm2.ext4") // by path
	if err != nil {
		t.Fatal(err)
	}
	checkSparseClone(t, src, p2)
	if names := dirNames(t, RootfsDir(m.DataDir())); len(names) != 3 {
		t.Errorf("rootfs/ holds %v, want base and two clones only", names)
	}
}

// TestSparseCopyFallback checks the non-reflink path directly, whatever the file system
// under the test supports.
func TestSparseCopyFallback(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "src"), filepath.Join(dir, "dst")
	makeSparseImage(t, src)
	if used := diskBytes(t, src); used > sparseData+8<<20 {
		t.Skipf("this file system does not keep holes (%d MiB used)", used>>20)
	}
	in, _ := os.Open(src)
	defer in.Close()
	out, _ := os.Create(dst)
	if err := sparseCopy(context.Background(), in, out); err != nil {
		t.Fatal(err)
	}
	out.Close()
	checkSparseClone(t, src, dst)
}

func TestSparseCopySmallFiles(t *testing.T) {
	dir := t.TempDir()
	cases := map[string]func(f *os.File){
		"empty":      func(f *os.File) {},
		"dense":      func(f *os.File) { f.Write(bytes.Repeat([]byte("d"), 10000)) },
		"hole only":  func(f *os.File) { f.Truncate(5 << 20) },
		"tail data":  func(f *os.File) { f.WriteAt([]byte("end"), 3<<20) },
		"head+hole":  func(f *os.File) { f.Write([]byte("start")); f.Truncate(2 << 20) },
		"odd offset": func(f *os.File) { f.WriteAt([]byte("x"), 12345); f.Truncate(99999) },
	}
	for name, fill := range cases {
		t.Run(name, func(t *testing.T) {
			src := filepath.Join(dir, strings.ReplaceAll(name, " ", "_"))
			f, _ := os.Create(src)
			fill(f)
			f.Close()
			in, _ := os.Open(src)
			defer in.Close()
			out, _ := os.Create(src + ".copy")
			if err := sparseCopy(context.Background(), in, out); err != nil {
				t.Fatal(err)
			}
			out.Close()
			a, _ := os.ReadFile(src)
			b, _ := os.ReadFile(src + ".copy")
			if !bytes.Equal(a, b) {
				t.Errorf("copy differs: %d vs %d bytes", len(a), len(b))
			}
		})
	}
}

func TestSparseCopyCancelled(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	os.WriteFile(src, bytes.Repeat([]byte("z"), 1<<20), 0o644)
	in, _ := os.Open(src)
	defer in.Close()
	out, _ := os.Create(filepath.Join(dir, "dst"))
	defer out.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := sparseCopy(ctx, in, out); err == nil {
		t.Fatal("a cancelled copy succeeded")
	}
}

func TestCloneRootfsErrors(t *testing.T) {
	m := newTestManager(t, nil, nil)
	ctx := context.Background()
	os.MkdirAll(RootfsDir(m.DataDir()), 0o755)
	base := filepath.Join(RootfsDir(m.DataDir()), "base")
	os.WriteFile(base, []byte("base image"), 0o644)
	existing := filepath.Join(RootfsDir(m.DataDir()), "taken")
	os.WriteFile(existing, []byte("keep me"), 0o644)

	_, err := m.CloneRootfs(ctx, "base", "taken")
	e := wantCode(t, err, errdefs.RootfsCloneFailed)
	if !strings.Contains(e.Message, "already exists") {
		t.Errorf("message %q", e.Message)
	}
	if b, _ := os.ReadFile(existing); string(b) != "keep me" {
		t.Error("an existing image was overwritten")
	}
	_, err = m.CloneRootfs(ctx, "missing", "new")
	wantCode(t, err, errdefs.RootfsCloneFailed)
	_, err = m.CloneRootfs(ctx, RootfsDir(m.DataDir()), "new") // a folder
	wantCode(t, err, errdefs.RootfsCloneFailed)
	_, err = m.CloneRootfs(ctx, "base", "../escape")
	wantCode(t, err, errdefs.InvalidConfig)
	_, err = m.CloneRootfs(ctx, "..", "new")
	wantCode(t, err, errdefs.InvalidConfig)
	if names := dirNames(t, RootfsDir(m.DataDir())); len(names) != 2 {
		t.Errorf("rootfs/ holds %v after failed clones", names)
	}
	// A small clone keeps content and mode.
	os.Chmod(base, 0o600)
	p, err := m.CloneRootfs(ctx, "base", "copy")
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "base image" {
		t.Errorf("clone = %q", b)
	}
	if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o600 {
		t.Errorf("clone mode %v, want 0600", fi.Mode().Perm())
	}
}

// benchSource builds the 1 GiB sparse source once per benchmark.
func benchSource(b *testing.B) (src, dir string) {
	dir = b.TempDir()
	src = filepath.Join(dir, "src.img")
	makeSparseImage(b, src)
	return src, dir
}

// BenchmarkClone measures CloneRootfs's copy of a 1 GiB image holding 64 MiB of data
// (a reflink where supported, else the sparse copy). Compare with BenchmarkFullCopy.
func BenchmarkClone(b *testing.B) {
	src, dir := benchSource(b)
	dst := filepath.Join(dir, "dst.img")
	b.SetBytes(sparseSize)
	var used int64
	for b.Loop() {
		in, _ := os.Open(src)
		out, _ := os.Create(dst)
		if _, err := cloneFile(context.Background(), in, out); err != nil {
			b.Fatal(err)
		}
		out.Sync()
		in.Close()
		out.Close()
		used = diskBytes(b, dst)
		os.Remove(dst)
	}
	b.ReportMetric(float64(used>>20), "MiB-on-disk")
}

// BenchmarkFullCopy measures a plain copy of the same image that reads and writes every
// byte, holes included, as a copy without sparse support does.
func BenchmarkFullCopy(b *testing.B) {
	src, dir := benchSource(b)
	dst := filepath.Join(dir, "dst.img")
	b.SetBytes(sparseSize)
	buf := make([]byte, 1<<20)
	var used int64
	for b.Loop() {
		in, _ := os.Open(src)
		out, _ := os.Create(dst)
		// Hide ReadFrom/WriteTo so no copy_file_range or splice shortcut is taken.
		if _, err := io.CopyBuffer(struct{ io.Writer }{out}, struct{ io.Reader }{in},
			buf); err != nil {
			b.Fatal(err)
		}
		out.Sync()
		in.Close()
		out.Close()
		used = diskBytes(b, dst)
		os.Remove(dst)
	}
	b.ReportMetric(float64(used>>20), "MiB-on-disk")
}
