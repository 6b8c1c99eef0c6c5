package smartvm_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/nftables"
	"github.com/vishvananda/netlink"

	"code.foss.global/push.rocks/smartvm"
	"code.foss.global/push.rocks/smartvm/config"
	"code.foss.global/push.rocks/smartvm/internal/fctest"
)

const netChildEnv = "SMARTVM_TEST_NET_CHILD"

// TestNetworkedVM boots a VM with an automatic TAP on every target, each in a network
// namespace of its own made with unshare(1), and checks what netlink and nftables show
// before and after Cleanup. The namespace dies with the child process.
func TestNetworkedVM(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("SKIPPED: networking tests need root (CAP_NET_ADMIN, CAP_SYS_ADMIN)")
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("SKIPPED: unshare(1) from util-linux is needed to make a network namespace")
	}
	for _, target := range fctest.Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command("unshare", "--net", os.Args[0],
				"-test.run=^TestNetworkedVMChild$", "-test.v")
			cmd.Env = append(os.Environ(), netChildEnv+"=1",
				"SMARTVM_HELPER_BIN="+target.Binary,
				"SMARTVM_HELPER_ARGS="+strings.Join(target.Args, " "),
				"SMARTVM_HELPER_KERNEL="+fctest.Kernel(t))
			out, err := cmd.CombinedOutput()
			t.Logf("child output:\n%s", out)
			if err != nil || !strings.Contains(string(out), "NETCHILD OK") {
				t.Fatalf("networked VM child failed: %v", err)
			}
		})
	}
}

// TestNetworkedVMChild runs inside the fresh namespace of TestNetworkedVM.
func TestNetworkedVMChild(t *testing.T) {
	if os.Getenv(netChildEnv) == "" {
		t.Skip("helper of TestNetworkedVM")
	}
	if links := linkNames(t); !slices.Equal(links, []string{"lo"}) {
		t.Fatalf("not in a fresh network namespace: links %v", links)
	}
	dir := t.TempDir()
	opts := smartvm.Options{DataDir: dir, FirecrackerBinaryPath: os.Getenv("SMARTVM_HELPER_BIN"),
		FirecrackerArgs: strings.Fields(os.Getenv("SMARTVM_HELPER_ARGS"))}
	svm, err := smartvm.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	vm, err := svm.CreateVM(ctx, &config.VM{
		BootSource:        config.BootSource{KernelImagePath: os.Getenv("SMARTVM_HELPER_KERNEL")},
		MachineConfig:     config.MachineConfig{VcpuCount: 1, MemSizeMib: 128},
		NetworkInterfaces: []config.NetworkInterface{{IfaceID: "eth0"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := vm.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := vm.Console().WaitFor(ctx, "tick 1"); err != nil {
		t.Fatalf("guest did not boot with a TAP: %v", err)
	}
	checkTaps(t, ctx, vm, opts)
	restored := snapshotAndRestore(t, ctx, svm, vm)
	if err := restored.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := svm.Cleanup(ctx); err != nil {
		t.Fatal(err)
	}
	if links := linkNames(t); !slices.Equal(links, []string{"lo"}) {
		t.Errorf("links left after Cleanup: %v", links)
	}
	if tables := nftTables(t); len(tables) > 0 {
		t.Errorf("nftables tables left after Cleanup: %v", tables)
	}
	testReclaimAfterKill(t, ctx, opts)
	if !t.Failed() {
		fmt.Println("NETCHILD OK")
	}
}

// snapshotAndRestore snapshots vm, cleans it up (its TAP and lease go), and restores it:
// the TAP must come back with the same name, MAC and guest address.
func snapshotAndRestore(t *testing.T, ctx context.Context, svm *smartvm.SmartVM,
	vm *smartvm.MicroVM) *smartvm.MicroVM {
	before, _ := vm.GetTapDevices(ctx)
	if err := vm.Pause(ctx); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	snap := smartvm.SnapshotParams{SnapshotPath: dir + "/vm.snap", MemFilePath: dir + "/vm.mem"}
	if _, err := vm.CreateSnapshot(ctx, snap); err != nil {
		t.Fatal(err)
	}
	// While the snapshotted VM still holds its TAP, a restore must not share it.
	_, err := svm.RestoreVM(ctx, "", smartvm.SnapshotLoadOptions{
		SnapshotPath: snap.SnapshotPath, Resume: true})
	if smartvm.ErrorCode(err) != smartvm.CodeTapCreateFailed {
		t.Fatalf("restore while the original holds its TAP = %v", err)
	}
	if _, err := netlink.LinkByName(before[0].TapName); err != nil {
		t.Fatalf("refused restore removed the original's TAP: %v", err)
	}
	if err := vm.Cleanup(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := netlink.LinkByName(before[0].TapName); err == nil {
		t.Fatalf("TAP %s still there after Cleanup", before[0].TapName)
	}
	restored, err := svm.RestoreVM(ctx, "", smartvm.SnapshotLoadOptions{
		SnapshotPath: snap.SnapshotPath, Resume: true})
	if err != nil {
		t.Fatalf("restore a VM whose TAP is gone: %v", err)
	}
	if err := restored.Console().WaitFor(ctx, "tick"); err != nil {
		t.Fatalf("restored guest does not tick: %v", err)
	}
	after, err := restored.GetTapDevices(ctx)
	want := before[0]
	want.VMID = restored.ID() // the TAP is the restored VM's now
	if err != nil || len(after) != 1 || after[0] != want {
		t.Fatalf("restored TAPs %+v, %v; want %+v", after, err, want)
	}
	if _, err := netlink.LinkByName(after[0].TapName); err != nil {
		t.Fatalf("restored TAP not in netlink: %v", err)
	}
	// A new VM with the original id would get the same TAP name: it must be refused, and
	// its cleanup must leave the restored VM's TAP alone.
	again, err := svm.CreateVM(ctx, &config.VM{ID: vm.ID(),
		BootSource:        config.BootSource{KernelImagePath: os.Getenv("SMARTVM_HELPER_KERNEL")},
		MachineConfig:     config.MachineConfig{VcpuCount: 1, MemSizeMib: 128},
		NetworkInterfaces: []config.NetworkInterface{{IfaceID: "eth0"}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := again.Start(ctx); smartvm.ErrorCode(err) != smartvm.CodeTapCreateFailed {
		t.Fatalf("Start of a VM whose TAP name a restored VM holds = %v", err)
	}
	if err := again.Cleanup(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := netlink.LinkByName(after[0].TapName); err != nil {
		t.Fatalf("restored VM's TAP removed by another VM's cleanup: %v", err)
	}
	return restored
}

// checkTaps compares GetTapDevices with what netlink and nftables show.
func checkTaps(t *testing.T, ctx context.Context, vm *smartvm.MicroVM, opts smartvm.Options) {
	taps, err := vm.GetTapDevices(ctx)
	if err != nil || len(taps) != 1 {
		t.Fatalf("GetTapDevices = %v, %v", taps, err)
	}
	tap := taps[0]
	link, err := netlink.LinkByName(tap.TapName)
	if err != nil {
		t.Fatalf("TAP %s not in netlink: %v", tap.TapName, err)
	}
	bridge, err := netlink.LinkByName("svbr0")
	if err != nil {
		t.Fatalf("bridge: %v", err)
	}
	if link.Attrs().MasterIndex != bridge.Attrs().Index {
		t.Errorf("TAP %s not enslaved to svbr0", tap.TapName)
	}
	if link.Attrs().Flags&(1<<0) == 0 { // net.FlagUp
		t.Errorf("TAP %s is down", tap.TapName)
	}
	addrs, _ := netlink.AddrList(bridge, netlink.FAMILY_V4)
	if len(addrs) != 1 || addrs[0].IP.String() != tap.GatewayIP {
		t.Errorf("bridge addresses %v, want gateway %s", addrs, tap.GatewayIP)
	}
	cfg, err := vm.GetVMConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.NetworkInterfaces) != 1 || cfg.NetworkInterfaces[0].HostDevName != tap.TapName ||
		!strings.EqualFold(cfg.NetworkInterfaces[0].GuestMAC, tap.MAC) {
		t.Errorf("Firecracker holds %+v, want TAP %s MAC %s", cfg.NetworkInterfaces,
			tap.TapName, tap.MAC)
	}
	if args := cfg.BootSource.BootArgs; !strings.Contains(args, "ip="+tap.GuestIP+"::") {
		t.Errorf("boot args %q lack the guest address %s", args, tap.GuestIP)
	}
	if tables := nftTables(t); !slices.Contains(tables, "smartvm_svbr0") {
		t.Errorf("no smartvm NAT table; tables %v", tables)
	}
}

// testReclaimAfterKill starts 3 networked VMs in a manager process, kills it with SIGKILL,
// and checks that the next SmartVM on the same data dir removes their TAPs.
func testReclaimAfterKill(t *testing.T, ctx context.Context, opts smartvm.Options) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperManager$")
	cmd.Env = append(os.Environ(), netChildEnv+"=", helperEnv+"="+dir,
		"SMARTVM_HELPER_VMS=3", "SMARTVM_HELPER_NET=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	readReady(t, out)
	if n := len(linkNames(t)); n != 5 { // lo, bridge, 3 TAPs
		t.Errorf("links before the kill: %v", linkNames(t))
	}
	vmms := fctest.ProcessesWith(dir)
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	for _, pid := range vmms { // the VMMs die with their manager; wait until they are gone
		for i := 0; i < 500 && alive(pid); i++ {
			time.Sleep(10 * time.Millisecond)
		}
	}
	opts.DataDir = dir
	svm, err := smartvm.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range linkNames(t) {
		if strings.HasPrefix(l, "sv") && l != "svbr0" {
			t.Errorf("TAP %s not reclaimed by the next manager", l)
		}
	}
	if err := svm.Cleanup(ctx); err != nil {
		t.Fatal(err)
	}
}

func linkNames(t *testing.T) []string {
	links, err := netlink.LinkList()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range links {
		out = append(out, l.Attrs().Name)
	}
	slices.Sort(out)
	return out
}

func nftTables(t *testing.T) []string {
	c, err := nftables.New()
	if err != nil {
		t.Fatal(err)
	}
	tables, err := c.ListTables()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, tb := range tables {
		out = append(out, tb.Name)
	}
	return out
}
