package fctest

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"code.foss.global/push.rocks/smartvm"
	"code.foss.global/push.rocks/smartvm/config"
	"code.foss.global/push.rocks/smartvm/internal/spec"
)

// Rig is one SmartVM pointed at one Target, with a fresh data directory, every request
// checked against the target's API spec, and leak checks at the end of the test.
type Rig struct {
	T       testing.TB
	Target  Target
	SVM     *smartvm.SmartVM
	DataDir string
	Spec    *spec.Recorder
}

// NewRig builds a Rig. opts may preset fields of smartvm.Options; DataDir,
// FirecrackerBinaryPath, RequestHook and the target's FirecrackerArgs are set by the rig.
// When the test ends the rig cleans every VM up and fails the test if a request broke the
// spec, a Firecracker child process survived, or a socket or VM file was left behind.
func NewRig(t testing.TB, target Target, opts smartvm.Options) *Rig {
	t.Helper()
	rec := spec.NewCounter()
	if sp, err := spec.Load(target.Version.String()); err == nil {
		rec = spec.NewRecorder(sp)
	} else if spec.Required() {
		t.Fatalf("load API spec for %s: %v", target.Version, err)
	} else {
		t.Logf("API spec for %s not found, request bodies are NOT checked (set %s "+
			"to fail instead): %v", target.Version, spec.EnvRequire, err)
	}
	dir, err := os.MkdirTemp("", "svm-")
	if err != nil {
		t.Fatal(err)
	}
	r := &Rig{T: t, Target: target, DataDir: dir, Spec: rec}
	opts.DataDir = dir
	opts.FirecrackerBinaryPath = target.Binary
	opts.FirecrackerArgs = append(append([]string(nil), target.Args...), opts.FirecrackerArgs...)
	opts.RequestHook = r.Spec.Check
	r.SVM, err = smartvm.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.finish)
	return r
}

// TinyVM returns a config that boots the tiny guest with 1 vCPU and 128 MiB.
func (r *Rig) TinyVM() *config.VM {
	return &config.VM{
		BootSource:    config.BootSource{KernelImagePath: Kernel(r.T), BootArgs: "console=ttyS0"},
		MachineConfig: config.MachineConfig{VcpuCount: 1, MemSizeMib: 128},
	}
}

// Ctx returns a context that ends after d or with the test.
func (r *Rig) Ctx(d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	r.T.Cleanup(cancel)
	return ctx
}

func (r *Rig) finish() {
	t := r.T
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := r.SVM.Cleanup(ctx); err != nil {
		t.Errorf("cleanup: %v", err)
	}
	for _, err := range r.Spec.Errors() {
		t.Errorf("%s: request breaks the API spec: %v", r.Target.Name, err)
	}
	if pids := ProcessesWith(r.DataDir); len(pids) > 0 {
		t.Errorf("firecracker processes left behind: %v", pids)
	}
	for _, sub := range []string{"sockets", "vms"} {
		if left := listDir(filepath.Join(r.DataDir, sub)); len(left) > 0 {
			t.Errorf("files left in %s: %v", sub, left)
		}
	}
	os.RemoveAll(r.DataDir)
}

func listDir(dir string) []string {
	entries, _ := os.ReadDir(dir)
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

// ProcessesWith returns the pids of live processes, ours or anyone's, whose command line
// contains marker (such as a rig's data directory, which every VM's --api-sock names).
func ProcessesWith(marker string) []int {
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	var out []int
	for _, path := range procs {
		data, err := os.ReadFile(path)
		if err != nil || !strings.Contains(string(data), marker) {
			continue
		}
		pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(path)))
		if pid != os.Getpid() {
			out = append(out, pid)
		}
	}
	return out
}

// StartVM creates a VM from cfg and starts it, failing the test on any error.
func (r *Rig) StartVM(ctx context.Context, cfg *config.VM,
	opts ...smartvm.VMOption) *smartvm.MicroVM {
	r.T.Helper()
	vm, err := r.SVM.CreateVM(ctx, cfg, opts...)
	if err != nil {
		r.T.Fatal(err)
	}
	if err := vm.Start(ctx); err != nil {
		r.T.Fatal(err)
	}
	return vm
}
