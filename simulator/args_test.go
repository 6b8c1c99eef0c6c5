package simulator

import (
	"errors"
	"testing"
	"time"
)

func TestParseArgsFlagsAndEnvironment(t *testing.T) {
	env := map[string]string{"SMARTVM_SIM_TICK": "50ms", "SMARTVM_SIM_FAIL": "PUT /a, GET /b",
		"SMARTVM_SIM_BALLOON_DRIVER": "1", "SMARTVM_SIM_VERSION": "1.7.0",
		"SMARTVM_SIM_CRASH_AT": "0"}
	inv, err := ParseArgs([]string{"--api-sock", "/s", "--sim-tick", "5", "--id", "vm-1",
		"--sim-fail", "PATCH /c", "--no-seccomp", "--boot-timer", "--", "--ignored"},
		func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	o := inv.Options
	if o.SocketPath != "/s" || o.ID != "vm-1" || o.Tick != 5*time.Millisecond ||
		o.Version != V1_7_0 || !o.BalloonDriver || !o.CrashAtStart ||
		len(o.Fail) != 1 || o.Fail[0] != "PATCH /c" {
		t.Fatalf("options %+v", o)
	}
	inv, err = ParseArgs(nil, func(k string) string { return env[k] })
	if err != nil || len(inv.Options.Fail) != 2 || inv.Options.Tick != 50*time.Millisecond ||
		inv.Options.SocketPath != "/run/firecracker.socket" {
		t.Fatalf("environment only: %+v, %v", inv, err)
	}
	for _, bad := range [][]string{{"--seccomp-filter", "f", "--no-seccomp"},
		{"--id", "a", "--id", "b"}, {"positional"}, {"--sim-tick", "soon"}} {
		var ae *ArgError
		if _, err := ParseArgs(bad, func(string) string { return "" }); !errors.As(err, &ae) {
			t.Errorf("%v: error %v, want an *ArgError", bad, err)
		}
	}
}
