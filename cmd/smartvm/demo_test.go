package main_test

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"code.foss.global/push.rocks/smartvm/internal/fctest"
)

// checkDemo runs `smartvm demo` with the given Firecracker flags and checks its story:
// the banner, ticks, the pause, the counter continuing after the restore, a clean stop
// and the timing table.
func checkDemo(t *testing.T, fcArgs []string) {
	e := newEnv(t)
	r := e.run(append([]string{"demo"}, fcArgs...)...)
	if r.status != 0 {
		t.Fatalf("demo exit status %d\nstderr:\n%s", r.status, r.stderr)
	}
	out := r.stdout
	for _, want := range []string{"  A | smartvm tiny guest\n", "  A | tick 3\n",
		"==> paused VM A at tick", "==> no ticks while paused", "==> snapshot written",
		"==> VM B stopped cleanly", "  B | bye\n", "\nSTEP ", "snapshot create (Full",
		"restore total (LoadSnapshot)", "InstanceStart → first console byte"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	m := regexp.MustCompile(`tick (\d+) before the snapshot, tick (\d+) after`).
		FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("demo output does not report the counter:\n%s", out)
	}
	before, _ := strconv.Atoi(m[1])
	after, _ := strconv.Atoi(m[2])
	if after != before+1 {
		t.Errorf("counter went from %d to %d across the snapshot, want +1", before, after)
	}
	lastA := lastTickOf(out, "  A | ")
	firstB := firstTickOf(out, "  B | ")
	if lastA != before || firstB != after {
		t.Errorf("console shows A ending at %d and B starting at %d; report says %d, %d",
			lastA, firstB, before, after)
	}
}

func ticksOf(out, prefix string) []int {
	var ticks []int
	for _, line := range strings.Split(out, "\n") {
		if n, err := strconv.Atoi(strings.TrimPrefix(line, prefix+"tick ")); err == nil &&
			strings.HasPrefix(line, prefix) {
			ticks = append(ticks, n)
		}
	}
	return ticks
}

func lastTickOf(out, prefix string) int {
	t := ticksOf(out, prefix)
	if len(t) == 0 {
		return -1
	}
	return t[len(t)-1]
}

func firstTickOf(out, prefix string) int {
	t := ticksOf(out, prefix)
	if len(t) == 0 {
		return -1
	}
	return t[0]
}

func TestDemo(t *testing.T) {
	for _, v := range fctest.SimVersions {
		t.Run("sim-"+v, func(t *testing.T) {
			t.Parallel()
			checkDemo(t, simArgs(t, v))
		})
	}
}

// TestDemoInterrupted: SIGINT while the demo waits for the guest ends it with 130 and
// removes its VMs and files (the leak check of newEnv).
func TestDemoInterrupted(t *testing.T) {
	e := newEnv(t)
	e.setenv("SMARTVM_SIM_TICK=1h") // the guest prints its banner, then waits
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	cmd := e.command(ctx, append([]string{"demo"}, simArgs(t, "1.16.1")...)...)
	out, errb := &syncBuffer{}, &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for !strings.Contains(out.String(), "A | smartvm tiny guest\n") && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGINT)
	if status := exitCode(t, cmd.Wait()); status != 130 {
		t.Errorf("exit status %d, want 130\nstderr:\n%s", status, errb)
	}
	if !strings.Contains(errb.String(), "interrupted") {
		t.Errorf("stderr does not say the demo was interrupted:\n%s", errb)
	}
}
