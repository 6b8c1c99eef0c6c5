package smartvm_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"code.foss.global/push.rocks/smartvm"
	"code.foss.global/push.rocks/smartvm/config"
	"code.foss.global/push.rocks/smartvm/internal/fctest"
)

// TestManyVMs starts 100 VMs at once on the simulator, then stops and cleans them all.
func TestManyVMs(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped in -short mode: starts 100 simulator processes")
	}
	rig := fctest.NewRig(t, fctest.Targets(t)[0], smartvm.Options{})
	ctx := rig.Ctx(120 * time.Second)
	const n = 100
	vms := make([]*smartvm.MicroVM, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			vm, err := rig.SVM.CreateVM(ctx, rig.TinyVM())
			if err == nil {
				err = vm.Start(ctx)
			}
			vms[i], errs[i] = vm, err
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	ids, socks := map[string]bool{}, map[string]bool{}
	for _, vm := range vms {
		ids[vm.ID()], socks[vm.SocketPath()] = true, true
		if vm.State() != smartvm.StateRunning {
			t.Errorf("vm %s is %s", vm.ID(), vm.State())
		}
	}
	if len(ids) != n || len(socks) != n || rig.SVM.VMCount() != n {
		t.Fatalf("ids %d, sockets %d, registered %d; want %d each",
			len(ids), len(socks), rig.SVM.VMCount(), n)
	}
	if err := rig.SVM.StopAll(ctx); err != nil {
		t.Fatal(err)
	}
	for _, vm := range vms {
		if vm.State() != smartvm.StateStopped {
			t.Errorf("vm %s is %s after StopAll", vm.ID(), vm.State())
		}
	}
	if err := rig.SVM.Cleanup(ctx); err != nil {
		t.Fatal(err)
	}
	if rig.SVM.VMCount() != 0 {
		t.Fatalf("%d VMs still registered", rig.SVM.VMCount())
	}
}

const helperEnv = "SMARTVM_TEST_HELPER_MANAGER"

// TestManagerKilled runs a manager in a child process, kills it with SIGKILL while its VM
// runs, and checks that Firecracker died with it.
func TestManagerKilled(t *testing.T) {
	for _, target := range fctest.Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			t.Parallel()
			testManagerKilled(t, target)
		})
	}
}

func testManagerKilled(t *testing.T, target fctest.Target) {
	dir, err := os.MkdirTemp("", "svm-kill-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperManager$")
	cmd.Env = append(os.Environ(), helperEnv+"="+dir, "SMARTVM_HELPER_BIN="+target.Binary,
		"SMARTVM_HELPER_ARGS="+strings.Join(target.Args, " "),
		"SMARTVM_HELPER_KERNEL="+fctest.Kernel(t))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := readReady(t, out)
	if !alive(pid) {
		t.Fatalf("firecracker %d not running before the kill", pid)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	deadline := time.Now().Add(10 * time.Second)
	for alive(pid) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if alive(pid) {
		syscall.Kill(pid, syscall.SIGKILL)
		t.Fatalf("firecracker %d outlived its SIGKILLed manager", pid)
	}
}

func readReady(t *testing.T, out interface{ Read([]byte) (int, error) }) int {
	t.Helper()
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if pidStr, ok := strings.CutPrefix(sc.Text(), "READY "); ok {
			pid, _ := strconv.Atoi(pidStr)
			return pid
		}
	}
	t.Fatal("helper manager exited before its VM was ready")
	return 0
}

// alive reports whether pid is a live, non-zombie process.
func alive(pid int) bool {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(data)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return len(fields) > 0 && fields[0] != "Z"
}

// TestHelperManager is not a test: TestManagerKilled runs it in a child process, where it
// starts one VM, reports the Firecracker pid and waits to be killed. The goroutine that
// starts the VM exits before the kill, which must not take Firecracker with it.
func TestHelperManager(t *testing.T) {
	dir := os.Getenv(helperEnv)
	if dir == "" {
		t.Skip("helper process for TestManagerKilled")
	}
	svm, err := smartvm.New(smartvm.Options{DataDir: dir,
		FirecrackerBinaryPath: os.Getenv("SMARTVM_HELPER_BIN"),
		FirecrackerArgs:       strings.Fields(os.Getenv("SMARTVM_HELPER_ARGS"))})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	n, _ := strconv.Atoi(os.Getenv("SMARTVM_HELPER_VMS"))
	vmc := make(chan *smartvm.MicroVM, max(n, 1))
	for range max(n, 1) {
		go func() {
			cfg := &config.VM{
				BootSource:    config.BootSource{KernelImagePath: os.Getenv("SMARTVM_HELPER_KERNEL")},
				MachineConfig: config.MachineConfig{VcpuCount: 1, MemSizeMib: 128}}
			if os.Getenv("SMARTVM_HELPER_NET") != "" {
				cfg.NetworkInterfaces = []config.NetworkInterface{{IfaceID: "eth0"}}
			}
			vm, err := svm.CreateVM(ctx, cfg)
			if err == nil {
				err = vm.Start(ctx)
			}
			if err != nil {
				fmt.Println("ERROR", err)
				os.Exit(1)
			}
			vmc <- vm
		}()
	}
	var vm *smartvm.MicroVM
	for range max(n, 1) {
		vm = <-vmc
	}
	time.Sleep(300 * time.Millisecond) // let the starting goroutine's thread go
	if vm.State() != smartvm.StateRunning {
		fmt.Println("ERROR firecracker died with its starting goroutine")
		os.Exit(1)
	}
	fmt.Printf("READY %d\n", vm.PID())
	time.Sleep(time.Minute)
	os.Exit(0)
}
