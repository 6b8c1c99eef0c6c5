package images

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"code.foss.global/push.rocks/smartvm/errdefs"
)

// MaxRootfsMiB is the largest size CreateBlankRootfs accepts: 16 TiB, ext4's limit with
// 4 KiB blocks.
const MaxRootfsMiB = 16 << 20

// CreateBlankRootfs creates rootfs/<name>, a sparse file of sizeMiB MiB holding an
// empty ext4 file system made by mkfs.ext4 (from e2fsprogs; see Options.MkfsPath), and
// returns its path. The image is built under a temporary name and linked into place, so
// an existing image is never replaced. Failures are ROOTFS_CREATE_FAILED errors that
// carry mkfs's output; a bad name or size is INVALID_CONFIG.
func (m *Manager) CreateBlankRootfs(ctx context.Context, name string, sizeMiB int) (
	string, error) {
	if err := ValidateName(name); err != nil {
		return "", err
	}
	if sizeMiB < 1 || sizeMiB > MaxRootfsMiB {
		return "", errdefs.New(errdefs.InvalidConfig,
			"invalid rootfs size %d MiB: want 1 to %d", sizeMiB, MaxRootfsMiB)
	}
	dir := RootfsDir(m.dataDir)
	final := filepath.Join(dir, name)
	fail := func(err error, format string, args ...any) *errdefs.Error {
		return errdefs.Wrap(err, errdefs.RootfsCreateFailed, format, args...).
			WithDetail("path", final)
	}
	mkfs, err := m.findMkfs()
	if err != nil {
		return "", fail(err, "create rootfs %s: mkfs.ext4 not found; install e2fsprogs", name)
	}
	if _, err := os.Lstat(final); err == nil {
		return "", fail(nil, "create rootfs %s: %s already exists", name, final)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fail(err, "create rootfs %s: create %s", name, dir)
	}
	f, err := os.CreateTemp(dir, "."+name+".new-")
	if err != nil {
		return "", fail(err, "create rootfs %s: create a temporary file", name)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // a no-op once linked and removed
	err = f.Truncate(int64(sizeMiB) << 20)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fail(err, "create rootfs %s: size the file", name)
	}
	cmd := exec.CommandContext(ctx, mkfs, "-F", "-q", tmp)
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(out.String())
		e := fail(err, "create rootfs %s: mkfs.ext4 failed", name)
		if msg != "" {
			e.Message += ": " + tail(msg, 1024)
		}
		return "", e
	}
	if err := publish(tmp, final); err != nil {
		return "", fail(err, "create rootfs %s", name)
	}
	m.log.Info("blank rootfs created", "path", final, "size_mib", sizeMiB)
	return final, nil
}

// findMkfs returns the mkfs.ext4 to run. /sbin and /usr/sbin are searched too because
// they are often missing from an unprivileged user's PATH.
func (m *Manager) findMkfs() (string, error) {
	if m.mkfsPath != "" {
		return exec.LookPath(m.mkfsPath)
	}
	p, err := exec.LookPath("mkfs.ext4")
	if err == nil {
		return p, nil
	}
	for _, c := range []string{"/usr/sbin/mkfs.ext4", "/sbin/mkfs.ext4"} {
		if isExecutableFile(c) {
			return c, nil
		}
	}
	return "", err
}

// publish moves the finished file tmp to final unless final exists: link(2) fails
// atomically on an existing name, which rename(2) would replace.
func publish(tmp, final string) error {
	if err := os.Link(tmp, final); err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("%s already exists", final)
		}
		return fmt.Errorf("move into place: %w", err)
	}
	_ = os.Remove(tmp)
	syncDir(filepath.Dir(final))
	return nil
}

// RemoveRootfs deletes rootfs/<name>. A missing image is a NOT_FOUND error.
func (m *Manager) RemoveRootfs(name string) error {
	if err := ValidateName(name); err != nil {
		return err
	}
	p := filepath.Join(RootfsDir(m.dataDir), name)
	if err := os.Remove(p); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return errdefs.New(errdefs.NotFound, "no rootfs image %s", p)
		}
		return errdefs.Wrap(err, errdefs.CleanupFailed, "remove rootfs %s", p)
	}
	return nil
}

// FileInfo describes a cached kernel or rootfs image.
type FileInfo struct {
	// Name is the file name in its folder.
	Name string
	// Path is the full path.
	Path string
	// Size is the apparent size in bytes.
	Size int64
	// DiskBytes is the space the file occupies on disk, less than Size for a sparse
	// file.
	DiskBytes int64
	// ModTime is the last modification time.
	ModTime time.Time
}

// Inventory lists what the data directory holds.
type Inventory struct {
	// DataDir is the data directory listed.
	DataDir string
	// Binaries are the complete cached releases, sorted by folder name.
	Binaries []BinaryPaths
	// Kernels are the files in kernels/, sorted by name.
	Kernels []FileInfo
	// Rootfs are the files in rootfs/, sorted by name.
	Rootfs []FileInfo
}

// List returns the cached binaries, kernels and rootfs images. Temporary files (names
// starting with ".") and incomplete releases are left out; missing folders are empty.
func (m *Manager) List() (Inventory, error) {
	inv := Inventory{DataDir: m.dataDir}
	var err error
	if inv.Binaries, err = m.listBinaries(); err != nil {
		return inv, err
	}
	if inv.Kernels, err = listFiles(KernelsDir(m.dataDir)); err != nil {
		return inv, err
	}
	inv.Rootfs, err = listFiles(RootfsDir(m.dataDir))
	return inv, err
}

func (m *Manager) listBinaries() ([]BinaryPaths, error) {
	entries, err := os.ReadDir(BinRoot(m.dataDir))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("list %s: %w", BinRoot(m.dataDir), err)
	}
	var out []BinaryPaths
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		version, arch := e.Name(), HostArch()
		for _, a := range []string{"x86_64", "aarch64"} {
			if v, ok := strings.CutSuffix(e.Name(), "-"+a); ok {
				version, arch = v, a
			}
		}
		if _, err := NormalizeVersion(version); err != nil {
			continue
		}
		if b := binaryPaths(m.dataDir, version, arch); b.complete() {
			out = append(out, b)
		}
	}
	return out, nil
}

func listFiles(dir string) ([]FileInfo, error) {
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	var out []FileInfo
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") || !e.Type().IsRegular() {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		info := FileInfo{Name: e.Name(), Path: filepath.Join(dir, e.Name()),
			Size: fi.Size(), DiskBytes: fi.Size(), ModTime: fi.ModTime()}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			info.DiskBytes = st.Blocks * 512
		}
		out = append(out, info)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
