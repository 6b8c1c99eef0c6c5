package smartvm_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"code.foss.global/push.rocks/smartvm"
	"code.foss.global/push.rocks/smartvm/config"
	"code.foss.global/push.rocks/smartvm/internal/fctest"
	"code.foss.global/push.rocks/smartvm/internal/guest"
)

// Test helpers shared by the snapshot, MMDS and device tests.

// reqLog records the method and path of every request a SmartVM sends.
type reqLog struct {
	mu   sync.Mutex
	reqs []string
}

func (l *reqLog) add(method, path string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.reqs = append(l.reqs, method+" "+path)
}

// mark returns how many requests were sent so far.
func (l *reqLog) mark() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.reqs)
}

// since returns the requests sent after mark.
func (l *reqLog) since(mark int) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.reqs[mark:]...)
}

// sinceNoVersion is since without GET /version, which a SmartVM sends only for the first
// VM of each binary.
func (l *reqLog) sinceNoVersion(mark int) []string {
	var out []string
	for _, r := range l.since(mark) {
		if r != "GET /version" {
			out = append(out, r)
		}
	}
	return out
}

// newAPIRig returns a rig and a SmartVM in the rig's data directory whose requests are
// both checked against the target's spec and recorded. The SmartVM is cleaned up before
// the rig checks for leftovers.
func newAPIRig(t *testing.T, target fctest.Target, opts smartvm.Options) (*fctest.Rig,
	*smartvm.SmartVM, *reqLog) {
	t.Helper()
	rig := fctest.NewRig(t, target, opts)
	log := &reqLog{}
	o := rig.SVM.Options()
	o.RequestHook = func(method, path string, body []byte) {
		log.add(method, path)
		rig.Spec.Check(method, path, body)
	}
	svm, err := smartvm.New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := svm.Cleanup(ctx); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	return rig, svm, log
}

// startVM creates and starts a VM.
func startVM(t *testing.T, ctx context.Context, svm *smartvm.SmartVM,
	cfg *config.VM) *smartvm.MicroVM {
	t.Helper()
	vm := createVM(t, ctx, svm, cfg)
	if err := vm.Start(ctx); err != nil {
		t.Fatal(err)
	}
	return vm
}

func createVM(t *testing.T, ctx context.Context, svm *smartvm.SmartVM,
	cfg *config.VM) *smartvm.MicroVM {
	t.Helper()
	vm, err := svm.CreateVM(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return vm
}

// tickSeq returns the tick numbers of the complete tick lines in console, in order.
func tickSeq(console []byte) []int {
	lines := bytes.Split(console, []byte("\n"))
	var out []int
	for _, line := range lines[:len(lines)-1] { // the last piece is not a complete line
		if n, ok := guest.LastTick(append(line[:len(line):len(line)], '\n')); ok {
			out = append(out, n)
		}
	}
	return out
}

// waitTicks waits until the VM's console holds at least n complete tick lines.
func waitTicks(t *testing.T, ctx context.Context, vm *smartvm.MicroVM, n int) {
	t.Helper()
	err := vm.Console().WaitFunc(ctx, func(b []byte) bool { return len(tickSeq(b)) >= n })
	if err != nil {
		t.Fatalf("VM %s: fewer than %d ticks: %v; console %q", vm.ID(), n, err,
			vm.Console().String())
	}
}

// checkContinues checks that the ticks of after continue those of before with no gap
// and no repeat: the console of a VM restored from a snapshot picks up exactly where the
// snapshotted VM's console stopped, even in the middle of a line.
func checkContinues(t *testing.T, before, after []byte) {
	t.Helper()
	all := tickSeq(append(append([]byte(nil), before...), after...))
	prev := tickSeq(before)
	if len(prev) == 0 || len(all) < len(prev)+2 {
		t.Fatalf("too few ticks: before %q, after %q", before, after)
	}
	for i := 1; i < len(all); i++ {
		if all[i] != all[i-1]+1 {
			t.Fatalf("ticks do not continue: %v (before %q, after %q)", all, before, after)
		}
	}
}

// errCode fails t unless err carries code.
func errCode(t *testing.T, what string, err error, code smartvm.Code) {
	t.Helper()
	if smartvm.ErrorCode(err) != code {
		t.Fatalf("%s = %v, want %s", what, err, code)
	}
}

// noRequests fails t when requests were sent since mark.
func noRequests(t *testing.T, what string, log *reqLog, mark int) {
	t.Helper()
	if sent := log.since(mark); len(sent) > 0 {
		t.Fatalf("%s sent %v, want nothing", what, sent)
	}
}

// testTap is the TAP device of tests that need a network interface.
const testTap = "svtest0"

var netnsSeq atomic.Int32

// tapTarget returns target ready for VMs with an interface on testTap. The simulator
// needs no device. Real Firecracker is wrapped to run inside a network namespace that the
// test creates with the TAP in it and deletes afterwards; the test is skipped when that
// cannot be done.
func tapTarget(t *testing.T, target fctest.Target) fctest.Target {
	t.Helper()
	if target.Simulated {
		return target
	}
	ip, err := exec.LookPath("ip")
	if err != nil || os.Geteuid() != 0 {
		t.Skipf("SKIPPED on %s: a TAP in a network namespace needs root and ip(8)",
			target.Name)
	}
	ns := "svmtest-" + strconv.Itoa(os.Getpid()) + "-" + strconv.Itoa(int(netnsSeq.Add(1)))
	run := func(args ...string) error {
		if out, err := exec.Command(ip, args...).CombinedOutput(); err != nil {
			return fmt.Errorf("ip %v: %v: %s", args, err, out)
		}
		return nil
	}
	if err := run("netns", "add", ns); err != nil {
		t.Skipf("SKIPPED on %s: cannot create a network namespace: %v", target.Name, err)
	}
	t.Cleanup(func() {
		if err := run("netns", "del", ns); err != nil {
			t.Errorf("delete network namespace: %v", err)
		}
	})
	if err := run("-n", ns, "tuntap", "add", "dev", testTap, "mode", "tap"); err != nil {
		t.Skipf("SKIPPED on %s: cannot create a TAP device: %v", target.Name, err)
	}
	script := filepath.Join(t.TempDir(), "firecracker-in-netns")
	body := fmt.Sprintf("#!/bin/sh\nexec '%s' netns exec '%s' '%s' \"$@\"\n", ip, ns,
		target.Binary)
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	target.Binary = script
	return target
}
