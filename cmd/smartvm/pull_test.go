package main_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"code.foss.global/push.rocks/smartvm/images"
	"code.foss.global/push.rocks/smartvm/internal/fctest"
	"code.foss.global/push.rocks/smartvm/internal/guest"
)

// releaseTarball packs the simulator as a Firecracker release the way the project
// publishes it, and returns the tarball and its checksum file.
func releaseTarball(t *testing.T, version string) ([]byte, []byte) {
	t.Helper()
	sim, err := os.ReadFile(fctest.SimBinary(t))
	if err != nil {
		t.Fatal(err)
	}
	arch := images.HostArch()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, tool := range []string{"firecracker", "jailer"} {
		name := "release-" + version + "-" + arch + "/" + tool + "-" + version + "-" + arch
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o755, Size: int64(len(sim)),
			Typeflag: tar.TypeReg})
		tw.Write(sim)
	}
	tw.Close()
	gz.Close()
	sum := sha256.Sum256(buf.Bytes())
	asset := "firecracker-" + version + "-" + arch + ".tgz"
	return buf.Bytes(), []byte(hex.EncodeToString(sum[:]) + "  " + asset + "\n")
}

// fileServer serves files by path and counts the requests.
func fileServer(t *testing.T, files map[string][]byte) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(data)
	}))
	t.Cleanup(srv.Close)
	return srv
}

type cacheList struct {
	Firecracker []struct{ Version, Firecracker string } `json:"firecracker"`
	Kernels     []struct{ Name, Path string }           `json:"kernels"`
	Rootfs      []struct{ Name, Path string }           `json:"rootfs"`
}

// TestPullFirecrackerThenRunFromCache downloads a release from a local server and boots a
// VM with it without --firecracker.
func TestPullFirecrackerThenRunFromCache(t *testing.T) {
	const version = images.DefaultFirecrackerVersion
	tgz, sum := releaseTarball(t, version)
	asset := "/" + version + "/firecracker-" + version + "-" + images.HostArch() + ".tgz"
	srv := fileServer(t, map[string][]byte{asset: tgz, asset + ".sha256.txt": sum})
	e := newEnv(t)
	e.setenv("SMARTVM_DOWNLOAD_BASE="+srv.URL, "PATH="+t.TempDir()+":"+os.Getenv("PATH"))

	r := e.run("pull", "firecracker", strings.TrimPrefix(version, "v"))
	if r.status != 0 {
		t.Fatalf("pull firecracker: status %d", r.status)
	}
	bin := filepath.Join(e.dataDir, "bin", version, "firecracker")
	if !strings.Contains(r.stdout, bin) || !strings.Contains(r.stderr, "downloading ") {
		t.Errorf("pull output does not name %s or show progress", bin)
	}
	var list cacheList
	r = e.run("images", "--json")
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil || len(list.Firecracker) != 1 ||
		list.Firecracker[0].Firecracker != bin {
		t.Errorf("images --json: %v %+v", err, list)
	}
	fc := doctorJSON(t, e)["Firecracker"]
	if !fc.OK || !strings.Contains(fc.Detail, "from cache") {
		t.Errorf("doctor does not find the cached binary: %+v", fc)
	}
	cmd, _, errb := startRun(t, e, "run", "--kernel", kernel(t, e.dataDir))
	cmd.Process.Signal(syscall.SIGTERM)
	if status := exitCode(t, cmd.Wait()); status != 0 {
		t.Errorf("run from the cache: status %d\n%s", status, errb)
	}
}

func TestPullImages(t *testing.T) {
	kernelData := []byte("not really a kernel")
	srv := fileServer(t, map[string][]byte{"/k/vmlinux-test": kernelData,
		"/r/root.img": []byte("rootfs bytes")})
	e := newEnv(t)
	r := e.run("pull", "kernel", srv.URL+"/k/vmlinux-test")
	path := filepath.Join(e.dataDir, "kernels", "vmlinux-test")
	if got, err := os.ReadFile(path); r.status != 0 || err != nil || !bytes.Equal(got,
		kernelData) {
		t.Errorf("pull kernel: status %d, file %q, %v", r.status, got, err)
	}
	r = e.run("pull", "rootfs", srv.URL+"/r/root.img", "--name", "mine.img", "--sha256",
		strings.Repeat("0", 64))
	wantError(t, r, 1, "DOWNLOAD_FAILED")
	r = e.run("pull", "rootfs", srv.URL+"/r/missing.img")
	wantError(t, r, 1, "DOWNLOAD_FAILED")
	r = e.run("pull", "rootfs", srv.URL+"/r/root.img", "--name", "mine.img")
	if r.status != 0 {
		t.Errorf("pull rootfs: status %d", r.status)
	}
	var list cacheList
	r = e.run("images", "--json")
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil || len(list.Kernels) != 1 ||
		len(list.Rootfs) != 1 || list.Rootfs[0].Name != "mine.img" {
		t.Errorf("images --json: %v %+v", err, list)
	}
	r = e.run("images")
	if !strings.Contains(r.stdout, "vmlinux-test") || !strings.Contains(r.stdout, "mine.img") {
		t.Errorf("images does not list the downloads:\n%s", r.stdout)
	}
}

// TestRunQuickstart: run without --kernel fetches the quickstart kernel and rootfs once
// (here from a local mirror serving the tiny guest) and boots them.
func TestRunQuickstart(t *testing.T) {
	base := "/firecracker-ci/" + images.QuickstartCIVersion + "/" + images.HostArch() + "/"
	srv := fileServer(t, map[string][]byte{base + images.QuickstartKernelName: guest.ELF,
		base + images.QuickstartRootfsName: make([]byte, 4096)})
	e := newEnv(t)
	e.setenv("SMARTVM_QUICKSTART_BASE=" + srv.URL)
	cmd, _, errb := startRun(t, e, append([]string{"run"}, simArgs(t, "1.14.2")...)...)
	cmd.Process.Signal(syscall.SIGINT)
	if status := exitCode(t, cmd.Wait()); status != 0 {
		t.Errorf("status %d\n%s", status, errb)
	}
	if !strings.Contains(errb.String(), "downloading "+images.QuickstartKernelName) {
		t.Errorf("no download progress on stderr:\n%s", errb)
	}
	for _, p := range []string{filepath.Join("kernels", images.QuickstartKernelName),
		filepath.Join("rootfs", images.QuickstartRootfsName)} {
		if _, err := os.Stat(filepath.Join(e.dataDir, p)); err != nil {
			t.Errorf("quickstart image not cached: %v", err)
		}
	}
}
