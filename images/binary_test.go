package images

import (
	"archive/tar"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"code.foss.global/push.rocks/smartvm/errdefs"
)

func TestDownloadFirecracker(t *testing.T) {
	srv := newReleaseServer(t)
	srv.publishGood(t, testVersion, HostArch())
	var mu sync.Mutex
	phases := map[Phase]int{}
	m := newTestManager(t, srv, func(o *Options) {
		o.Progress = func(ev ProgressEvent) {
			mu.Lock()
			phases[ev.Phase]++
			mu.Unlock()
		}
	})
	ctx := context.Background()
	b, err := m.DownloadFirecracker(ctx, strings.TrimPrefix(testVersion, "v"), "")
	if err != nil {
		t.Fatal(err)
	}
	wantDir := filepath.Join(m.DataDir(), "bin", testVersion)
	if b.Dir != wantDir || b.Firecracker != filepath.Join(wantDir, "firecracker") ||
		b.Jailer != filepath.Join(wantDir, "jailer") || b.Version != testVersion {
		t.Fatalf("paths = %+v, want them under %s", b, wantDir)
	}
	for tool, p := range map[string]string{"Firecracker": b.Firecracker, "Jailer": b.Jailer} {
		got, err := os.ReadFile(p)
		if err != nil || string(got) != fakeBinary(tool, testVersion) {
			t.Errorf("%s = %q, %v; want the tarball's content", p, got, err)
		}
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm()&0o111 == 0 {
			t.Errorf("%s is not executable: %v %v", p, fi.Mode(), err)
		}
	}
	entries, _ := os.ReadDir(wantDir)
	if len(entries) != 2 {
		t.Errorf("%s holds %d files, want only firecracker and jailer", wantDir, len(entries))
	}
	if v, err := BinaryVersion(ctx, b.Firecracker); err != nil || v != testVersion {
		t.Errorf("BinaryVersion = %q, %v", v, err)
	}
	mu.Lock()
	if phases[PhaseDownload] == 0 || phases[PhaseVerify] != 1 || phases[PhaseDone] != 1 {
		t.Errorf("progress phases = %v", phases)
	}
	mu.Unlock()

	// Second call and EnsureBinary: served from the cache, no request.
	before := srv.totalHits()
	if b2, err := m.DownloadFirecracker(ctx, testVersion, HostArch()); err != nil || b2 != b {
		t.Fatalf("second call = %+v, %v", b2, err)
	}
	p, err := m.EnsureBinary(ctx, EnsureOptions{Version: testVersion})
	if err != nil || p != b.Firecracker {
		t.Fatalf("EnsureBinary = %q, %v; want %q", p, err, b.Firecracker)
	}
	if n := srv.totalHits(); n != before {
		t.Errorf("cached calls made %d requests", n-before)
	}
	inv, err := m.List()
	if err != nil || len(inv.Binaries) != 1 || inv.Binaries[0] != b {
		t.Errorf("List binaries = %+v, %v", inv.Binaries, err)
	}
}

func TestDownloadFirecrackerForeignArch(t *testing.T) {
	other := "aarch64"
	if HostArch() == "aarch64" {
		other = "x86_64"
	}
	srv := newReleaseServer(t)
	srv.publishGood(t, testVersion, other)
	m := newTestManager(t, srv, nil)
	b, err := m.DownloadFirecracker(context.Background(), testVersion, other)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(m.DataDir(), "bin", testVersion+"-"+other); b.Dir != want {
		t.Errorf("dir = %s, want %s", b.Dir, want)
	}
	inv, err := m.List()
	if err != nil || len(inv.Binaries) != 1 || inv.Binaries[0].Arch != other ||
		inv.Binaries[0].Version != testVersion {
		t.Errorf("List binaries = %+v, %v", inv.Binaries, err)
	}
	if _, ok, _ := m.Cached(testVersion, ""); ok {
		t.Error("a foreign-arch release counts as cached for the host")
	}
}

func TestDownloadFirecrackerFailuresLeaveCacheAlone(t *testing.T) {
	arch := HostArch()
	dir := "release-" + testVersion + "-" + arch + "/"
	asset := assetName(testVersion, arch)
	good := releaseEntries(testVersion, arch)
	withEntry := func(e tarEntry) []tarEntry { return append(append([]tarEntry{}, good...), e) }
	cases := []struct {
		name    string
		setup   func(t *testing.T, s *releaseServer)
		wantMsg string
	}{
		{"corrupted tarball", func(t *testing.T, s *releaseServer) {
			tgz := gzipBytes(t, buildTar(t, good))
			bad := append([]byte{}, tgz...)
			bad[len(bad)/2] ^= 0xff
			s.publish(testVersion, arch, bad, sha256Hex(tgz)+"  "+asset)
		}, "checksum mismatch"},
		{"wrong checksum", func(t *testing.T, s *releaseServer) {
			tgz := gzipBytes(t, buildTar(t, good))
			s.publish(testVersion, arch, tgz, strings.Repeat("0", 64)+"  "+asset)
		}, "checksum mismatch"},
		{"not gzip", func(t *testing.T, s *releaseServer) {
			body := []byte("this is not a tarball")
			s.publish(testVersion, arch, body, sha256Hex(body)+"  "+asset)
		}, "not gzip"},
		{"dot-dot entry", func(t *testing.T, s *releaseServer) {
			tgz := gzipBytes(t, buildTar(t, withEntry(tarEntry{name: "../x",
				typ: tar.TypeReg, body: "escape"})))
			s.publish(testVersion, arch, tgz, sha256Hex(tgz)+"  "+asset)
		}, "unsafe path"},
		{"symlink entry", func(t *testing.T, s *releaseServer) {
			tgz := gzipBytes(t, buildTar(t, withEntry(tarEntry{name: dir + "evil",
				typ: tar.TypeSymlink, linkname: "/etc/passwd"})))
			s.publish(testVersion, arch, tgz, sha256Hex(tgz)+"  "+asset)
		}, "is a link"},
		{"missing jailer", func(t *testing.T, s *releaseServer) {
			tgz := gzipBytes(t, buildTar(t, good[:2]))
			s.publish(testVersion, arch, tgz, sha256Hex(tgz)+"  "+asset)
		}, "lacks"},
		{"truncated transfer", func(t *testing.T, s *releaseServer) {
			tgz := s.publishGood(t, testVersion, arch)
			s.truncate[testVersion+"/"+asset] = true
			_ = tgz
		}, "bytes"},
		{"no checksum file", func(t *testing.T, s *releaseServer) {
			s.publishGood(t, testVersion, arch)
			delete(s.assets, testVersion+"/"+asset+".sha256.txt")
		}, "fetch the checksum"},
		{"no such release", func(t *testing.T, s *releaseServer) {}, "HTTP 404"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := newReleaseServer(t)
			srv.publishGood(t, "v1.98.0", arch)
			tc.setup(t, srv)
			m := newTestManager(t, srv, nil)
			ctx := context.Background()
			// A release already in the cache must survive the failure untouched.
			if _, err := m.DownloadFirecracker(ctx, "v1.98.0", arch); err != nil {
				t.Fatal(err)
			}
			if err := m.EnsureLayout(); err != nil {
				t.Fatal(err)
			}
			before := snapshotTree(t, m.DataDir())
			_, err := m.DownloadFirecracker(ctx, testVersion, arch)
			e := wantCode(t, err, errdefs.DownloadFailed)
			if !strings.Contains(e.Error(), tc.wantMsg) {
				t.Errorf("error %q lacks %q", e.Error(), tc.wantMsg)
			}
			if d := diffTrees(before, snapshotTree(t, m.DataDir())); len(d) != 0 {
				t.Errorf("the failure changed the cache: %v", d)
			}
			// EnsureBinary reports a broken release as DOWNLOAD_FAILED, not as offline.
			_, err = m.EnsureBinary(ctx, EnsureOptions{Version: testVersion})
			wantCode(t, err, errdefs.DownloadFailed)
		})
	}
}

func TestDownloadFirecrackerTruncatedIsRetried(t *testing.T) {
	srv := newReleaseServer(t)
	srv.publishGood(t, testVersion, HostArch())
	srv.truncate[testVersion+"/"+assetName(testVersion, HostArch())] = true
	m := newTestManager(t, srv, nil) // Retries: 2
	_, err := m.DownloadFirecracker(context.Background(), testVersion, "")
	wantCode(t, err, errdefs.DownloadFailed)
	if n := srv.hitCount(tarballPath(testVersion, HostArch())); n != 3 {
		t.Errorf("tarball fetched %d times, want 3 (1 + 2 retries)", n)
	}
}

func TestDownloadFirecrackerRetriesTransientErrors(t *testing.T) {
	srv := newReleaseServer(t)
	srv.publishGood(t, testVersion, HostArch())
	srv.failFirst = 2 // the checksum file gets two 503s first
	var mu sync.Mutex
	var retries []error
	m := newTestManager(t, srv, func(o *Options) {
		o.Progress = func(ev ProgressEvent) {
			if ev.Phase == PhaseRetry {
				mu.Lock()
				retries = append(retries, ev.Err)
				mu.Unlock()
			}
		}
	})
	if _, err := m.DownloadFirecracker(context.Background(), testVersion, ""); err != nil {
		t.Fatal(err)
	}
	if len(retries) != 2 || !strings.Contains(retries[0].Error(), "503") {
		t.Errorf("retry events = %v, want two 503s", retries)
	}
}

func TestDownloadFirecrackerRejectsBadInput(t *testing.T) {
	m := newTestManager(t, nil, nil)
	for _, c := range [][2]string{{"../v1.2.3", ""}, {"v1.2", ""}, {testVersion, "riscv64"},
		{testVersion, "x86_64/.."}} {
		_, err := m.DownloadFirecracker(context.Background(), c[0], c[1])
		wantCode(t, err, errdefs.InvalidConfig)
	}
}

func TestEnsureBinaryOffline(t *testing.T) {
	srv := newReleaseServer(t)
	srv.publishGood(t, testVersion, HostArch())
	m := newTestManager(t, srv, nil)
	_, err := m.EnsureBinary(context.Background(),
		EnsureOptions{Version: testVersion, Offline: true})
	e := wantCode(t, err, errdefs.BinaryNotFound)
	want := filepath.Join(m.DataDir(), "bin", testVersion, "firecracker")
	if !strings.Contains(e.Message, want) || e.Details["searched"] != want {
		t.Errorf("error %q does not name the searched path %s", e.Error(), want)
	}
	if !strings.Contains(e.Details["provide"], "BinaryPath") {
		t.Errorf("error does not say how to provide a binary: %v", e.Details)
	}
	if n := srv.totalHits(); n != 0 {
		t.Errorf("offline mode made %d requests", n)
	}
}

func TestEnsureBinaryUnreachable(t *testing.T) {
	srv := newReleaseServer(t)
	m := newTestManager(t, srv, nil)
	srv.Close()
	_, err := m.EnsureBinary(context.Background(), EnsureOptions{Version: testVersion})
	e := wantCode(t, err, errdefs.BinaryNotFound)
	if !strings.Contains(e.Message, filepath.Join(m.DataDir(), "bin", testVersion)) {
		t.Errorf("error %q does not name the searched path", e.Message)
	}
	if !errors.Is(err, errdefs.New(errdefs.DownloadFailed, "")) {
		t.Errorf("error %v does not keep the download failure as its cause", err)
	}
}

func TestEnsureBinaryLatest(t *testing.T) {
	srv := newReleaseServer(t)
	srv.latest = "1.97.3"
	srv.publishGood(t, "v1.97.3", HostArch())
	m := newTestManager(t, srv, nil)
	p, err := m.EnsureBinary(context.Background(), EnsureOptions{Version: "latest"})
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(m.DataDir(), "bin", "v1.97.3", "firecracker"); p != want {
		t.Errorf("path = %s, want %s", p, want)
	}
}

func TestEnsureBinaryDefaultVersionIsPinned(t *testing.T) {
	srv := newReleaseServer(t)
	m := newTestManager(t, srv, nil)
	_, err := m.EnsureBinary(context.Background(), EnsureOptions{})
	wantCode(t, err, errdefs.DownloadFailed) // the fake server has no such release
	if n := srv.hitCount("/dl/" + DefaultFirecrackerVersion + "/" +
		assetName(DefaultFirecrackerVersion, HostArch()) + ".sha256.txt"); n != 1 {
		t.Errorf("default version %s was not asked for", DefaultFirecrackerVersion)
	}
}

func writeScript(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "fake-firecracker")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestEnsureBinaryExplicitPath(t *testing.T) {
	m := newTestManager(t, nil, nil)
	ctx := context.Background()
	good := writeScript(t, `[ "$1" = --version ] && echo "Firecracker v9.8.7" && exit 0; exit 3`)
	p, err := m.EnsureBinary(ctx, EnsureOptions{BinaryPath: good})
	if err != nil || p != good {
		t.Fatalf("EnsureBinary = %q, %v", p, err)
	}
	if v, err := BinaryVersion(ctx, good); err != nil || v != "v9.8.7" {
		t.Errorf("BinaryVersion = %q, %v", v, err)
	}

	bad := writeScript(t, `echo "cannot start: no kvm" >&2; exit 1`)
	_, err = m.EnsureBinary(ctx, EnsureOptions{BinaryPath: bad})
	e := wantCode(t, err, errdefs.BinaryNotFound)
	if !strings.Contains(e.Details["output"], "no kvm") || e.Details["searched"] != bad {
		t.Errorf("error %v lacks the output or path", e)
	}

	missing := filepath.Join(t.TempDir(), "nope")
	_, err = m.EnsureBinary(ctx, EnsureOptions{BinaryPath: missing})
	wantCode(t, err, errdefs.BinaryNotFound)

	noExec := filepath.Join(t.TempDir(), "plain")
	os.WriteFile(noExec, []byte("x"), 0o644)
	_, err = m.EnsureBinary(ctx, EnsureOptions{BinaryPath: noExec})
	wantCode(t, err, errdefs.BinaryNotFound)
}

func TestBinaryVersionRealFirecracker(t *testing.T) {
	env := os.Getenv("SMARTVM_TEST_FIRECRACKER")
	if env == "" {
		t.Skip("SKIPPED real Firecracker run: SMARTVM_TEST_FIRECRACKER is not set")
	}
	for _, p := range strings.Split(env, ":") { // one path or several, like the other tests
		v, err := BinaryVersion(context.Background(), p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := NormalizeVersion(v); err != nil {
			t.Errorf("version %q from %s is not a version", v, p)
		}
	}
}

func TestDownloadFirecrackerRemovesStaleLeftovers(t *testing.T) {
	srv := newReleaseServer(t)
	srv.publishGood(t, testVersion, HostArch())
	m := newTestManager(t, srv, nil)
	root := BinRoot(m.DataDir())
	stale := filepath.Join(root, ".tmp-"+testVersion+"-"+HostArch()+"-12345")
	other := filepath.Join(root, ".tmp-"+testVersion+"-rc1-"+HostArch()+"-777")
	for _, d := range []string{stale, other} {
		if err := os.MkdirAll(filepath.Join(d, "out"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := m.DownloadFirecracker(context.Background(), testVersion, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("leftover %s of a dead download was kept", stale)
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("another version's folder %s was removed: %v", other, err)
	}
}

func TestDownloadFirecrackerIncompleteDir(t *testing.T) {
	srv := newReleaseServer(t)
	srv.publishGood(t, testVersion, HostArch())
	m := newTestManager(t, srv, nil)
	dir := BinDir(m.DataDir(), testVersion, "")
	os.MkdirAll(dir, 0o755)
	mine := filepath.Join(dir, "firecracker")
	os.WriteFile(mine, []byte("my own build"), 0o755)
	_, err := m.DownloadFirecracker(context.Background(), testVersion, "")
	e := wantCode(t, err, errdefs.DownloadFailed)
	if !strings.Contains(e.Message, "lacks") {
		t.Errorf("message %q", e.Message)
	}
	if b, _ := os.ReadFile(mine); string(b) != "my own build" {
		t.Error("a file the user put into the cache was replaced")
	}
	if n := srv.totalHits(); n != 0 {
		t.Errorf("made %d requests before refusing", n)
	}
}
