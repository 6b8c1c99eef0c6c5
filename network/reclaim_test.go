package network

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"

	"code.foss.global/push.rocks/smartvm/errdefs"
	"github.com/vishvananda/netns"
)

// helperCommand returns a command that re-runs the test binary as the named helper.
func helperCommand(mode, dataDir, netnsPath string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+mode, helperDataDirEnv+"="+dataDir,
		helperNetNSEnv+"="+netnsPath)
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	return cmd
}

// TestReclaimAfterSIGKILL: a helper process creates three VMs' TAPs and is killed; the
// next manager on the data dir reclaims their TAPs and leases but keeps a VM of a
// process that still runs.
func TestReclaimAfterSIGKILL(t *testing.T) {
	ns := newTestNS(t)
	ctx := context.Background()
	dir := t.TempDir()
	live := newTestManager(t, ns, Options{DataDir: dir})
	liveDev, err := live.CreateTapDevice(ctx, "live", "eth0")
	if err != nil {
		t.Fatal(err)
	}

	cmd := helperCommand("create3", dir, ns.path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("helper output: %v", err)
	}
	var dead []TapDevice
	if err := json.Unmarshal([]byte(line), &dead); err != nil || len(dead) != 3 {
		t.Fatalf("helper printed %q: %v", line, err)
	}
	for _, d := range dead {
		checkTap(t, ns, d.TapName, "svbr0")
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()

	next := newTestManager(t, ns, Options{DataDir: dir})
	got, err := next.Reclaim(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"dead-a", "dead-b", "dead-c"}; !slices.Equal(got, want) {
		t.Fatalf("reclaimed %v, want %v", got, want)
	}
	for _, d := range dead {
		if ns.hasLink(t, d.TapName) {
			t.Fatalf("TAP %s of dead VM %s still exists", d.TapName, d.VMID)
		}
	}
	checkTap(t, ns, liveDev.TapName, "svbr0")
	checkNAT(t, ns, next.NATTable(), "svbr0", "172.30.0.0") // a VM still runs
	// The three leases are free again: the next VM gets the lowest of them.
	dev, err := next.CreateTapDevice(ctx, "after", "eth0")
	if err != nil || dev.GuestIP != dead[0].GuestIP || dev.GuestIP == liveDev.GuestIP {
		t.Fatalf("after reclaim: %+v, %v; want %s", dev, err, dead[0].GuestIP)
	}
	if again, err := next.Reclaim(ctx); err != nil || len(again) != 0 {
		t.Fatalf("second Reclaim = %v, %v; want nothing", again, err)
	}
	if err := next.Cleanup(ctx); err != nil {
		t.Fatal(err)
	}
	checkEmpty(t, ns)
}

// TestSetVMProcess hands a VM's liveness to another process: when it dies, Reclaim
// frees the VM's network although the manager lives on, and drops NAT with the last VM.
func TestSetVMProcess(t *testing.T) {
	ns := newTestNS(t)
	ctx := context.Background()
	m := newTestManager(t, ns, Options{})
	dev, err := m.CreateTapDevice(ctx, "vm-1", "eth0")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := m.Reclaim(ctx); err != nil || len(got) != 0 {
		t.Fatalf("Reclaim with the owner alive = %v, %v", got, err)
	}
	vmm := helperCommand("sleep", "", "")
	if err := vmm.Start(); err != nil {
		t.Fatal(err)
	}
	if err := m.SetVMProcess(ctx, "vm-1", vmm.Process.Pid); err != nil {
		t.Fatal(err)
	}
	wantCode(t, m.SetVMProcess(ctx, "no-such-vm", vmm.Process.Pid), errdefs.NotFound)
	if got, err := m.Reclaim(ctx); err != nil || len(got) != 0 {
		t.Fatalf("Reclaim with the VMM alive = %v, %v", got, err)
	}
	vmm.Process.Kill()
	vmm.Wait()
	wantCode(t, m.SetVMProcess(ctx, "vm-1", vmm.Process.Pid), errdefs.NotFound)
	got, err := m.Reclaim(ctx)
	if err != nil || !slices.Equal(got, []string{"vm-1"}) {
		t.Fatalf("Reclaim after the VMM died = %v, %v; want [vm-1]", got, err)
	}
	if ns.hasLink(t, dev.TapName) || len(ns.smartvmTables(t)) != 0 {
		t.Fatalf("after reclaim: links %v, tables %v", ns.linkNames(t), ns.tableNames(t))
	}
	if err := m.Cleanup(ctx); err != nil {
		t.Fatal(err)
	}
	checkEmpty(t, ns)
}

// TestNoCapNetAdmin runs EnsureBridge in a helper process inside the test namespace but
// in a user namespace of its own: it is root there, without capabilities over the
// network namespace, which belongs to the initial user namespace.
func TestNoCapNetAdmin(t *testing.T) {
	ns := newTestNS(t)
	cmd := helperCommand("nocap", t.TempDir(), "")
	// No parent-death signal: it follows the forking thread, which ends right away.
	cmd.SysProcAttr.Pdeathsig = 0
	cmd.SysProcAttr.Cloneflags = syscall.CLONE_NEWUSER
	cmd.SysProcAttr.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: 1}}
	cmd.SysProcAttr.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: 1}}
	var out strings.Builder
	cmd.Stdout = &out
	// The child inherits the network namespace of the thread that forks it.
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		if err := netns.Set(ns.h); err != nil {
			started <- err
			return
		}
		started <- cmd.Start()
	}()
	if err := <-started; err != nil {
		t.Skipf("cannot start a helper in a user namespace here: %v", err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("helper: %v", err)
	}
	var res helperResult
	if err := json.Unmarshal([]byte(out.String()), &res); err != nil {
		t.Fatalf("helper printed %q: %v", out.String(), err)
	}
	if res.NetNS != ns.inode(t) {
		t.Fatalf("helper ran in network namespace %d, not the test's %d", res.NetNS, ns.inode(t))
	}
	if res.Code != string(errdefs.BridgeSetupFailed) ||
		!strings.Contains(res.Message, "CAP_NET_ADMIN") {
		t.Fatalf("helper got %s: %s; want BRIDGE_SETUP_FAILED naming CAP_NET_ADMIN", res.Code,
			res.Message)
	}
	t.Logf("without CAP_NET_ADMIN: %s", res.Message)
	if ns.hasLink(t, "svbr0") {
		t.Fatal("the bridge was created without CAP_NET_ADMIN")
	}
}
