package network

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// stateVersion is the version of the lease file format written by this package.
const stateVersion = 1

// state is the content of <DataDir>/network/leases.json: everything smartvm created in
// the network namespace, so that it can remove exactly that, even after a crash.
type state struct {
	Version int `json:"version"`
	// Subnet is the subnet the leases were taken from.
	Subnet string `json:"subnet,omitempty"`
	// Bridge records the bridge in use and what smartvm did to it.
	Bridge *bridgeRecord `json:"bridge,omitempty"`
	// NATTable names the nftables table smartvm created, if any.
	NATTable string `json:"natTable,omitempty"`
	// VMs maps a VM id to its record.
	VMs map[string]*vmRecord `json:"vms"`
}

// bridgeRecord says which bridge smartvm uses and what it must undo on Cleanup.
type bridgeRecord struct {
	Name string `json:"name"`
	// Created is set when smartvm created the link (then Cleanup deletes it).
	Created bool `json:"created,omitempty"`
	// Addr is the gateway CIDR smartvm added to a bridge it did not create.
	Addr string `json:"addr,omitempty"`
}

// vmRecord holds a VM's TAPs and leases and the process that keeps them alive: the
// manager that created them until SetVMProcess names the VMM.
type vmRecord struct {
	PID int `json:"pid"`
	// StartTime is the process start time (field 22 of /proc/<pid>/stat); it tells a
	// reused pid from the recorded process.
	StartTime uint64      `json:"startTime,omitempty"`
	Taps      []tapRecord `json:"taps"`
}

// tapRecord is one interface of a VM: its TAP and its lease.
type tapRecord struct {
	Iface string `json:"iface"`
	Tap   string `json:"tap"`
	IP    string `json:"ip"`
	MAC   string `json:"mac"`
}

func newState() *state { return &state{Version: stateVersion, VMs: map[string]*vmRecord{}} }

// usedAddrs returns every leased address.
func (st *state) usedAddrs() map[netip.Addr]bool {
	used := map[netip.Addr]bool{}
	for _, rec := range st.VMs {
		for _, t := range rec.Taps {
			if a, err := netip.ParseAddr(t.IP); err == nil {
				used[a] = true
			}
		}
	}
	return used
}

// owner returns the VM and interface that hold the TAP named tap or the MAC mac.
func (st *state) owner(tap, mac string) (vmID, iface string, ok bool) {
	for id, rec := range st.VMs {
		for _, t := range rec.Taps {
			if t.Tap == tap || t.MAC == mac {
				return id, t.Iface, true
			}
		}
	}
	return "", "", false
}

// parseState decodes and checks a lease file. It rejects anything it could not act on
// safely, such as two VMs holding the same address or an invalid interface name.
func parseState(data []byte) (*state, error) {
	st := newState()
	if err := json.Unmarshal(data, st); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	if st.Version != stateVersion {
		return nil, fmt.Errorf("version %d is not supported (want %d)", st.Version, stateVersion)
	}
	if st.VMs == nil {
		st.VMs = map[string]*vmRecord{}
	}
	var sub *subnet
	if st.Subnet != "" {
		s, err := parseSubnet(st.Subnet)
		if err != nil {
			return nil, err
		}
		sub = &s
	}
	if b := st.Bridge; b != nil {
		if err := checkLinkName(b.Name); err != nil {
			return nil, fmt.Errorf("bridge: %w", err)
		}
		if _, err := netip.ParsePrefix(b.Addr); b.Addr != "" && err != nil {
			return nil, fmt.Errorf("bridge address: %w", err)
		}
	}
	if strings.ContainsRune(st.NATTable, 0) || len(st.NATTable) > 255 {
		return nil, fmt.Errorf("nat table name %q is invalid", st.NATTable)
	}
	return st, checkVMs(st.VMs, sub)
}

// checkVMs checks VM records: valid names and addresses, no TAP, address or interface
// held twice.
func checkVMs(vms map[string]*vmRecord, sub *subnet) error {
	taps, ips := map[string]bool{}, map[netip.Addr]bool{}
	for id, rec := range vms {
		if id == "" || rec == nil || rec.PID < 0 {
			return fmt.Errorf("vm %q: empty id, record or negative pid", id)
		}
		ifaces := map[string]bool{}
		for _, t := range rec.Taps {
			if t.Iface == "" || ifaces[t.Iface] {
				return fmt.Errorf("vm %q: empty or duplicate interface id %q", id, t.Iface)
			}
			ifaces[t.Iface] = true
			if err := checkLinkName(t.Tap); err != nil || taps[t.Tap] {
				return fmt.Errorf("vm %q: invalid or duplicate tap name %q", id, t.Tap)
			}
			taps[t.Tap] = true
			a, err := netip.ParseAddr(t.IP)
			if err != nil || !a.Is4() || ips[a] || (sub != nil && !sub.isGuestAddr(a)) {
				return fmt.Errorf("vm %q: invalid, foreign or duplicate address %q", id, t.IP)
			}
			ips[a] = true
			if hw, err := net.ParseMAC(t.MAC); err != nil || len(hw) != 6 {
				return fmt.Errorf("vm %q: invalid MAC %q", id, t.MAC)
			}
		}
	}
	return nil
}

// readState reads the lease file; a missing file is an empty state.
func readState(path string) (*state, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return newState(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("read lease file: %w", err)
	}
	st, err := parseState(data)
	if err != nil {
		return nil, fmt.Errorf("lease file %s is corrupt (repair or remove it): %w", path, err)
	}
	return st, nil
}

// writeState replaces the lease file atomically: a crash leaves the old or the new file.
func writeState(path string, st *state) error {
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("encode lease file: %w", err)
	}
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("write lease file: %w", err)
	}
	_, err = f.Write(append(data, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write lease file: %w", err)
	}
	return nil
}

// lockPollInterval is how often lockFile retries a lock held by another process.
const lockPollInterval = 5 * time.Millisecond

// lockFile takes an exclusive flock on path, waiting until ctx is done. Locks taken
// through separate opens exclude each other even inside one process.
func lockFile(ctx context.Context, path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	for {
		err = unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return func() { f.Close() }, nil // closing the file releases the lock
		}
		if !errors.Is(err, unix.EWOULDBLOCK) && !errors.Is(err, unix.EINTR) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, ctx.Err())
		case <-time.After(lockPollInterval):
		}
	}
}

// procStartTime returns the start time of process pid (field 22 of /proc/<pid>/stat, in
// clock ticks since boot) and whether it is a zombie, which counts as gone.
func procStartTime(pid int) (start uint64, zombie bool, err error) {
	data, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0, false, err
	}
	return parseProcStat(data)
}

// parseProcStat extracts the state and start time from the content of /proc/<pid>/stat.
// The command name (field 2) is in parentheses and may itself hold spaces and
// parentheses, so the fields are counted from the last ')'.
func parseProcStat(data []byte) (start uint64, zombie bool, err error) {
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0, false, fmt.Errorf("malformed /proc stat line")
	}
	fields := strings.Fields(string(data[i+1:])) // fields[0] is field 3, the state
	if len(fields) < 20 {
		return 0, false, fmt.Errorf("malformed /proc stat line: %d fields", len(fields)+2)
	}
	start, err = strconv.ParseUint(fields[19], 10, 64)
	if err != nil {
		return 0, false, fmt.Errorf("malformed start time: %w", err)
	}
	return start, fields[0] == "Z" || fields[0] == "X", nil
}

// processAlive reports whether the process recorded as (pid, start) still runs. A start
// time of 0 means unknown and matches any process with that pid. When /proc cannot be
// read for another reason than the process being gone, it answers true, so a VM that
// may be running is never reclaimed.
func processAlive(pid int, start uint64) bool {
	if pid <= 0 {
		return false
	}
	got, zombie, err := procStartTime(pid)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, unix.ESRCH) {
		return false
	}
	if err != nil {
		return true
	}
	return !zombie && (start == 0 || got == start)
}
