package smartvm_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"code.foss.global/push.rocks/smartvm"
	"code.foss.global/push.rocks/smartvm/config"
	"code.foss.global/push.rocks/smartvm/internal/fctest"
)

// TestLoggerAndMetrics checks that logger and metrics files are written, that
// FlushMetrics adds a line, and that FIFOs are drained without blocking Start.
func TestLoggerAndMetrics(t *testing.T) {
	for _, target := range fctest.Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			t.Parallel()
			testLoggerFiles(t, target)
			testLoggerFIFOs(t, target)
		})
	}
}

func testLoggerFiles(t *testing.T, target fctest.Target) {
	rig, svm, _ := newAPIRig(t, target, smartvm.Options{})
	ctx := rig.Ctx(time.Minute)
	dir := t.TempDir()
	cfg := rig.TinyVM()
	cfg.Logger = &config.Logger{LogPath: filepath.Join(dir, "fc.log"), Level: "Info"}
	cfg.Metrics = &config.Metrics{MetricsPath: filepath.Join(dir, "metrics")} // not created
	vm := startVM(t, ctx, svm, cfg)
	// Firecracker 1.7 also writes a first line by itself shortly after boot, so the
	// flushed line is recognised by its timestamp.
	before := len(metricLines(t, cfg.Metrics.MetricsPath))
	flushed := time.Now().UnixMilli()
	if err := vm.FlushMetrics(ctx); err != nil {
		t.Fatal(err)
	}
	lines := metricLines(t, cfg.Metrics.MetricsPath)
	if len(lines) <= before || lines[len(lines)-1].UTCTimestampMs < flushed {
		t.Errorf("FlushMetrics added no line: %d lines before, %+v after", before, lines)
	}
	if fi, err := os.Stat(cfg.Logger.LogPath); err != nil || fi.Size() == 0 {
		t.Errorf("log file not written: %v", err)
	}
	if vm.LoggerOutput() != nil || vm.MetricsOutput() != nil {
		t.Error("FIFO output reported for regular files")
	}
	plain := startVM(t, ctx, svm, rig.TinyVM())
	errCode(t, "FlushMetrics without metrics", plain.FlushMetrics(ctx),
		smartvm.CodeInvalidConfig)
}

// metricLine is the part of a Firecracker metrics line the tests read.
type metricLine struct {
	UTCTimestampMs int64 `json:"utc_timestamp_ms"`
}

// metricLines decodes the complete lines of a metrics file.
func metricLines(t *testing.T, path string) []metricLine {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(data, []byte("\n"))
	out := make([]metricLine, 0, len(lines))
	for _, l := range lines[:len(lines)-1] {
		var m metricLine
		if err := json.Unmarshal(l, &m); err != nil || m.UTCTimestampMs == 0 {
			t.Fatalf("metrics line %q: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}

func testLoggerFIFOs(t *testing.T, target fctest.Target) {
	rig, svm, _ := newAPIRig(t, target, smartvm.Options{})
	ctx := rig.Ctx(time.Minute)
	dir := t.TempDir()
	cfg := rig.TinyVM()
	cfg.Logger = &config.Logger{LogPath: filepath.Join(dir, "log.fifo"), Level: "Info"}
	cfg.Metrics = &config.Metrics{MetricsPath: filepath.Join(dir, "metrics.fifo")}
	for _, p := range []string{cfg.Logger.LogPath, cfg.Metrics.MetricsPath} {
		if err := syscall.Mkfifo(p, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	copyOut := &lockedBuffer{}
	vm, err := svm.CreateVM(ctx, cfg, smartvm.WithMetricsOutput(copyOut))
	if err != nil {
		t.Fatal(err)
	}
	if err := vm.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := vm.FlushMetrics(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "a metrics line after FlushMetrics", func() bool {
		return bytes.Contains(vm.MetricsOutput(), []byte("\n"))
	})
	first, _, _ := bytes.Cut(vm.MetricsOutput(), []byte("\n"))
	if !json.Valid(first) {
		t.Errorf("metrics line is not JSON: %q", first)
	}
	waitFor(t, ctx, "log output", func() bool { return len(vm.LoggerOutput()) > 0 })
	if err := vm.Cleanup(ctx); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(vm.MetricsOutput(), []byte(copyOut.String())) {
		t.Errorf("WithMetricsOutput copy differs from MetricsOutput")
	}
}

// waitFor polls f until it returns true.
func waitFor(t *testing.T, ctx context.Context, what string, f func() bool) {
	t.Helper()
	for {
		if f() {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no %s", what)
		case <-time.After(20 * time.Millisecond):
		}
	}
}
