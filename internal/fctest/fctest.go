// Package fctest is the test rig shared by smartvm's tests. It runs one suite against
// every Firecracker the machine has: the project's simulator always (built from
// ./cmd/fcsim), and real Firecracker binaries when SMARTVM_TEST_FIRECRACKER names them
// (a path, or several separated by ':'). Each target checks every request body the library
// sends against the published API spec of the version it runs.
package fctest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"code.foss.global/push.rocks/smartvm/api"
	"code.foss.global/push.rocks/smartvm/internal/guest"
)

// EnvFirecracker names the real Firecracker binaries to test against.
const EnvFirecracker = "SMARTVM_TEST_FIRECRACKER"

// Target is one Firecracker to run tests against.
type Target struct {
	// Name is "sim-1.16.1" or "real-1.14.2", usable as a subtest name.
	Name string
	// Binary is the executable.
	Binary string
	// Version is what the binary reports.
	Version api.Version
	// Simulated is true for the simulator.
	Simulated bool
	// Args are extra arguments the target needs (the simulator's version switch).
	Args []string
}

// SimVersions are the API versions the simulator is run as.
var SimVersions = []string{"1.16.1", "1.7.0"}

// Targets returns the simulator targets and every real binary named by
// SMARTVM_TEST_FIRECRACKER. When none is named it says so through t.Log, so that a skipped
// real-Firecracker run is visible in the output of go test -v.
func Targets(t testing.TB) []Target {
	t.Helper()
	sim := SimBinary(t)
	var out []Target
	for _, v := range SimVersions {
		ver, _ := api.ParseVersion(v)
		out = append(out, Target{Name: "sim-" + v, Binary: sim, Version: ver, Simulated: true,
			Args: []string{"--sim-version", v}})
	}
	return append(out, RealTargets(t)...)
}

// RealTargets returns the real Firecracker binaries named by SMARTVM_TEST_FIRECRACKER.
func RealTargets(t testing.TB) []Target {
	t.Helper()
	env := os.Getenv(EnvFirecracker)
	if env == "" {
		t.Logf("real Firecracker not tested: set %s=/path/to/firecracker[:/other]",
			EnvFirecracker)
		return nil
	}
	var out []Target
	for _, bin := range strings.Split(env, ":") {
		v, err := BinaryVersion(bin)
		if err != nil {
			t.Fatalf("%s=%s: %v", EnvFirecracker, bin, err)
		}
		out = append(out, Target{Name: "real-" + v.String(), Binary: bin, Version: v})
	}
	return out
}

// SkipIfNoReal skips t, saying why, when no real Firecracker is given.
func SkipIfNoReal(t testing.TB) []Target {
	t.Helper()
	if os.Getenv(EnvFirecracker) == "" {
		t.Skipf("SKIPPED real Firecracker run: %s is not set", EnvFirecracker)
	}
	return RealTargets(t)
}

// BinaryVersion runs `bin --version` and parses its first line.
func BinaryVersion(bin string) (api.Version, error) {
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		return api.Version{}, fmt.Errorf("%s --version: %w", bin, err)
	}
	return api.ParseVersion(string(out))
}

var (
	tempOnce sync.Once
	tempRoot string
	tempErr  error
)

// tempDir returns a directory for this test process's built files, removed by Main.
func tempDir() (string, error) {
	tempOnce.Do(func() { tempRoot, tempErr = os.MkdirTemp("", "smartvm-test-") })
	return tempRoot, tempErr
}

// Main runs the tests of a package that uses the rig and then removes the simulator and
// guest it built. Call it from TestMain: os.Exit(fctest.Main(m)).
func Main(m *testing.M) int {
	code := m.Run()
	if tempRoot != "" {
		os.RemoveAll(tempRoot)
	}
	return code
}

var (
	simOnce sync.Once
	simPath string
	simErr  error
)

// SimBinary builds ./cmd/fcsim once per test process and returns its path.
func SimBinary(t testing.TB) string {
	t.Helper()
	simOnce.Do(func() {
		dir, err := tempDir()
		if err != nil {
			simErr = err
			return
		}
		simPath = filepath.Join(dir, "fcsim")
		cmd := exec.Command("go", "build", "-o", simPath,
			"code.foss.global/push.rocks/smartvm/cmd/fcsim")
		if out, err := cmd.CombinedOutput(); err != nil {
			simErr = fmt.Errorf("build simulator: %v\n%s", err, out)
		}
	})
	if simErr != nil {
		t.Fatal(simErr)
	}
	return simPath
}

var (
	kernelOnce sync.Once
	kernelPath string
	kernelErr  error
)

// Kernel assembles the tiny guest from testdata with binutils, once per test process,
// and returns the ELF's path.
func Kernel(t testing.TB) string {
	t.Helper()
	kernelOnce.Do(func() {
		dir, err := tempDir()
		if err == nil {
			kernelPath, err = guest.Build(dir)
		}
		kernelErr = err
	})
	if kernelErr != nil {
		t.Fatalf("assemble the tiny guest (binutils needed): %v", kernelErr)
	}
	return kernelPath
}
