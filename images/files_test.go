package images

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"code.foss.global/push.rocks/smartvm/errdefs"
)

// fileServer serves fixed bodies by path and counts requests.
type fileServer struct {
	*httptest.Server
	mu    sync.Mutex
	files map[string][]byte
	hits  map[string]int
	// hold, when set for a path, is closed by the test to let the second half of
	// that body out.
	hold map[string]chan struct{}
	// halfSent receives the path once the first half of a held body is out.
	halfSent chan string
	trunc    map[string]bool
}

func newFileServer(t *testing.T) *fileServer {
	s := &fileServer{files: map[string][]byte{}, hits: map[string]int{},
		hold: map[string]chan struct{}{}, halfSent: make(chan string, 4),
		trunc: map[string]bool{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter,
		r *http.Request) {
		s.mu.Lock()
		s.hits[r.URL.Path]++
		body, ok := s.files[r.URL.Path]
		hold, trunc := s.hold[r.URL.Path], s.trunc[r.URL.Path]
		s.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		half := len(body) / 2
		w.Write(body[:half])
		if trunc {
			return
		}
		if hold != nil {
			w.(http.Flusher).Flush()
			s.halfSent <- r.URL.Path
			<-hold
		}
		w.Write(body[half:])
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *fileServer) hitCount(p string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[p]
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func TestDownloadKernelAndRootfs(t *testing.T) {
	srv := newFileServer(t)
	kernel := bytes.Repeat([]byte("K"), 3<<20+17)
	rootfs := bytes.Repeat([]byte("R"), 1000)
	srv.files["/k"], srv.files["/r"] = kernel, rootfs
	m := newTestManager(t, nil, nil)
	ctx := context.Background()

	p, err := m.DownloadKernel(ctx, srv.URL+"/k", "vmlinux-test", WithSHA256(sha256Hex(kernel)))
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(m.DataDir(), "kernels", "vmlinux-test"); p != want {
		t.Errorf("path = %s, want %s", p, want)
	}
	if got, _ := os.ReadFile(p); !bytes.Equal(got, kernel) {
		t.Error("kernel content differs from what was served")
	}
	r, err := m.DownloadRootfs(ctx, srv.URL+"/r", "base.ext4")
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(r); !bytes.Equal(got, rootfs) {
		t.Error("rootfs content differs from what was served")
	}

	// Cached: no second request, with or without a checksum.
	if _, err := m.DownloadKernel(ctx, srv.URL+"/k", "vmlinux-test"); err != nil {
		t.Fatal(err)
	}
	if _, err := m.DownloadKernel(ctx, srv.URL+"/k", "vmlinux-test",
		WithSHA256(strings.ToUpper(sha256Hex(kernel)))); err != nil {
		t.Fatal(err)
	}
	if n := srv.hitCount("/k"); n != 1 {
		t.Errorf("kernel fetched %d times, want 1", n)
	}
	// WithForce fetches again.
	if _, err := m.DownloadRootfs(ctx, srv.URL+"/r", "base.ext4", WithForce()); err != nil {
		t.Fatal(err)
	}
	if n := srv.hitCount("/r"); n != 2 {
		t.Errorf("rootfs fetched %d times after WithForce, want 2", n)
	}

	inv, err := m.List()
	if err != nil || len(inv.Kernels) != 1 || inv.Kernels[0].Size != int64(len(kernel)) ||
		len(inv.Rootfs) != 1 || inv.Rootfs[0].Name != "base.ext4" {
		t.Errorf("List = %+v, %v", inv, err)
	}
}

func TestDownloadChecksumMismatch(t *testing.T) {
	srv := newFileServer(t)
	srv.files["/k"] = []byte("kernel bytes")
	m := newTestManager(t, nil, nil)
	_, err := m.DownloadKernel(context.Background(), srv.URL+"/k", "vmlinux",
		WithSHA256(strings.Repeat("1", 64)))
	e := wantCode(t, err, errdefs.DownloadFailed)
	if !strings.Contains(e.Message, "checksum mismatch") {
		t.Errorf("message %q", e.Message)
	}
	if names := dirNames(t, KernelsDir(m.DataDir())); len(names) != 0 {
		t.Errorf("kernels/ holds %v after a refused download", names)
	}
}

func TestDownloadReplacesCachedFileWithWrongChecksum(t *testing.T) {
	srv := newFileServer(t)
	good := []byte("the right kernel")
	srv.files["/k"] = good
	m := newTestManager(t, nil, nil)
	os.MkdirAll(KernelsDir(m.DataDir()), 0o755)
	p := filepath.Join(KernelsDir(m.DataDir()), "vmlinux")
	os.WriteFile(p, []byte("stale"), 0o644)
	if _, err := m.DownloadKernel(context.Background(), srv.URL+"/k", "vmlinux",
		WithSHA256(sha256Hex(good))); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(p); !bytes.Equal(got, good) {
		t.Errorf("cached file = %q, want it replaced", got)
	}
}

func TestDownloadTruncatedLeavesNothing(t *testing.T) {
	srv := newFileServer(t)
	srv.files["/r"] = bytes.Repeat([]byte("x"), 1<<20)
	srv.trunc["/r"] = true
	m := newTestManager(t, nil, nil)
	_, err := m.DownloadRootfs(context.Background(), srv.URL+"/r", "img")
	wantCode(t, err, errdefs.DownloadFailed)
	if names := dirNames(t, RootfsDir(m.DataDir())); len(names) != 0 {
		t.Errorf("rootfs/ holds %v after a broken transfer", names)
	}
	if n := srv.hitCount("/r"); n != 3 {
		t.Errorf("fetched %d times, want 3 (1 + 2 retries)", n)
	}
}

func TestDownloadPartialNeverUnderFinalName(t *testing.T) {
	srv := newFileServer(t)
	body := bytes.Repeat([]byte("y"), 2<<20)
	srv.files["/r"] = body
	release := make(chan struct{})
	srv.hold["/r"] = release
	m := newTestManager(t, nil, nil)
	done := make(chan error, 1)
	go func() {
		_, err := m.DownloadRootfs(context.Background(), srv.URL+"/r", "slow.ext4")
		done <- err
	}()
	<-srv.halfSent
	final := filepath.Join(RootfsDir(m.DataDir()), "slow.ext4")
	// Half the body is out; wait until some of it reached the temporary file.
	deadline := time.Now().Add(10 * time.Second)
	var partial string
	for partial == "" && time.Now().Before(deadline) {
		for _, n := range dirNames(t, RootfsDir(m.DataDir())) {
			if fi, err := os.Stat(filepath.Join(RootfsDir(m.DataDir()), n)); err == nil &&
				strings.HasPrefix(n, ".slow.ext4.partial-") && fi.Size() > 0 {
				partial = n
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	if partial == "" {
		t.Fatal("no partial file appeared while the download was in flight")
	}
	if _, err := os.Stat(final); !os.IsNotExist(err) {
		t.Fatalf("final name exists mid-download: %v", err)
	}
	if inv, _ := m.List(); len(inv.Rootfs) != 0 {
		t.Errorf("List shows %v mid-download", inv.Rootfs)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(final); !bytes.Equal(got, body) {
		t.Error("final file differs from the body")
	}
	if names := dirNames(t, RootfsDir(m.DataDir())); len(names) != 1 {
		t.Errorf("rootfs/ holds %v, want only the final file", names)
	}
}

func TestDownloadConcurrentCallersFetchOnce(t *testing.T) {
	srv := newFileServer(t)
	srv.files["/k"] = bytes.Repeat([]byte("k"), 1<<20)
	m := newTestManager(t, nil, nil)
	var wg sync.WaitGroup
	errs := make(chan error, 6)
	for range 6 {
		wg.Go(func() {
			_, err := m.DownloadKernel(context.Background(), srv.URL+"/k", "vmlinux")
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := srv.hitCount("/k"); n != 1 {
		t.Errorf("fetched %d times, want 1", n)
	}
}

func TestDownloadRejectsBadInput(t *testing.T) {
	m := newTestManager(t, nil, nil)
	ctx := context.Background()
	for _, name := range []string{"", "..", ".", "a/b", "../x", ".hidden", "a\x00b",
		`a\b`, strings.Repeat("n", 256)} {
		_, err := m.DownloadKernel(ctx, "http://127.0.0.1:1/k", name)
		wantCode(t, err, errdefs.InvalidConfig)
	}
	for _, u := range []string{"file:///etc/passwd", "ftp://x/y", "not a url", "http://"} {
		_, err := m.DownloadRootfs(ctx, u, "ok")
		wantCode(t, err, errdefs.InvalidConfig)
	}
	_, err := m.DownloadRootfs(ctx, "http://127.0.0.1:1/r", "ok", WithSHA256("abc"))
	wantCode(t, err, errdefs.InvalidConfig)
}

func TestQuickstart(t *testing.T) {
	if got, want := QuickstartKernelURL("x86_64"), "https://s3.amazonaws.com/spec.ccfc.min/"+
		"firecracker-ci/v1.14/x86_64/vmlinux-6.1.155"; got != want {
		t.Errorf("QuickstartKernelURL = %s, want %s", got, want)
	}
	if got, want := QuickstartRootfsURL("aarch64"), "https://s3.amazonaws.com/spec.ccfc.min/"+
		"firecracker-ci/v1.14/aarch64/ubuntu-24.04.squashfs"; got != want {
		t.Errorf("QuickstartRootfsURL = %s, want %s", got, want)
	}
	srv := newFileServer(t)
	prefix := "/dl/firecracker-ci/" + QuickstartCIVersion + "/" + HostArch() + "/"
	srv.files[prefix+QuickstartKernelName] = []byte("kernel")
	srv.files[prefix+QuickstartRootfsName] = []byte("squashfs")
	m := newTestManager(t, nil, func(o *Options) { o.QuickstartBase = srv.URL + "/dl" })
	q, err := m.Quickstart(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(q.Kernel); string(b) != "kernel" ||
		q.Kernel != filepath.Join(KernelsDir(m.DataDir()), QuickstartKernelName) {
		t.Errorf("kernel at %s = %q", q.Kernel, b)
	}
	if b, _ := os.ReadFile(q.Rootfs); string(b) != "squashfs" ||
		q.Rootfs != filepath.Join(RootfsDir(m.DataDir()), QuickstartRootfsName) {
		t.Errorf("rootfs at %s = %q", q.Rootfs, b)
	}
}

func TestDownloadRemovesStalePartials(t *testing.T) {
	srv := newFileServer(t)
	srv.files["/k"] = []byte("kernel")
	m := newTestManager(t, nil, nil)
	dir := KernelsDir(m.DataDir())
	os.MkdirAll(dir, 0o755)
	stale := filepath.Join(dir, ".vmlinux.partial-4242")
	keep := filepath.Join(dir, ".vmlinux.partial-x.partial-1") // another name's temp file
	os.WriteFile(stale, []byte("half"), 0o644)
	os.WriteFile(keep, []byte("other"), 0o644)
	if _, err := m.DownloadKernel(context.Background(), srv.URL+"/k", "vmlinux"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Error("a stale partial file was kept")
	}
	if _, err := os.Stat(keep); err != nil {
		t.Errorf("another download's temporary file was removed: %v", err)
	}
}
