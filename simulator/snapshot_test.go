package simulator

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// snapshotOf boots a VM with a vsock, lets it tick, pauses and snapshots it.
func snapshotOf(t *testing.T, v Version) (dir, snap, mem string, ticks int) {
	t.Helper()
	r := startSim(t, Options{Version: v})
	m := profileFor(v).msgs
	vs := filepath.Join(r.dir, "v.sock")
	r.boot([3]string{"PUT", "/machine-config", `{"vcpu_count":1,"mem_size_mib":32}`},
		[3]string{"PUT", "/vsock", `{"guest_cid":3,"uds_path":"` + vs + `"}`})
	r.waitConsole("tick 3\n")
	snap, mem = filepath.Join(r.dir, "snap"), filepath.Join(r.dir, "mem")
	body := `{"snapshot_path":"` + snap + `","mem_file_path":"` + mem + `"}`
	r.expect("PUT", "/snapshot/create", body, 400, m["snap_running"])
	r.expect("PATCH", "/vm", `{"state":"Paused"}`, 204, "")
	r.expect("PUT", "/snapshot/create", `{"snapshot_path":"/nonexistent/s","mem_file_path":"`+
		mem+`"}`, 400, m.get("snap_open", "No such file or directory (os error 2)"))
	r.expect("PUT", "/snapshot/create", body, 204, "")
	return r.dir, snap, mem, len(tickLines(r.console.String()))
}

func TestSnapshotFiles(t *testing.T) {
	_, snap, mem, ticks := snapshotOf(t, V1_14_2)
	fi, err := os.Stat(mem)
	if err != nil || fi.Size() != 32<<20 {
		t.Fatalf("memory file: %v, size %v", err, fi)
	}
	var st syscall.Stat_t
	if err := syscall.Stat(mem, &st); err != nil || st.Blocks != 0 {
		t.Fatalf("memory file should be sparse: %v, %d blocks", err, st.Blocks)
	}
	data, err := os.ReadFile(snap)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		FirecrackerVersion string          `json:"firecracker_version"`
		DataVersion        string          `json:"snapshot_data_version"`
		GuestTicks         int             `json:"guest_ticks"`
		VM                 json.RawMessage `json:"vm"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("snapshot is not JSON: %v", err)
	}
	if doc.FirecrackerVersion != "1.14.2" || doc.DataVersion != "8.0.0" ||
		doc.GuestTicks != ticks || !strings.Contains(string(doc.VM), `"mem_size_mib":32`) {
		t.Fatalf("snapshot content %s (ticks %d)", data, ticks)
	}
}

func TestSnapshotLoadRestoresAndContinuesTicks(t *testing.T) {
	dir, snap, mem, ticks := snapshotOf(t, V1_14_2)
	m := profileFor(V1_14_2).msgs
	vs := filepath.Join(dir, "v.sock")
	body := `{"snapshot_path":"` + snap + `","mem_backend":{"backend_type":"File",` +
		`"backend_path":"` + mem + `"},"resume_vm":true}`

	// The first process left its vsock socket behind, so restoring fails and the process
	// ends, as with Firecracker.
	r := startSim(t, Options{Version: V1_14_2})
	r.expect("PUT", "/snapshot/load", body, 400,
		m.get("load_vsock", "Address in use (os error 98)"))
	var ee *ExitError
	if err := r.waitExit(); !errors.As(err, &ee) || ee.Code != 1 {
		t.Fatalf("Serve after a failed restore = %v", err)
	}

	if err := os.Remove(vs); err != nil {
		t.Fatal(err)
	}
	r = startSim(t, Options{Version: V1_14_2})
	r.expect("PUT", "/logger", `{"level":"Info"}`, 204, "") // not boot-specific
	r.expect("PUT", "/snapshot/load", body, 204, "")
	if got := r.expect("GET", "/", "", 200, ""); !strings.Contains(got, `"Running"`) {
		t.Fatalf("state after resume_vm: %s", got)
	}
	next := "tick " + strconv.Itoa(ticks+1) + "\n"
	r.waitConsole(next)
	if !strings.HasPrefix(r.console.String(), next) {
		t.Fatalf("restored console should continue at %q without a banner: %q", next,
			r.console.String())
	}
	if !socketExists(vs) {
		t.Fatalf("restore should bind the vsock socket again")
	}
	r.expect("PUT", "/snapshot/load", body, 400, m["post_boot"])
}

func TestSnapshotLoadRules(t *testing.T) {
	dir, snap, mem, _ := snapshotOf(t, V1_7_0)
	m := profileFor(V1_14_2).msgs
	load := `{"snapshot_path":"` + snap + `","mem_file_path":"` + mem + `"}`

	r := startSim(t, Options{Version: V1_14_2})
	r.expect("PUT", "/machine-config", `{"vcpu_count":1,"mem_size_mib":32}`, 204, "")
	r.expect("PUT", "/snapshot/load", load, 400, m["load_after_config"])
	r.expect("GET", "/", "", 200, "") // that refusal is not fatal

	r = startSim(t, Options{Version: V1_14_2})
	r.expect("PUT", "/snapshot/load", load, 400, m.get("load_version", "1.0.0"))
	if err := r.waitExit(); err == nil {
		t.Fatalf("a refused snapshot should end the process")
	}

	_ = os.Remove(filepath.Join(dir, "v.sock"))
	r = startSim(t, Options{Version: V1_7_0})
	over := `{"snapshot_path":"` + snap + `","mem_file_path":"` + mem +
		`","network_overrides":[]}`
	r.expect("PUT", "/snapshot/load", over, 400, "")
	r.expect("PUT", "/snapshot/load", `{"snapshot_path":"`+snap+`","mem_file_path":"`+
		filepath.Join(dir, "missing")+`"}`, 400, profileFor(V1_7_0).msgs.get("load_mem",
		"No such file or directory (os error 2)"))
}
