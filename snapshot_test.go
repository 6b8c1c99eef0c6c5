package smartvm_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"code.foss.global/push.rocks/smartvm"
	"code.foss.global/push.rocks/smartvm/config"
	"code.foss.global/push.rocks/smartvm/internal/fctest"
	"code.foss.global/push.rocks/smartvm/internal/guest"
)

// TestSnapshotRestoreContinues takes a Full snapshot of a paused VM and loads it, with
// resume, into a new VM whose console must continue the tick counter exactly; then a Diff
// snapshot of that VM (on top of a copy of the Full memory) loads into a third VM, paused,
// which continues after Resume and stops gracefully. The first VM has a vsock device, so
// the socket directory the snapshots expect is recreated, and removed again at cleanup.
func TestSnapshotRestoreContinues(t *testing.T) {
	for _, target := range fctest.Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			t.Parallel()
			testSnapshotRestore(t, target)
		})
	}
}

func testSnapshotRestore(t *testing.T, target fctest.Target) {
	rig, svm, reqs := newAPIRig(t, target, smartvm.Options{})
	ctx := rig.Ctx(2 * time.Minute)
	dir := t.TempDir()
	cfg := rig.TinyVM()
	cfg.MachineConfig.TrackDirtyPages = true
	cfg.Vsock = &config.Vsock{GuestCID: 3}
	orig := startVM(t, ctx, svm, cfg)
	waitTicks(t, ctx, orig, 2)
	if err := orig.Pause(ctx); err != nil {
		t.Fatal(err)
	}
	full := smartvm.SnapshotParams{SnapshotPath: filepath.Join(dir, "full", "vm.snap"),
		MemFilePath: filepath.Join(dir, "full", "vm.mem")}
	meta, err := orig.CreateSnapshot(ctx, full)
	if err != nil {
		t.Fatal(err)
	}
	checkMetadata(t, meta, target, orig.VsockUDSPath())
	vsockPath := orig.VsockUDSPath()
	if err := orig.Cleanup(ctx); err != nil { // kills the paused VM: no tick after the snapshot
		t.Fatal(err)
	}

	second := createVM(t, ctx, svm, rig.TinyVM())
	mark := reqs.mark()
	err = second.LoadSnapshot(ctx, smartvm.SnapshotLoadOptions{SnapshotPath: full.SnapshotPath,
		Resume: true})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"PUT /snapshot/load"}
	if got := reqs.sinceNoVersion(mark); !slices.Equal(got, want) {
		t.Errorf("LoadSnapshot sent %v, want %v", got, want)
	}
	if second.State() != smartvm.StateRunning || second.VsockUDSPath() != vsockPath {
		t.Errorf("after load: state %s, vsock %q; want running, %q", second.State(),
			second.VsockUDSPath(), vsockPath)
	}
	waitTicks(t, ctx, second, 2)
	checkContinues(t, orig.Console().Bytes(), second.Console().Bytes())

	if err := second.Pause(ctx); err != nil {
		t.Fatal(err)
	}
	diff := smartvm.SnapshotParams{SnapshotPath: filepath.Join(dir, "diff.snap"),
		MemFilePath: filepath.Join(dir, "diff.mem"), Type: smartvm.SnapshotDiff,
		BaseMemFilePath: full.MemFilePath}
	if _, err := second.CreateSnapshot(ctx, diff); err != nil {
		t.Fatal(err)
	}
	if err := second.Cleanup(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Dir(vsockPath)); !os.IsNotExist(err) {
		t.Errorf("vsock directory recreated for the snapshot is left: %v", err)
	}
	restoreDiff(t, rig, svm, reqs, diff, second.Console().Bytes())
}

// restoreDiff loads the Diff snapshot paused into a VM with its own logger and metrics,
// resumes it, checks the ticks and stops it.
func restoreDiff(t *testing.T, rig *fctest.Rig, svm *smartvm.SmartVM, reqs *reqLog,
	diff smartvm.SnapshotParams, before []byte) {
	ctx := rig.Ctx(time.Minute)
	cfg := rig.TinyVM()
	dir := t.TempDir()
	cfg.Logger = &config.Logger{LogPath: filepath.Join(dir, "fc.log"), Level: "Info"}
	cfg.Metrics = &config.Metrics{MetricsPath: filepath.Join(dir, "metrics")}
	third := createVM(t, ctx, svm, cfg)
	mark := reqs.mark()
	err := third.LoadSnapshot(ctx, smartvm.SnapshotLoadOptions{SnapshotPath: diff.SnapshotPath})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"PUT /logger", "PUT /metrics", "PUT /snapshot/load"}
	if got := reqs.sinceNoVersion(mark); !slices.Equal(got, want) {
		t.Errorf("LoadSnapshot with logger and metrics sent %v, want %v", got, want)
	}
	if third.State() != smartvm.StatePaused {
		t.Fatalf("state after load without resume = %s", third.State())
	}
	if err := third.Resume(ctx); err != nil {
		t.Fatal(err)
	}
	waitTicks(t, ctx, third, 2)
	checkContinues(t, before, third.Console().Bytes())
	if err := third.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := third.Wait(ctx); err != nil {
		t.Errorf("restored VM did not stop cleanly: %v", err)
	}
	if !strings.Contains(third.Console().String(), guest.ByeLine+"\n") {
		t.Errorf("restored guest did not see Ctrl-Alt-Del: %q", third.Console().String())
	}
}

func checkMetadata(t *testing.T, meta *smartvm.SnapshotMetadata, target fctest.Target,
	vsock string) {
	t.Helper()
	onDisk, err := smartvm.ReadSnapshotMetadata(meta.SnapshotPath)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(meta)
	b, _ := json.Marshal(onDisk)
	if string(a) != string(b) {
		t.Errorf("metadata on disk differs:\n%s\n%s", a, b)
	}
	if meta.FirecrackerVersion != target.Version.String() || meta.MemSizeMib != 128 ||
		meta.Type != smartvm.SnapshotFull || !meta.TrackDirtyPages ||
		meta.Vsock == nil || meta.Vsock.UdsPath != vsock || meta.Vsock.GuestCID != 3 {
		t.Errorf("metadata = %s", a)
	}
}

// TestSnapshotRefusals checks the refusals that must come before any request.
func TestSnapshotRefusals(t *testing.T) {
	for _, target := range fctest.Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			t.Parallel()
			testSnapshotRefusals(t, target)
		})
	}
}

func testSnapshotRefusals(t *testing.T, target fctest.Target) {
	rig, svm, reqs := newAPIRig(t, target, smartvm.Options{})
	ctx := rig.Ctx(time.Minute)
	dir := t.TempDir()
	p := smartvm.SnapshotParams{SnapshotPath: filepath.Join(dir, "s"),
		MemFilePath: filepath.Join(dir, "m")}
	vm := createVM(t, ctx, svm, rig.TinyVM())
	_, err := vm.CreateSnapshot(ctx, p)
	errCode(t, "CreateSnapshot before Start", err, smartvm.CodeInvalidState)
	if err := vm.Start(ctx); err != nil {
		t.Fatal(err)
	}
	mark := reqs.mark()
	_, err = vm.CreateSnapshot(ctx, p)
	errCode(t, "CreateSnapshot of a running VM", err, smartvm.CodeInvalidState)
	noRequests(t, "CreateSnapshot of a running VM", reqs, mark)
	if err := vm.Pause(ctx); err != nil {
		t.Fatal(err)
	}
	mark = reqs.mark()
	for name, bad := range map[string]smartvm.SnapshotParams{
		"Diff without dirty tracking": {SnapshotPath: p.SnapshotPath,
			MemFilePath: p.MemFilePath, Type: smartvm.SnapshotDiff},
		"relative path": {SnapshotPath: "s", MemFilePath: p.MemFilePath},
		"unknown type": {SnapshotPath: p.SnapshotPath, MemFilePath: p.MemFilePath,
			Type: "Incremental"},
		"same file": {SnapshotPath: p.SnapshotPath, MemFilePath: p.SnapshotPath},
	} {
		_, err := vm.CreateSnapshot(ctx, bad)
		errCode(t, name, err, smartvm.CodeInvalidConfig)
	}
	noRequests(t, "refused CreateSnapshot", reqs, mark)
	if _, err := os.Stat(smartvm.MetadataPath(p.SnapshotPath)); !os.IsNotExist(err) {
		t.Errorf("metadata written for a refused snapshot: %v", err)
	}
}

// TestLoadSnapshotRefusals checks what LoadSnapshot refuses: boot-time configuration,
// missing metadata, another architecture or Firecracker version, and fields the
// snapshot's Firecracker lacks.
func TestLoadSnapshotRefusals(t *testing.T) {
	for _, target := range fctest.Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			t.Parallel()
			testLoadRefusals(t, target)
		})
	}
}

func testLoadRefusals(t *testing.T, target fctest.Target) {
	rig, svm, reqs := newAPIRig(t, target, smartvm.Options{})
	ctx := rig.Ctx(time.Minute)
	dir := t.TempDir()
	snap := makeSnapshot(t, rig, svm, dir)

	withDrive := rig.TinyVM()
	withDrive.Drives = []config.Drive{{DriveID: "d", PathOnHost: snap}}
	refuse := func(name string, cfg *config.VM, o smartvm.SnapshotLoadOptions,
		code smartvm.Code) {
		t.Helper()
		vm := createVM(t, ctx, svm, cfg)
		mark := reqs.mark()
		errCode(t, name, vm.LoadSnapshot(ctx, o), code)
		noRequests(t, name, reqs, mark)
		if vm.State() != smartvm.StateCreated || vm.PID() != 0 {
			t.Errorf("%s: state %s, pid %d; want created, no process", name, vm.State(),
				vm.PID())
		}
		vm.Cleanup(ctx)
	}
	load := smartvm.SnapshotLoadOptions{SnapshotPath: snap, Resume: true}
	refuse("config with drives", withDrive, load, smartvm.CodeInvalidConfig)
	noMeta := filepath.Join(dir, "bare.snap")
	os.WriteFile(noMeta, []byte("x"), 0o600)
	refuse("no metadata", rig.TinyVM(), smartvm.SnapshotLoadOptions{SnapshotPath: noMeta},
		smartvm.CodeNotFound)
	refuse("other arch", rig.TinyVM(), copySnapshot(t, snap, func(m map[string]any) {
		m["arch"] = "riscv64"
	}), smartvm.CodeSnapshotIncompatible)
	if !target.Version.AtLeast(1, 16) {
		o := load
		o.VsockOverride = filepath.Join(dir, "v.sock")
		refuse("vsock override", rig.TinyVM(), o, smartvm.CodeUnsupportedVersion)
		o = load
		o.ClockRealtime = true
		refuse("clock realtime", rig.TinyVM(), o, smartvm.CodeUnsupportedVersion)
	}

	// Another version is only known once the binary's version is (from GET /version or
	// the SmartVM's memory of it): nothing but that question may be sent.
	vm := createVM(t, ctx, svm, rig.TinyVM())
	mark := reqs.mark()
	err := vm.LoadSnapshot(ctx, copySnapshot(t, snap, func(m map[string]any) {
		m["firecrackerVersion"] = "1.5.0"
	}))
	errCode(t, "snapshot of another version", err, smartvm.CodeSnapshotIncompatible)
	if got := reqs.sinceNoVersion(mark); len(got) > 0 {
		t.Errorf("LoadSnapshot of another version sent %v", got)
	}
	if vm.State() != smartvm.StateFailed {
		t.Errorf("state after incompatible load = %s, want failed", vm.State())
	}
}

// makeSnapshot boots the tiny guest, snapshots it paused into dir and cleans it up.
func makeSnapshot(t *testing.T, rig *fctest.Rig, svm *smartvm.SmartVM, dir string) string {
	t.Helper()
	ctx := rig.Ctx(time.Minute)
	vm := startVM(t, ctx, svm, rig.TinyVM())
	if err := vm.Pause(ctx); err != nil {
		t.Fatal(err)
	}
	p := smartvm.SnapshotParams{SnapshotPath: filepath.Join(dir, "vm.snap"),
		MemFilePath: filepath.Join(dir, "vm.mem")}
	if _, err := vm.CreateSnapshot(ctx, p); err != nil {
		t.Fatal(err)
	}
	if err := vm.Cleanup(ctx); err != nil {
		t.Fatal(err)
	}
	return p.SnapshotPath
}

// copySnapshot copies the snapshot's state file and metadata, edits the metadata and
// returns load options for the copy (with the original memory file).
func copySnapshot(t *testing.T, snap string, edit func(map[string]any)) smartvm.
	SnapshotLoadOptions {
	t.Helper()
	data, err := os.ReadFile(smartvm.MetadataPath(snap))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	data, _ = json.Marshal(m)
	state, _ := os.ReadFile(snap)
	cp := filepath.Join(t.TempDir(), "copy.snap")
	if err := os.WriteFile(cp, state, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(smartvm.MetadataPath(cp), data, 0o600); err != nil {
		t.Fatal(err)
	}
	return smartvm.SnapshotLoadOptions{SnapshotPath: cp}
}
