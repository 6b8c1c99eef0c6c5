package smartvm_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"code.foss.global/push.rocks/smartvm"
	"code.foss.global/push.rocks/smartvm/api"
	"code.foss.global/push.rocks/smartvm/config"
	"code.foss.global/push.rocks/smartvm/internal/fctest"
)

// TestBalloon checks the balloon methods on every target. The tiny guest has no balloon
// driver, so real Firecracker reports the device inactive, which must come back as
// BALLOON_INACTIVE; refusals by configuration and version must send nothing.
func TestBalloon(t *testing.T) {
	for _, target := range fctest.Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			t.Parallel()
			testBalloon(t, target)
		})
	}
}

func testBalloon(t *testing.T, target fctest.Target) {
	rig, svm, reqs := newAPIRig(t, target, smartvm.Options{})
	ctx := rig.Ctx(time.Minute)
	cfg := rig.TinyVM()
	cfg.Balloon = &config.Balloon{AmountMib: 0, DeflateOnOom: true, StatsPollingIntervalS: 1}
	vm := startVM(t, ctx, svm, cfg)
	got, err := vm.GetBalloonConfig(ctx)
	if err != nil || got.AmountMib != 0 || !got.DeflateOnOom ||
		got.StatsPollingIntervalS == nil || *got.StatsPollingIntervalS != 1 {
		t.Fatalf("GetBalloonConfig = %+v, %v", got, err)
	}
	if _, err := vm.GetBalloonStats(ctx); err != nil {
		t.Errorf("GetBalloonStats: %v", err)
	}
	errCode(t, "UpdateBalloon without a guest driver", vm.UpdateBalloon(ctx, 16),
		smartvm.CodeBalloonInactive)
	err = vm.UpdateBalloonStatsInterval(ctx, 5)
	if target.Version.AtLeast(1, 14) {
		if err != nil {
			t.Errorf("UpdateBalloonStatsInterval: %v", err)
		}
	} else { // 1.7 would abort on this request; smartvm must catch it first
		errCode(t, "UpdateBalloonStatsInterval, inactive device", err,
			smartvm.CodeBalloonInactive)
	}
	mark := reqs.mark()
	errCode(t, "UpdateBalloon above memory", vm.UpdateBalloon(ctx, 129),
		smartvm.CodeInvalidConfig)
	errCode(t, "switch statistics off", vm.UpdateBalloonStatsInterval(ctx, 0),
		smartvm.CodeInvalidConfig)
	err = vm.StartBalloonHinting(ctx, true)
	if target.Version.AtLeast(1, 14) {
		errCode(t, "hinting not enabled at boot", err, smartvm.CodeInvalidConfig)
	} else {
		errCode(t, "hinting on "+target.Name, err, smartvm.CodeUnsupportedVersion)
	}
	noRequests(t, "refused balloon calls", reqs, mark)
	if _, err := vm.GetInfo(ctx); err != nil {
		t.Fatalf("VMM not healthy after the balloon calls: %v", err)
	}
	testBalloonNoStats(t, rig, svm, reqs, target)
}

// testBalloonNoStats uses a balloon booted without statistics and, where the version has
// it, with free page hinting.
func testBalloonNoStats(t *testing.T, rig *fctest.Rig, svm *smartvm.SmartVM, reqs *reqLog,
	target fctest.Target) {
	ctx := rig.Ctx(time.Minute)
	cfg := rig.TinyVM()
	hinting := target.Version.AtLeast(1, 14)
	cfg.Balloon = &config.Balloon{AmountMib: 8, FreePageHinting: hinting}
	vm := startVM(t, ctx, svm, cfg)
	mark := reqs.mark()
	_, err := vm.GetBalloonStats(ctx)
	errCode(t, "GetBalloonStats without statistics", err, smartvm.CodeBalloonStatsDisabled)
	errCode(t, "switch statistics on", vm.UpdateBalloonStatsInterval(ctx, 3),
		smartvm.CodeBalloonStatsDisabled)
	noRequests(t, "statistics calls", reqs, mark)
	if !hinting {
		return
	}
	if _, err := vm.GetBalloonHintingStatus(ctx); err != nil {
		t.Errorf("GetBalloonHintingStatus: %v", err)
	}
	errCode(t, "StartBalloonHinting without a guest driver",
		vm.StartBalloonHinting(ctx, false), smartvm.CodeBalloonInactive)
}

// TestBalloonWithDriver runs the balloon methods against the simulator with a guest
// balloon driver, which the tiny guest lacks: every call must then succeed, including
// the statistics update that smartvm guards on 1.7.
func TestBalloonWithDriver(t *testing.T) {
	for _, target := range fctest.Targets(t) {
		if !target.Simulated {
			continue
		}
		t.Run(target.Name, func(t *testing.T) {
			t.Parallel()
			rig, svm, _ := newAPIRig(t, target, smartvm.Options{
				FirecrackerArgs: []string{"--sim-balloon-driver"}})
			ctx := rig.Ctx(time.Minute)
			cfg := rig.TinyVM()
			hinting := target.Version.AtLeast(1, 14)
			cfg.Balloon = &config.Balloon{StatsPollingIntervalS: 2, FreePageHinting: hinting}
			vm := startVM(t, ctx, svm, cfg)
			if err := vm.UpdateBalloon(ctx, 32); err != nil {
				t.Fatal(err)
			}
			st, err := vm.GetBalloonStats(ctx)
			if err != nil || st.TargetMib != 32 {
				t.Errorf("GetBalloonStats = %+v, %v; want target 32 MiB", st, err)
			}
			if err := vm.UpdateBalloonStatsInterval(ctx, 7); err != nil {
				t.Fatal(err)
			}
			got, err := vm.GetBalloonConfig(ctx)
			if err != nil || got.AmountMib != 32 || *got.StatsPollingIntervalS != 7 {
				t.Errorf("GetBalloonConfig = %+v, %v", got, err)
			}
			if hinting {
				testHinting(t, ctx, vm)
			}
		})
	}
}

func testHinting(t *testing.T, ctx context.Context, vm *smartvm.MicroVM) {
	t.Helper()
	if err := vm.StartBalloonHinting(ctx, true); err != nil {
		t.Fatal(err)
	}
	st, err := vm.GetBalloonHintingStatus(ctx)
	if err != nil || st.HostCmd < 2 {
		t.Errorf("hinting status after start = %+v, %v", st, err)
	}
	if err := vm.StopBalloonHinting(ctx); err != nil {
		t.Fatal(err)
	}
	if st, err := vm.GetBalloonHintingStatus(ctx); err != nil || st.HostCmd != 1 {
		t.Errorf("hinting status after stop = %+v, %v", st, err)
	}
}

// tempFile writes an n-byte file in dir.
func tempFile(t *testing.T, dir, name string, n int) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, make([]byte, n), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestDriveUpdates changes a drive before Start (the config Start sends) and after it (by
// PATCH), and checks what Firecracker holds with GET /vm/config: the path and the rate
// limiter merged the way Firecracker merges.
func TestDriveUpdates(t *testing.T) {
	for _, target := range fctest.Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			t.Parallel()
			testDriveUpdates(t, target)
		})
	}
}

func testDriveUpdates(t *testing.T, target fctest.Target) {
	rig, svm, reqs := newAPIRig(t, target, smartvm.Options{})
	ctx := rig.Ctx(time.Minute)
	dir := t.TempDir()
	one, two, three := tempFile(t, dir, "one", 1<<20), tempFile(t, dir, "two", 2<<20),
		tempFile(t, dir, "three", 1<<20)
	cfg := rig.TinyVM()
	bw := &config.TokenBucket{Size: 1 << 20, RefillTime: 100}
	cfg.Drives = []config.Drive{{DriveID: "data", PathOnHost: one,
		RateLimiter: &config.RateLimiter{Bandwidth: bw}}}
	vm := createVM(t, ctx, svm, cfg)
	errCode(t, "unknown drive", vm.UpdateDrive(ctx, "nope", two), smartvm.CodeNotFound)
	errCode(t, "missing file", vm.UpdateDrive(ctx, "data", filepath.Join(dir, "gone")),
		smartvm.CodeInvalidConfig)
	ops := &config.TokenBucket{Size: 100, RefillTime: 1000, OneTimeBurst: 10}
	if err := vm.UpdateDrive(ctx, "data", two); err != nil {
		t.Fatal(err)
	}
	if err := vm.UpdateDriveRateLimiter(ctx, "data", &config.RateLimiter{Ops: ops}); err != nil {
		t.Fatal(err)
	}
	if vm.Config().Drives[0].PathOnHost != one {
		t.Error("Config() changed: it must stay the config given to CreateVM")
	}
	if err := vm.Start(ctx); err != nil {
		t.Fatal(err)
	}
	checkDrive(t, ctx, vm, two, &api.RateLimiter{Bandwidth: apiBucket(bw), Ops: apiBucket(ops)})

	mark := reqs.mark()
	if err := vm.UpdateDrive(ctx, "data", three); err != nil {
		t.Fatal(err)
	}
	zero := &config.TokenBucket{}
	err := vm.UpdateDriveRateLimiter(ctx, "data", &config.RateLimiter{Bandwidth: zero})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"PATCH /drives/data", "PATCH /drives/data"}
	if got := reqs.since(mark); !slices.Equal(got, want) {
		t.Errorf("updates after boot sent %v, want %v", got, want)
	}
	checkDrive(t, ctx, vm, three, &api.RateLimiter{Ops: apiBucket(ops)})
	mark = reqs.mark()
	errCode(t, "unknown drive after boot", vm.UpdateDrive(ctx, "nope", two),
		smartvm.CodeNotFound)
	errCode(t, "size without refill", vm.UpdateDriveRateLimiter(ctx, "data",
		&config.RateLimiter{Ops: &config.TokenBucket{Size: 5}}), smartvm.CodeInvalidConfig)
	noRequests(t, "refused drive updates", reqs, mark)
}

func apiBucket(b *config.TokenBucket) *api.TokenBucket {
	return config.LimiterPayload(&config.RateLimiter{Ops: b}).Ops
}

// checkDrive compares the drive Firecracker reports with path and rl.
func checkDrive(t *testing.T, ctx context.Context, vm *smartvm.MicroVM, path string,
	rl *api.RateLimiter) {
	t.Helper()
	got, err := vm.GetVMConfig(ctx)
	if err != nil || len(got.Drives) != 1 {
		t.Fatalf("GetVMConfig = %+v, %v", got, err)
	}
	d := got.Drives[0]
	if d.PathOnHost != path || !sameLimiter(d.RateLimiter, rl) {
		t.Errorf("drive = %s %s, want %s %s", d.PathOnHost, limiterString(d.RateLimiter),
			path, limiterString(rl))
	}
}

// sameLimiter compares limiters, treating a missing limiter like one without buckets.
func sameLimiter(a, b *api.RateLimiter) bool { return limiterString(a) == limiterString(b) }

func limiterString(r *api.RateLimiter) string {
	if r == nil {
		r = &api.RateLimiter{}
	}
	return bucketString(r.Bandwidth) + "/" + bucketString(r.Ops)
}

func bucketString(b *api.TokenBucket) string {
	if b == nil {
		return "-"
	}
	burst := int64(0)
	if b.OneTimeBurst != nil {
		burst = *b.OneTimeBurst
	}
	return fmt.Sprintf("%d,%d,%d", b.Size, b.RefillTime, burst)
}

// TestNetworkInterfaceUpdate patches an interface's rate limiters and checks that rx and tx
// reach the right fields. Real Firecracker runs in a network namespace with a TAP.
func TestNetworkInterfaceUpdate(t *testing.T) {
	for _, target := range fctest.Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			t.Parallel()
			testIfaceUpdate(t, tapTarget(t, target))
		})
	}
}

func testIfaceUpdate(t *testing.T, target fctest.Target) {
	rig, svm, reqs := newAPIRig(t, target, smartvm.Options{})
	ctx := rig.Ctx(time.Minute)
	cfg := rig.TinyVM()
	rx := &config.TokenBucket{Size: 4096, RefillTime: 100}
	cfg.NetworkInterfaces = []config.NetworkInterface{{IfaceID: "eth0", HostDevName: testTap,
		RxRateLimiter: &config.RateLimiter{Bandwidth: rx}}}
	vm := startVM(t, ctx, svm, cfg)
	tx := &config.TokenBucket{Size: 50, RefillTime: 10}
	mark := reqs.mark()
	if err := vm.UpdateNetworkInterface(ctx, "eth0", nil,
		&config.RateLimiter{Ops: tx}); err != nil {
		t.Fatal(err)
	}
	rx2 := &config.TokenBucket{Size: 10, RefillTime: 10}
	if err := vm.UpdateNetworkInterface(ctx, "eth0", &config.RateLimiter{Ops: rx2},
		nil); err != nil {
		t.Fatal(err)
	}
	if got := reqs.since(mark); len(got) != 2 || got[0] != "PATCH /network-interfaces/eth0" {
		t.Errorf("interface updates sent %v", got)
	}
	got, err := vm.GetVMConfig(ctx)
	if err != nil || len(got.NetworkInterfaces) != 1 {
		t.Fatalf("GetVMConfig = %+v, %v", got, err)
	}
	n := got.NetworkInterfaces[0]
	wantRx := &api.RateLimiter{Bandwidth: apiBucket(rx), Ops: apiBucket(rx2)}
	wantTx := &api.RateLimiter{Ops: apiBucket(tx)}
	if !sameLimiter(n.RxRateLimiter, wantRx) || !sameLimiter(n.TxRateLimiter, wantTx) {
		t.Errorf("rx %s tx %s, want rx %s tx %s", limiterString(n.RxRateLimiter),
			limiterString(n.TxRateLimiter), limiterString(wantRx), limiterString(wantTx))
	}
	errCode(t, "unknown interface", vm.UpdateNetworkInterface(ctx, "eth9", nil,
		&config.RateLimiter{Ops: tx}), smartvm.CodeNotFound)
}
