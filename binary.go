package smartvm

import (
	"context"
	"os"
	"os/exec"

	"code.foss.global/push.rocks/smartvm/api"
	"code.foss.global/push.rocks/smartvm/errdefs"
	"code.foss.global/push.rocks/smartvm/images"
)

// binary returns the Firecracker executable to run, resolving it once: the configured
// path (which must run `--version`), else the cached release in the data directory, else
// firecracker on PATH, else a download of the release.
func (s *SmartVM) binary(ctx context.Context) (string, error) {
	s.binMu.Lock()
	defer s.binMu.Unlock()
	if s.binPath != "" {
		return s.binPath, nil
	}
	im := images.NewManager(images.Options{DataDir: s.opts.DataDir, Logger: s.opts.Logger})
	opts := images.EnsureOptions{BinaryPath: s.opts.FirecrackerBinaryPath,
		Version: s.opts.FirecrackerVersion, Arch: s.opts.Arch}
	if opts.BinaryPath == "" {
		version := opts.Version
		if version == "" {
			version = images.DefaultFirecrackerVersion
		}
		cached, ok, _ := im.Cached(version, opts.Arch)
		if ok {
			s.binPath = cached.Firecracker
			return s.binPath, nil
		}
		if p, err := exec.LookPath("firecracker"); err == nil {
			opts.BinaryPath = p
		}
	}
	p, err := im.EnsureBinary(ctx, opts)
	if err != nil {
		return "", err
	}
	s.binPath = p
	return p, nil
}

// binaryKey identifies one binary file: a replaced file gets a new key.
type binaryKey struct {
	path  string
	size  int64
	mtime int64
}

// versionOf returns the version of the Firecracker answering on client. The first VM of
// each binary asks it (GET /version); later VMs of the same, unchanged file reuse the
// answer, saving a round trip on every Start.
func (s *SmartVM) versionOf(ctx context.Context, binary string, c *api.Client) (api.Version,
	error) {
	var key binaryKey
	if fi, err := os.Stat(binary); err == nil {
		key = binaryKey{binary, fi.Size(), fi.ModTime().UnixNano()}
		s.verMu.Lock()
		v, ok := s.verSeen[key]
		s.verMu.Unlock()
		if ok {
			return v, nil
		}
	}
	var ver api.FirecrackerVersion
	if err := c.Get(ctx, "/version", &ver); err != nil {
		return api.Version{}, err
	}
	v, err := api.ParseVersion(ver.FirecrackerVersion)
	if err != nil {
		return v, errdefs.Wrap(err, errdefs.APIError, "GET /version: unreadable answer %q",
			ver.FirecrackerVersion)
	}
	if key.path != "" {
		s.verMu.Lock()
		if s.verSeen == nil {
			s.verSeen = map[binaryKey]api.Version{}
		}
		s.verSeen[key] = v
		s.verMu.Unlock()
	}
	return v, nil
}
