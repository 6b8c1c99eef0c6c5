package images

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"code.foss.global/push.rocks/smartvm/errdefs"
)

// CloneRootfs copies the image src to rootfs/<name> and returns the new path. src is a
// name in rootfs/ when it has no "/", else a file path.
//
// Where the file system supports reflinks (FICLONE: btrfs, XFS with reflink, bcachefs)
// the copy shares the source's blocks and is instant whatever its size. Elsewhere it is
// a sparse-aware copy: only the data extents found by SEEK_DATA/SEEK_HOLE are copied
// (with copy_file_range, falling back to read/write), so holes stay holes. Zero-filled
// but allocated blocks of the source are copied as data. The copy is built under a
// temporary name and linked into place; an existing name is never replaced. Failures
// are ROOTFS_CLONE_FAILED errors; a bad name is INVALID_CONFIG.
func (m *Manager) CloneRootfs(ctx context.Context, src, name string) (string, error) {
	if err := ValidateName(name); err != nil {
		return "", err
	}
	dir := RootfsDir(m.dataDir)
	if !strings.ContainsRune(src, '/') {
		if err := ValidateName(src); err != nil {
			return "", err
		}
		src = filepath.Join(dir, src)
	}
	final := filepath.Join(dir, name)
	fail := func(err error, format string, args ...any) (string, error) {
		return "", errdefs.Wrap(err, errdefs.RootfsCloneFailed, format, args...).
			WithDetail("source", src)
	}
	in, err := os.Open(src)
	if err != nil {
		return fail(err, "clone rootfs to %s: open the source", name)
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return fail(err, "clone rootfs to %s: the source is not a regular file", name)
	}
	if _, err := os.Lstat(final); err == nil {
		return fail(nil, "clone rootfs to %s: %s already exists", name, final)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fail(err, "clone rootfs to %s: create %s", name, dir)
	}
	out, err := os.CreateTemp(dir, "."+name+".clone-")
	if err != nil {
		return fail(err, "clone rootfs to %s: create a temporary file", name)
	}
	tmp := out.Name()
	defer os.Remove(tmp) // a no-op once linked and removed
	method, err := cloneFile(ctx, in, out)
	if err == nil {
		err = out.Chmod(fi.Mode().Perm())
	}
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fail(err, "clone rootfs to %s", name)
	}
	if err := publish(tmp, final); err != nil {
		return fail(err, "clone rootfs to %s", name)
	}
	m.log.Info("rootfs cloned", "source", src, "path", final, "method", method)
	return final, nil
}

// cloneFile fills the empty file dst with src's content by reflink, else by sparse
// copy, and returns which ("reflink" or "sparse-copy").
func cloneFile(ctx context.Context, src, dst *os.File) (string, error) {
	err := unix.IoctlFileClone(int(dst.Fd()), int(src.Fd()))
	if err == nil {
		return "reflink", nil
	}
	if !reflinkUnsupported(err) {
		return "", fmt.Errorf("reflink: %w", err)
	}
	return "sparse-copy", sparseCopy(ctx, src, dst)
}

// reflinkUnsupported reports whether a FICLONE error means "not here" rather than a
// real failure.
func reflinkUnsupported(err error) bool {
	for _, e := range []error{unix.EOPNOTSUPP, unix.ENOTTY, unix.EXDEV, unix.EINVAL,
		unix.ENOSYS, unix.EPERM, unix.EBADF} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// sparseCopy copies the data extents of src into dst at the same offsets and sizes dst
// to src's length, leaving the holes unallocated. A file system without SEEK_DATA is
// treated as one data extent.
func sparseCopy(ctx context.Context, src, dst *os.File) error {
	fi, err := src.Stat()
	if err != nil {
		return err
	}
	size := fi.Size()
	sfd := int(src.Fd())
	for off := int64(0); off < size; {
		data, err := unix.Seek(sfd, off, unix.SEEK_DATA)
		if errors.Is(err, unix.ENXIO) {
			break // only a hole remains
		}
		hole := size
		if err != nil {
			if !errors.Is(err, unix.EINVAL) {
				return fmt.Errorf("find data at %d: %w", off, err)
			}
			data = off // SEEK_DATA unsupported: copy the rest
		} else if h, err := unix.Seek(sfd, data, unix.SEEK_HOLE); err == nil {
			hole = min(h, size)
		}
		if err := copyRange(ctx, src, dst, data, hole-data); err != nil {
			return err
		}
		off = hole
	}
	if err := dst.Truncate(size); err != nil {
		return fmt.Errorf("size the copy: %w", err)
	}
	return nil
}

// copyChunk bounds one copy_file_range call, so cancellation is noticed between
// chunks.
const copyChunk = 8 << 20

// copyRange copies n bytes at off from src to dst at the same offset, with
// copy_file_range when the kernel allows it and read/write otherwise.
func copyRange(ctx context.Context, src, dst *os.File, off, n int64) error {
	roff, woff, end := off, off, off+n
	for roff < end {
		if err := ctx.Err(); err != nil {
			return err
		}
		c, err := unix.CopyFileRange(int(src.Fd()), &roff, int(dst.Fd()), &woff,
			int(min(end-roff, copyChunk)), 0)
		if err != nil {
			if errors.Is(err, unix.EINTR) || errors.Is(err, unix.EAGAIN) {
				continue
			}
			if errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EXDEV) ||
				errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.EINVAL) {
				return readWriteRange(ctx, src, dst, roff, end-roff)
			}
			return fmt.Errorf("copy bytes %d-%d: %w", roff, end, err)
		}
		if c == 0 {
			return fmt.Errorf("copy bytes %d-%d: %w (source shrank)", roff, end,
				io.ErrUnexpectedEOF)
		}
	}
	return nil
}

// readWriteRange is copyRange's fallback through a user-space buffer.
func readWriteRange(ctx context.Context, src, dst *os.File, off, n int64) error {
	buf := make([]byte, 1<<20)
	for n > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		b := buf[:min(n, int64(len(buf)))]
		r, err := src.ReadAt(b, off)
		if r > 0 {
			if _, werr := dst.WriteAt(b[:r], off); werr != nil {
				return fmt.Errorf("write at %d: %w", off, werr)
			}
			off, n = off+int64(r), n-int64(r)
		}
		if err != nil && n > 0 {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return fmt.Errorf("read at %d: %w (source shrank?)", off, err)
		}
	}
	return nil
}
