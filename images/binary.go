package images

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"code.foss.global/push.rocks/smartvm/errdefs"
)

// BinaryPaths locates the binaries of one cached Firecracker release.
type BinaryPaths struct {
	// Version is the release, e.g. "v1.14.2".
	Version string
	// Arch is x86_64 or aarch64.
	Arch string
	// Dir is the folder holding both binaries.
	Dir string
	// Firecracker is the path of the firecracker binary.
	Firecracker string
	// Jailer is the path of the jailer binary.
	Jailer string
}

func binaryPaths(dataDir, version, arch string) BinaryPaths {
	dir := BinDir(dataDir, version, arch)
	return BinaryPaths{Version: version, Arch: arch, Dir: dir,
		Firecracker: filepath.Join(dir, "firecracker"), Jailer: filepath.Join(dir, "jailer")}
}

// complete reports whether both binaries are present as executable regular files.
func (b BinaryPaths) complete() bool {
	return isExecutableFile(b.Firecracker) && isExecutableFile(b.Jailer)
}

func isExecutableFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// Cached returns the paths of a cached release and whether it is in the cache.
// It makes no request.
func (m *Manager) Cached(version, arch string) (BinaryPaths, bool, error) {
	v, err := NormalizeVersion(version)
	if err != nil {
		return BinaryPaths{}, false, err
	}
	a, err := normalizeArch(arch)
	if err != nil {
		return BinaryPaths{}, false, err
	}
	b := binaryPaths(m.dataDir, v, a)
	return b, b.complete(), nil
}

// DownloadFirecracker makes sure the firecracker and jailer binaries of a release
// (version with or without "v"; arch "" for the host's) are in the cache and returns
// their paths. A cached release is returned without any request.
//
// Otherwise it fetches firecracker-<version>-<arch>.tgz and the checksum file the
// release publishes beside it, refuses the tarball unless its SHA-256 matches, extracts
// the two binaries into a temporary folder and renames that folder to bin/<version>.
// Extraction refuses the whole tarball when any entry is a link, device or FIFO, has
// an absolute or ".." path, or when a binary exceeds Options.MaxBinarySize.
// Concurrent callers, in this process or others, wait on a file lock and then find the
// release cached. Transient failures are retried with backoff. Failures are
// DOWNLOAD_FAILED errors and leave the cache as it was.
func (m *Manager) DownloadFirecracker(ctx context.Context, version, arch string) (
	BinaryPaths, error) {
	b, ok, err := m.Cached(version, arch)
	if err != nil || ok {
		return b, err
	}
	l, err := m.lock(ctx, "firecracker-"+b.Version+"-"+b.Arch)
	if err != nil {
		return BinaryPaths{}, errdefs.Wrap(err, errdefs.DownloadFailed,
			"download Firecracker %s", b.Version)
	}
	defer l.unlock()
	if b.complete() { // another caller finished while we waited
		return b, nil
	}
	if err := m.downloadRelease(ctx, b); err != nil {
		return BinaryPaths{}, err
	}
	return b, nil
}

// downloadRelease fetches, verifies and installs a release; the caller holds its lock.
func (m *Manager) downloadRelease(ctx context.Context, b BinaryPaths) error {
	asset := assetName(b.Version, b.Arch)
	url := m.assetURL(b.Version, asset)
	fail := func(err error, format string, args ...any) error {
		return errdefs.Wrap(err, errdefs.DownloadFailed, format, args...).
			WithDetail("url", url)
	}
	if _, err := os.Lstat(b.Dir); err == nil {
		return fail(nil, "%s exists but lacks an executable firecracker or jailer; "+
			"complete or remove it", b.Dir)
	}
	if err := os.MkdirAll(BinRoot(m.dataDir), 0o755); err != nil {
		return fail(err, "create %s", BinRoot(m.dataDir))
	}
	prefix := ".tmp-" + b.Version + "-" + b.Arch + "-"
	removeStale(BinRoot(m.dataDir), prefix, m.log)
	tmp, err := os.MkdirTemp(BinRoot(m.dataDir), prefix)
	if err != nil {
		return fail(err, "create a temporary folder")
	}
	defer os.RemoveAll(tmp)

	sumData, err := m.fetchSmall(ctx, url+".sha256.txt", nil, 4<<10)
	if err != nil {
		return fail(err, "fetch the checksum of %s", asset)
	}
	want, err := parseChecksum(sumData, asset)
	if err != nil {
		return fail(err, "read the checksum of %s", asset)
	}
	tf, err := os.Create(filepath.Join(tmp, asset))
	if err != nil {
		return fail(err, "create a temporary file")
	}
	got, err := m.fetchFile(ctx, url, tf, maxTarballSize)
	tf.Close()
	if err != nil {
		return fail(err, "fetch %s", asset)
	}
	m.report(ProgressEvent{Name: asset, URL: url, Phase: PhaseVerify, Total: -1})
	if got != want {
		return fail(nil, "checksum mismatch for %s: the release says sha256 %s, "+
			"the download has %s; refusing it", asset, want, got)
	}
	m.report(ProgressEvent{Name: asset, URL: url, Phase: PhaseExtract, Total: -1})
	out := filepath.Join(tmp, "out")
	if err := os.Mkdir(out, 0o755); err != nil {
		return fail(err, "create a temporary folder")
	}
	entries := map[string]string{
		releaseEntry(b.Version, b.Arch, "firecracker"): "firecracker",
		releaseEntry(b.Version, b.Arch, "jailer"):      "jailer",
	}
	if err := extractTarball(filepath.Join(tmp, asset), out, entries, m.maxBinary); err != nil {
		return fail(err, "extract %s", asset)
	}
	for _, name := range []string{"firecracker", "jailer"} {
		if err := syncFile(filepath.Join(out, name)); err != nil {
			return fail(err, "write %s", name)
		}
	}
	syncDir(out)
	if err := os.Rename(out, b.Dir); err != nil {
		return fail(err, "move the binaries into %s", b.Dir)
	}
	syncDir(BinRoot(m.dataDir))
	m.log.Info("Firecracker installed", "version", b.Version, "arch", b.Arch, "dir", b.Dir)
	m.report(ProgressEvent{Name: asset, URL: url, Phase: PhaseDone, Total: -1})
	return nil
}

// releaseEntry is the path of a tool inside the release tarball, e.g.
// release-v1.14.2-x86_64/firecracker-v1.14.2-x86_64.
func releaseEntry(version, arch, tool string) string {
	return "release-" + version + "-" + arch + "/" + tool + "-" + version + "-" + arch
}

// removeStale deletes the leftovers of downloads that died (their process is gone,
// since the caller holds the lock for this object): entries of dir named prefix
// followed by the digits os.CreateTemp and os.MkdirTemp append.
func removeStale(dir, prefix string, log *slog.Logger) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), prefix)
		if ok && rest != "" && strings.Trim(rest, "0123456789") == "" {
			p := filepath.Join(dir, e.Name())
			log.Debug("removing the leftover of an interrupted download", "path", p)
			_ = os.RemoveAll(p)
		}
	}
}

// syncFile flushes a file's data to disk, so that a crash after the rename that
// publishes it cannot leave an empty file under the final name.
func syncFile(p string) error {
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// syncDir flushes a folder's entries so a rename survives a crash; errors are ignored
// because the rename itself already succeeded.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

// EnsureOptions says which Firecracker binary EnsureBinary should provide.
type EnsureOptions struct {
	// BinaryPath, when set, is used as is once `BinaryPath --version` succeeds; the
	// cache is not consulted.
	BinaryPath string
	// Version is the release to use; DefaultFirecrackerVersion when empty, the latest
	// release (one API request) when "latest".
	Version string
	// Arch is x86_64 or aarch64; the host's when empty.
	Arch string
	// Offline forbids any network access: only BinaryPath or the cache are used.
	Offline bool
}

// EnsureBinary returns the path of a usable firecracker binary: BinaryPath if set and
// it runs, else the cached release, else one downloaded by DownloadFirecracker.
// It returns BINARY_NOT_FOUND when BinaryPath does not run, or when nothing is cached
// and the release cannot be reached (or Offline is set); the error names the path
// searched and how to provide a binary. Other download failures stay DOWNLOAD_FAILED.
func (m *Manager) EnsureBinary(ctx context.Context, opts EnsureOptions) (string, error) {
	if opts.BinaryPath != "" {
		if _, err := BinaryVersion(ctx, opts.BinaryPath); err != nil {
			return "", err
		}
		return filepath.Abs(opts.BinaryPath)
	}
	version := opts.Version
	switch version {
	case "":
		version = DefaultFirecrackerVersion
	case "latest":
		if opts.Offline {
			return "", errdefs.New(errdefs.InvalidConfig,
				`version "latest" needs network access; pin a version to work offline`)
		}
		v, err := m.LatestVersion(ctx)
		if err != nil {
			return "", err
		}
		version = v
	}
	b, ok, err := m.Cached(version, opts.Arch)
	if err != nil {
		return "", err
	}
	if ok {
		return b.Firecracker, nil
	}
	notFound := func(err error, why string) error {
		return errdefs.Wrap(err, errdefs.BinaryNotFound,
			"no Firecracker %s binary at %s, and %s", b.Version, b.Firecracker, why).
			WithDetail("searched", b.Firecracker).
			WithDetail("provide", "set EnsureOptions.BinaryPath (CLI: --firecracker) "+
				"to a firecracker executable, or put firecracker and jailer into "+b.Dir)
	}
	if opts.Offline {
		return "", notFound(nil, "offline mode forbids downloading it")
	}
	got, err := m.DownloadFirecracker(ctx, b.Version, b.Arch)
	if err != nil {
		if isUnreachable(err) {
			return "", notFound(err, "the release could not be reached")
		}
		return "", err
	}
	return got.Firecracker, nil
}

// BinaryVersion runs `path --version` and returns the version it prints, e.g.
// "v1.14.2" for "Firecracker v1.14.2"; output of another form is returned trimmed to
// its first line. A missing, non-executable or failing binary is a BINARY_NOT_FOUND
// error holding the output.
func BinaryVersion(ctx context.Context, path string) (string, error) {
	fail := func(err error, why string) *errdefs.Error {
		return errdefs.Wrap(err, errdefs.BinaryNotFound, "Firecracker binary %s %s", path, why).
			WithDetail("searched", path)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return "", fail(err, "does not exist")
	}
	if !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
		return "", fail(nil, "is not an executable file")
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, "--version")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		e := fail(err, "failed to run with --version")
		if s := strings.TrimSpace(out.String()); s != "" {
			e = e.WithDetail("output", tail(s, 512))
		}
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			e.Message += " within 10s"
		}
		return "", e
	}
	first, _, _ := strings.Cut(strings.TrimSpace(out.String()), "\n")
	first = strings.TrimSpace(first)
	if v, ok := strings.CutPrefix(first, "Firecracker "); ok {
		return v, nil
	}
	return first, nil
}

// tail returns the last n bytes of s.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// String describes the paths, for logs.
func (b BinaryPaths) String() string {
	return fmt.Sprintf("Firecracker %s (%s) in %s", b.Version, b.Arch, b.Dir)
}
