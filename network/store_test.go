package network

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

const validState = `{
  "version": 1,
  "subnet": "172.30.0.0/24",
  "bridge": {"name": "svbr0", "created": true},
  "natTable": "smartvm_svbr0",
  "vms": {
    "vm-1": {"pid": 42, "startTime": 1234, "taps": [
      {"iface": "eth0", "tap": "svaaaaaaaaaaaaa", "ip": "172.30.0.2", "mac": "02:00:00:00:00:01"},
      {"iface": "eth1", "tap": "svbbbbbbbbbbbbb", "ip": "172.30.0.3", "mac": "02:00:00:00:00:02"}
    ]}
  }
}`

func TestParseStateValid(t *testing.T) {
	st, err := parseState([]byte(validState))
	if err != nil {
		t.Fatal(err)
	}
	rec := st.VMs["vm-1"]
	if rec == nil || rec.PID != 42 || rec.StartTime != 1234 || len(rec.Taps) != 2 {
		t.Fatalf("vm-1 record = %+v", rec)
	}
	if st.Bridge == nil || !st.Bridge.Created || st.NATTable != "smartvm_svbr0" {
		t.Fatalf("bridge %+v, nat table %q", st.Bridge, st.NATTable)
	}
	used := st.usedAddrs()
	if len(used) != 2 || !used[netip.MustParseAddr("172.30.0.3")] {
		t.Fatalf("usedAddrs = %v", used)
	}
}

func TestParseStateRejects(t *testing.T) {
	replace := func(old, new string) string {
		if !strings.Contains(validState, old) {
			t.Fatalf("test bug: %q not in validState", old)
		}
		return strings.Replace(validState, old, new, 1)
	}
	cases := map[string]string{
		"not json":        "{",
		"wrong version":   replace(`"version": 1`, `"version": 7`),
		"bad subnet":      replace(`"172.30.0.0/24"`, `"172.30.0.1/24"`),
		"duplicate ip":    replace(`"172.30.0.3"`, `"172.30.0.2"`),
		"ip outside":      replace(`"172.30.0.3"`, `"10.0.0.3"`),
		"gateway leased":  replace(`"172.30.0.3"`, `"172.30.0.1"`),
		"duplicate tap":   replace(`svbbbbbbbbbbbbb`, `svaaaaaaaaaaaaa`),
		"long tap":        replace(`svbbbbbbbbbbbbb`, `svbbbbbbbbbbbbbb`),
		"duplicate iface": replace(`"eth1"`, `"eth0"`),
		"bad mac":         replace(`02:00:00:00:00:02`, `02:00:00`),
		"negative pid":    replace(`"pid": 42`, `"pid": -1`),
		"bad bridge":      replace(`"name": "svbr0"`, `"name": "a/b"`),
		"null vm":         replace(`"vm-1": {`, `"vm-0": null, "vm-1": {`),
	}
	for name, data := range cases {
		if _, err := parseState([]byte(data)); err == nil {
			t.Errorf("%s: parseState accepted %s", name, data)
		}
	}
}

func TestReadWriteState(t *testing.T) {
	path := filepath.Join(t.TempDir(), "leases.json")
	st, err := readState(path)
	if err != nil || len(st.VMs) != 0 || st.Version != stateVersion {
		t.Fatalf("missing file: %+v, %v", st, err)
	}
	want, err := parseState([]byte(validState))
	if err != nil {
		t.Fatal(err)
	}
	if err := writeState(path, want); err != nil {
		t.Fatal(err)
	}
	got, err := readState(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("round trip: got %+v, want %+v", got, want)
	}
	if _, err := os.Stat(path + ".tmp"); !os.IsNotExist(err) {
		t.Fatalf("temporary file left behind: %v", err)
	}
	if err := os.WriteFile(path, []byte(`{"version": 1, "vms": {"x": {"taps": [{}]}}}`),
		0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := readState(path); err == nil || !strings.Contains(err.Error(), "corrupt") {
		t.Fatalf("corrupt file: err = %v", err)
	}
}

func TestParseProcStat(t *testing.T) {
	line := "1234 (a (weird) name) S 1 1234 1234 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 " +
		"987654 1000 100 18446744073709551615\n"
	start, zombie, err := parseProcStat([]byte(line))
	if err != nil || start != 987654 || zombie {
		t.Fatalf("parseProcStat = %d, %v, %v; want 987654, false, nil", start, zombie, err)
	}
	zline := strings.Replace(line, ") S ", ") Z ", 1)
	if _, zombie, _ := parseProcStat([]byte(zline)); !zombie {
		t.Fatal("state Z not reported as zombie")
	}
	for _, bad := range []string{"", "1 (x", "1 (x) S 1 2", strings.Replace(line, "987654", "x", 1)} {
		if _, _, err := parseProcStat([]byte(bad)); err == nil {
			t.Errorf("parseProcStat(%q) = nil error", bad)
		}
	}
}

func TestProcessAlive(t *testing.T) {
	start, _, err := procStartTime(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if !processAlive(os.Getpid(), start) || !processAlive(os.Getpid(), 0) {
		t.Fatal("this process reported dead")
	}
	if processAlive(os.Getpid(), start+1) {
		t.Fatal("a reused pid (other start time) reported alive")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	if processAlive(cmd.Process.Pid, 0) {
		t.Fatalf("exited process %d reported alive", cmd.Process.Pid)
	}
	if processAlive(0, 0) || processAlive(-5, 0) {
		t.Fatal("pid <= 0 reported alive")
	}
}

// TestLockSharedAcrossManagers allocates addresses from two managers sharing a data dir
// concurrently, the way createTap does, and expects no address handed out twice.
func TestLockSharedAcrossManagers(t *testing.T) {
	dir := t.TempDir()
	var ms []*Manager
	for range 2 {
		m, err := NewManager(Options{DataDir: dir, Subnet: "10.7.0.0/24"})
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		ms = append(ms, m)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for i := range 100 {
		wg.Go(func() {
			m := ms[i%2]
			errs <- m.withState(context.Background(), func(tx *txn) error {
				a, err := m.subnet.allocate(tx.st.usedAddrs())
				if err != nil {
					return err
				}
				id := fmt.Sprintf("vm-%d", i)
				tx.st.VMs[id] = &vmRecord{PID: 1, Taps: []tapRecord{{
					Iface: "eth0", Tap: TapName(id, "eth0"), IP: a.String(), MAC: MAC(id, "eth0"),
				}}}
				return tx.save()
			})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	st, err := readState(filepath.Join(dir, "network", "leases.json"))
	if err != nil {
		t.Fatal(err) // parseState rejects duplicate addresses
	}
	if len(st.VMs) != 100 || len(st.usedAddrs()) != 100 {
		t.Fatalf("%d records, %d addresses; want 100 and 100", len(st.VMs), len(st.usedAddrs()))
	}
}

func TestLockFileHonoursContext(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".lock")
	unlock, err := lockFile(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := lockFile(ctx, path); err == nil {
		t.Fatal("second lock taken while the first is held")
	}
	unlock()
	unlock2, err := lockFile(context.Background(), path)
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	unlock2()
}

func FuzzParseState(f *testing.F) {
	f.Add([]byte(validState))
	f.Add([]byte(`{"version":1,"vms":{}}`))
	f.Add([]byte(`{"version":1,"vms":{"a":{"pid":1,"taps":[{"iface":"e","tap":"t","ip":"1.2.3.4",` +
		`"mac":"02:00:00:00:00:00"}]}}}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := parseState(data)
		if err != nil {
			return
		}
		// Whatever was accepted must survive a write and read unchanged.
		out, err := json.Marshal(st)
		if err != nil {
			t.Fatalf("marshal accepted state: %v", err)
		}
		again, err := parseState(out)
		if err != nil {
			t.Fatalf("re-parse of %s: %v", out, err)
		}
		if !reflect.DeepEqual(st, again) {
			t.Fatalf("round trip changed the state:\n%s", out)
		}
		if len(st.usedAddrs()) != countTaps(st) {
			t.Fatalf("accepted state holds an address twice: %s", out)
		}
	})
}

func countTaps(st *state) int {
	n := 0
	for _, rec := range st.VMs {
		n += len(rec.Taps)
	}
	return n
}
