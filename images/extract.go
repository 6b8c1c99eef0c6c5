package images

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// errTooLarge reports an archive that decompresses past its limit.
var errTooLarge = errors.New("archive exceeds the size limit")

// capReader fails with errTooLarge once more than left bytes were read.
type capReader struct {
	r    io.Reader
	left int64
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		return 0, errTooLarge
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}

// extractTarball unpacks the gzip-compressed release tarball at src into dir; see
// extractTar.
func extractTarball(src, dir string, want map[string]string, maxFile int64) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("tarball is not gzip data: %w", err)
	}
	defer zr.Close()
	return extractTar(zr, dir, want, maxFile, maxTarballSize)
}

// extractTar reads a tar stream and writes the entries listed in want, which maps an
// entry's path in the archive to a file name in dir, as executable files in dir.
//
// Every entry is checked, wanted or not: an absolute path, a ".." component, a link,
// device or FIFO fails the whole extraction. Directories are skipped; other regular
// files are read past. A wanted entry larger than maxFile, a stream larger than
// maxTotal, a duplicate wanted entry or a missing one fail too. Nothing is written
// outside dir and nothing but the wanted names is written in it; on failure the caller
// removes dir.
func extractTar(r io.Reader, dir string, want map[string]string, maxFile,
	maxTotal int64) error {
	tr := tar.NewReader(&capReader{r: r, left: maxTotal})
	done := map[string]bool{}
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("read tarball: %w", err)
		}
		name, err := entryPath(hdr.Name)
		if err != nil {
			return err
		}
		switch hdr.Typeflag {
		case tar.TypeDir:
			continue
		case tar.TypeReg, tar.TypeRegA:
		case tar.TypeSymlink, tar.TypeLink:
			return fmt.Errorf("tarball entry %q is a link (to %q); only regular files "+
				"are accepted", hdr.Name, hdr.Linkname)
		default:
			return fmt.Errorf("tarball entry %q has type %q; only regular files are "+
				"accepted", hdr.Name, hdr.Typeflag)
		}
		target, ok := want[name]
		if !ok {
			continue
		}
		if done[target] {
			return fmt.Errorf("tarball holds %q twice", hdr.Name)
		}
		if hdr.Size > maxFile {
			return fmt.Errorf("tarball entry %q has %d bytes, over the limit of %d",
				hdr.Name, hdr.Size, maxFile)
		}
		if err := writeEntry(tr, filepath.Join(dir, target), hdr.Size); err != nil {
			return fmt.Errorf("extract %q: %w", hdr.Name, err)
		}
		done[target] = true
	}
	// Sorted, so the error names the same entry every time.
	for _, entry := range slices.Sorted(maps.Keys(want)) {
		if !done[want[entry]] {
			return fmt.Errorf("tarball lacks %q", entry)
		}
	}
	return nil
}

// entryPath validates an archive path and returns it without a leading "./".
func entryPath(name string) (string, error) {
	clean := strings.TrimPrefix(name, "./")
	if clean == "" || strings.HasPrefix(clean, "/") || strings.ContainsRune(clean, 0) {
		return "", fmt.Errorf("tarball entry %q has an unsafe path", name)
	}
	for _, part := range strings.Split(clean, "/") {
		if part == ".." {
			return "", fmt.Errorf("tarball entry %q has an unsafe path (\"..\")", name)
		}
	}
	return strings.TrimSuffix(clean, "/"), nil
}

// writeEntry copies exactly size bytes into a new file at p. It does not fsync; the
// caller syncs what it keeps.
func writeEntry(r io.Reader, p string, size int64) error {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.CopyN(f, r, size); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
