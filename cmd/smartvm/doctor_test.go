package main_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"code.foss.global/push.rocks/smartvm/internal/fctest"
)

type doctorCheck struct {
	Name     string `json:"name"`
	OK       bool   `json:"ok"`
	Required bool   `json:"required"`
	Detail   string `json:"detail"`
	Fix      string `json:"fix"`
}

type doctorReport struct {
	OK     bool          `json:"ok"`
	Checks []doctorCheck `json:"checks"`
}

// doctorJSON runs `doctor --json` and checks that the exit status matches the report.
func doctorJSON(t *testing.T, e *env, args ...string) map[string]doctorCheck {
	t.Helper()
	r := e.run(append([]string{"doctor", "--json"}, args...)...)
	var rep doctorReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("doctor --json printed no JSON: %v\n%s", err, r.stdout)
	}
	allOK := true
	checks := map[string]doctorCheck{}
	for _, c := range rep.Checks {
		checks[c.Name] = c
		if c.Required && !c.OK {
			allOK = false
		}
		if !c.OK && c.Fix == "" && c.Name != "CAP_NET_ADMIN" {
			t.Errorf("failed check %q has no fix", c.Name)
		}
	}
	if rep.OK != allOK || (r.status == 0) != allOK {
		t.Errorf("report ok=%v, required checks ok=%v, exit status %d", rep.OK, allOK,
			r.status)
	}
	return checks
}

func TestDoctorFindsSimulator(t *testing.T) {
	e := newEnv(t)
	checks := doctorJSON(t, e, "--firecracker", fctest.SimBinary(t))
	fc := checks["Firecracker"]
	if !fc.OK || !strings.Contains(fc.Detail, "v1.16.1") ||
		!strings.Contains(fc.Detail, "--firecracker") {
		t.Errorf("Firecracker check %+v", fc)
	}
	for _, name := range []string{"data directory writable", "socket path length"} {
		if !checks[name].OK {
			t.Errorf("check %q failed: %+v", name, checks[name])
		}
	}
	for _, name := range []string{"/dev/kvm read-write", "/dev/net/tun", "CAP_NET_ADMIN",
		"nftables", "architecture"} {
		if _, ok := checks[name]; !ok {
			t.Errorf("no %q check", name)
		}
	}
}

// TestDoctorWithoutFirecracker: with nothing on PATH, in the cache or given, doctor
// says what is missing and how to get it, and fails.
func TestDoctorWithoutFirecracker(t *testing.T) {
	e := newEnv(t)
	e.setenv("PATH=" + t.TempDir())
	r := e.run("doctor")
	if r.status != 1 {
		t.Errorf("exit status %d, want 1", r.status)
	}
	for _, want := range []string{"Firecracker", "FAIL", "no firecracker on PATH",
		"fix: run `smartvm pull firecracker`", "required check(s) failed"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("doctor output lacks %q:\n%s", want, r.stdout)
		}
	}
}

func TestDoctorBadFirecracker(t *testing.T) {
	e := newEnv(t)
	script := filepath.Join(e.dataDir, "broken-fc")
	os.WriteFile(script, []byte("#!/bin/sh\necho cannot run here >&2\nexit 3\n"), 0o755)
	fc := doctorJSON(t, e, "--firecracker", script)["Firecracker"]
	if fc.OK || !strings.Contains(fc.Detail, "cannot run here") {
		t.Errorf("Firecracker check of a failing binary: %+v", fc)
	}
}

func TestDoctorDataDirProblems(t *testing.T) {
	e := newEnv(t)
	sim := fctest.SimBinary(t)
	long := filepath.Join(e.dataDir, strings.Repeat("d", 80))
	sock := doctorJSON(t, e, "--firecracker", sim, "--data-dir", long)["socket path length"]
	if sock.OK || !strings.Contains(sock.Fix, "--data-dir of at most") {
		t.Errorf("socket path check for a long data dir: %+v", sock)
	}
	file := filepath.Join(e.dataDir, "file")
	os.WriteFile(file, nil, 0o600)
	dd := doctorJSON(t, e, "--firecracker", sim, "--data-dir", filepath.Join(file, "d"))
	if c := dd["data directory writable"]; c.OK || !strings.Contains(c.Fix, "--data-dir") {
		t.Errorf("data dir check under a file: %+v", c)
	}
}
