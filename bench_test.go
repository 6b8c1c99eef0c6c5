package smartvm_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"code.foss.global/push.rocks/smartvm"
	"code.foss.global/push.rocks/smartvm/api"
	"code.foss.global/push.rocks/smartvm/internal/fctest"
)

// BenchmarkBoot measures boot to first console byte three ways, interleaved in one run
// so that the ratios compare like with like: smartvm's Start, a minimal raw API client
// (spawn, tight socket wait, the same PUTs), and Firecracker's own --config-file boot.
// It reports medians in ms, Start's phases, and the ratio smartvm/raw.
func BenchmarkBoot(b *testing.B) {
	for _, target := range fctest.Targets(b) {
		b.Run(target.Name, func(b *testing.B) { benchBoot(b, target) })
	}
}

type bootSample struct {
	smart, raw, file time.Duration
	phases           smartvm.Timings
}

func benchBoot(b *testing.B, target fctest.Target) {
	rig := fctest.NewRig(b, target, smartvm.Options{})
	// The rig checks every request against the API spec; that costs more than the request
	// itself, so the measured SmartVM runs without the check.
	svm, err := smartvm.New(smartvm.Options{DataDir: rig.DataDir,
		FirecrackerBinaryPath: target.Binary, FirecrackerArgs: target.Args})
	if err != nil {
		b.Fatal(err)
	}
	rig.SVM = svm
	var samples []bootSample
	for i := 0; b.Loop(); i++ {
		var s bootSample
		runs := []func(){
			func() { s.smart, s.phases = bootSmart(b, rig) },
			func() { s.raw = bootRaw(b, rig, i) },
			func() { s.file = bootConfigFile(b, rig, i) },
		}
		for k := range runs { // rotate the order so no variant always goes first
			runs[(i+k)%len(runs)]()
		}
		samples = append(samples, s)
	}
	med := func(f func(bootSample) time.Duration) float64 {
		vals := make([]time.Duration, len(samples))
		for i, s := range samples {
			vals[i] = f(s)
		}
		slices.Sort(vals)
		return float64(vals[len(vals)/2].Microseconds()) / 1000
	}
	smart := med(func(s bootSample) time.Duration { return s.smart })
	raw := med(func(s bootSample) time.Duration { return s.raw })
	b.ReportMetric(smart, "smartvm-ms")
	b.ReportMetric(raw, "raw-ms")
	b.ReportMetric(med(func(s bootSample) time.Duration { return s.file }), "configfile-ms")
	b.ReportMetric(smart/raw, "smartvm/raw")
	b.ReportMetric(med(func(s bootSample) time.Duration { return s.phases.Spawn }), "spawn-ms")
	b.ReportMetric(med(func(s bootSample) time.Duration { return s.phases.SocketReady }),
		"socket-ms")
	b.ReportMetric(med(func(s bootSample) time.Duration { return s.phases.Config }), "config-ms")
	b.ReportMetric(med(func(s bootSample) time.Duration { return s.phases.InstanceStart }),
		"instancestart-ms")
	b.ReportMetric(0, "ns/op")
}

func bootSmart(b *testing.B, rig *fctest.Rig) (time.Duration, smartvm.Timings) {
	ctx := context.Background()
	vm, err := rig.SVM.CreateVM(ctx, rig.TinyVM())
	if err != nil {
		b.Fatal(err)
	}
	if err := vm.Start(ctx); err != nil {
		b.Fatal(err)
	}
	d, err := vm.FirstConsoleByteAfter(ctx)
	if err != nil {
		b.Fatal(err)
	}
	timings := vm.Timings()
	b.StopTimer()
	vm.Cleanup(ctx)
	b.StartTimer()
	return d, timings
}

// rawVMM is the baseline: the least a client must do to boot over the API.
type rawVMM struct {
	cmd    *exec.Cmd
	first  chan time.Time
	socket string
}

func spawnRaw(b *testing.B, rig *fctest.Rig, args ...string) *rawVMM {
	cmd := exec.Command(rig.Target.Binary, append(args, rig.Target.Args...)...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	r := &rawVMM{cmd: cmd, first: make(chan time.Time, 1)}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	go func() {
		buf := make([]byte, 4096)
		if n, _ := out.Read(buf); n > 0 {
			r.first <- time.Now()
		}
		io.Copy(io.Discard, out)
	}()
	return r
}

func (r *rawVMM) finish(b *testing.B, start time.Time) time.Duration {
	select {
	case t := <-r.first:
		b.StopTimer()
		r.cmd.Process.Kill()
		r.cmd.Wait()
		os.Remove(r.socket)
		b.StartTimer()
		return t.Sub(start)
	case <-time.After(10 * time.Second):
		r.cmd.Process.Kill()
		r.cmd.Wait()
		b.Fatal("no console output from the raw boot")
		return 0
	}
}

func bootRaw(b *testing.B, rig *fctest.Rig, i int) time.Duration {
	dir := filepath.Join(rig.DataDir, fmt.Sprintf("raw%d", i))
	os.MkdirAll(dir, 0o700)
	defer os.RemoveAll(dir)
	sock, logf := filepath.Join(dir, "api.sock"), filepath.Join(dir, "fc.log")
	os.WriteFile(logf, nil, 0o600)
	start := time.Now()
	r := spawnRaw(b, rig, "--api-sock", sock, "--id", "raw", "--log-path", logf)
	r.socket = sock
	for {
		if c, err := net.Dial("unix", sock); err == nil {
			c.Close()
			break
		}
	}
	hc := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return net.Dial("unix", sock)
		}}}
	cfg := rig.TinyVM()
	put := func(path string, body any) {
		data, _ := json.Marshal(body)
		req, _ := http.NewRequest(http.MethodPut, "http://localhost"+path, bytes.NewReader(data))
		resp, err := hc.Do(req)
		if err != nil || resp.StatusCode != http.StatusNoContent {
			b.Fatalf("raw PUT %s: %v %v", path, err, resp)
		}
		resp.Body.Close()
	}
	put("/machine-config", cfg.MachineConfigPayload())
	put("/boot-source", cfg.BootSourcePayload())
	put("/actions", api.InstanceActionInfo{ActionType: api.ActionInstanceStart})
	return r.finish(b, start)
}

func bootConfigFile(b *testing.B, rig *fctest.Rig, i int) time.Duration {
	dir := filepath.Join(rig.DataDir, fmt.Sprintf("file%d", i))
	os.MkdirAll(dir, 0o700)
	defer os.RemoveAll(dir)
	cfg := rig.TinyVM()
	doc, err := cfg.FirecrackerConfig(rig.Target.Version)
	if err != nil {
		b.Fatal(err)
	}
	data, _ := json.Marshal(doc)
	file, logf := filepath.Join(dir, "vm.json"), filepath.Join(dir, "fc.log")
	os.WriteFile(file, data, 0o600)
	os.WriteFile(logf, nil, 0o600)
	start := time.Now()
	r := spawnRaw(b, rig, "--no-api", "--config-file", file, "--log-path", logf)
	return r.finish(b, start)
}
