package smartvm

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"code.foss.global/push.rocks/smartvm/api"
	"code.foss.global/push.rocks/smartvm/errdefs"
)

// A VM id is claimed with an exclusive flock on <dataDir>/vms/<id>.lock from Start (or
// LoadSnapshot) until Cleanup. The claim makes the id's socket, directory and network
// records this VM's: two SmartVMs sharing a data directory, in one process or in several,
// never run the same id, and a VM that did not claim its id removes none of those files.
// The kernel drops the lock when its process dies, so a crashed manager leaves no stale
// claim.

func (m *MicroVM) lockPath() string {
	return filepath.Join(m.mgr.opts.DataDir, "vms", m.id+".lock")
}

// claimID takes the id's lock, or fails with START_FAILED touching nothing.
func (m *MicroVM) claimID() error {
	path := m.lockPath()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return errdefs.Wrap(err, errdefs.StartFailed, "create %s", filepath.Dir(path))
	}
	for range 5 {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
		if err != nil {
			return errdefs.Wrap(err, errdefs.StartFailed, "open VM id lock %s", path)
		}
		err = unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if errors.Is(err, unix.EWOULDBLOCK) {
			f.Close()
			return errdefs.New(errdefs.StartFailed, "VM id %s is in use by another SmartVM "+
				"on data directory %s; clean that VM up or use another id", m.id,
				m.mgr.opts.DataDir)
		}
		if err != nil {
			f.Close()
			return errdefs.Wrap(err, errdefs.StartFailed, "lock %s", path)
		}
		if sameFile(f, path) { // not unlinked by a releasing owner meanwhile
			m.mu.Lock()
			m.idLock = f
			m.mu.Unlock()
			return nil
		}
		f.Close()
	}
	return errdefs.New(errdefs.StartFailed, "could not claim VM id %s: its lock file keeps "+
		"changing", m.id)
}

func sameFile(f *os.File, path string) bool {
	a, err1 := f.Stat()
	b, err2 := os.Stat(path)
	return err1 == nil && err2 == nil && os.SameFile(a, b)
}

// ownsID reports whether this VM holds its id's claim.
func (m *MicroVM) ownsID() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.idLock != nil
}

// releaseID removes the lock file and drops the claim.
func (m *MicroVM) releaseID() {
	m.mu.Lock()
	f := m.idLock
	m.idLock = nil
	m.mu.Unlock()
	if f != nil {
		os.Remove(m.lockPath()) // while locked, so no one holds the old inode afterwards
		f.Close()
	}
}

// removeSocket removes the Unix socket at path unless a process still serves it there
// (then it is not this VM's any more). A non-socket is left alone.
func removeSocket(path string) error {
	fi, err := os.Lstat(path)
	if err != nil || fi.Mode()&os.ModeSocket == 0 || api.SocketAlive(path) {
		return nil
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove %s: %w", path, err)
	}
	return nil
}

// removeVsock removes the vsock socket at path and the "<path>_<port>" sockets Firecracker
// makes for guest-initiated connections; nothing else that happens to share the prefix.
func removeVsock(path string) error {
	errs := []error{removeSocket(path)}
	siblings, _ := filepath.Glob(globEscape(path) + "_*")
	for _, s := range siblings {
		port := strings.TrimPrefix(s, path+"_")
		if _, err := strconv.ParseUint(port, 10, 32); err == nil {
			errs = append(errs, removeSocket(s))
		}
	}
	return errors.Join(errs...)
}

// removeVMDir removes the VM's directory and what is in it, except sockets that another
// process serves (a VM restored from this one's snapshot may keep its vsock there); the
// directory then stays too.
func removeVMDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	var errs []error
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		if e.Type()&os.ModeSocket != 0 {
			errs = append(errs, removeSocket(p))
			continue
		}
		if err := os.RemoveAll(p); err != nil {
			errs = append(errs, err)
		}
	}
	if err := os.Remove(dir); err != nil && !errors.Is(err, unix.ENOTEMPTY) &&
		!errors.Is(err, os.ErrNotExist) {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
