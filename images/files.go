package images

import (
	"context"
	"net/url"
	"os"
	"path/filepath"

	"code.foss.global/push.rocks/smartvm/errdefs"
)

// DownloadOption adjusts DownloadKernel and DownloadRootfs.
type DownloadOption func(*downloadConfig)

type downloadConfig struct {
	sha256 string
	force  bool
}

// WithSHA256 makes the download fail unless the file's SHA-256 is hexDigest. A cached
// file is then reused only if it matches; otherwise it is downloaded again.
func WithSHA256(hexDigest string) DownloadOption {
	return func(c *downloadConfig) { c.sha256 = hexDigest }
}

// WithForce downloads the file even when it is cached, replacing it atomically.
func WithForce() DownloadOption {
	return func(c *downloadConfig) { c.force = true }
}

// DownloadKernel fetches a guest kernel from rawURL into kernels/<name> and returns its
// path; see DownloadRootfs for the rules.
func (m *Manager) DownloadKernel(ctx context.Context, rawURL, name string,
	opts ...DownloadOption) (string, error) {
	return m.downloadInto(ctx, KernelsDir(m.dataDir), "kernel", rawURL, name, opts)
}

// DownloadRootfs fetches a root filesystem image from rawURL into rootfs/<name> and
// returns its path. name must pass ValidateName; rawURL must be http or https.
// An existing file of that name is reused without a request (after a checksum
// comparison when WithSHA256 is given). The file is downloaded under a temporary name
// and renamed only when complete and verified, under a file lock, so the final name
// never holds a partial file and concurrent callers download it once. Failures are
// DOWNLOAD_FAILED errors; there is no size limit.
func (m *Manager) DownloadRootfs(ctx context.Context, rawURL, name string,
	opts ...DownloadOption) (string, error) {
	return m.downloadInto(ctx, RootfsDir(m.dataDir), "rootfs", rawURL, name, opts)
}

func (m *Manager) downloadInto(ctx context.Context, dir, kind, rawURL, name string,
	opts []DownloadOption) (string, error) {
	var cfg downloadConfig
	for _, o := range opts {
		o(&cfg)
	}
	if err := ValidateName(name); err != nil {
		return "", err
	}
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", errdefs.New(errdefs.InvalidConfig,
			"invalid %s URL %q: want an http or https URL", kind, rawURL)
	}
	if cfg.sha256 != "" {
		if cfg.sha256, err = normalizeSHA256(cfg.sha256); err != nil {
			return "", err
		}
	}
	final := filepath.Join(dir, name)
	if !cfg.force && m.reusable(final, cfg.sha256) {
		return final, nil
	}
	fail := func(err error, format string, args ...any) (string, error) {
		return "", errdefs.Wrap(err, errdefs.DownloadFailed, format, args...).
			WithDetail("url", rawURL)
	}
	l, err := m.lock(ctx, kind+"-"+name)
	if err != nil {
		return fail(err, "download %s %s", kind, name)
	}
	defer l.unlock()
	if !cfg.force && m.reusable(final, cfg.sha256) {
		return final, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fail(err, "create %s", dir)
	}
	removeStale(dir, "."+name+".partial-", m.log)
	f, err := os.CreateTemp(dir, "."+name+".partial-")
	if err != nil {
		return fail(err, "create a temporary file in %s", dir)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // a no-op once renamed
	got, err := m.fetchFile(ctx, rawURL, f, 0)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fail(err, "download %s %s", kind, name)
	}
	if cfg.sha256 != "" {
		m.report(ProgressEvent{Name: name, URL: rawURL, Phase: PhaseVerify, Total: -1})
		if got != cfg.sha256 {
			return fail(nil, "checksum mismatch for %s %s: expected sha256 %s, the "+
				"download has %s; refusing it", kind, name, cfg.sha256, got)
		}
	}
	if err := os.Chmod(tmp, 0o644); err != nil {
		return fail(err, "set the mode of %s", tmp)
	}
	if err := os.Rename(tmp, final); err != nil {
		return fail(err, "move the download to %s", final)
	}
	syncDir(dir)
	m.log.Info("image downloaded", "kind", kind, "name", name, "path", final)
	m.report(ProgressEvent{Name: name, URL: rawURL, Phase: PhaseDone, Total: -1})
	return final, nil
}

// reusable reports whether p is a regular file matching the expected digest (any
// content when digest is empty).
func (m *Manager) reusable(p, digest string) bool {
	fi, err := os.Stat(p)
	if err != nil || !fi.Mode().IsRegular() {
		return false
	}
	if digest == "" {
		return true
	}
	got, err := fileSHA256(p)
	if err != nil || got != digest {
		m.log.Warn("cached file does not match the expected checksum; downloading again",
			"path", p, "want", digest, "got", got, "err", err)
		return false
	}
	return true
}
