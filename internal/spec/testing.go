package spec

import (
	"os"
	"testing"
)

// EnvRequire, when set, makes missing specifications fail the tests instead of skipping
// the checks that need them. CI sets it.
const EnvRequire = "SMARTVM_REQUIRE_SPECS"

// Required reports whether EnvRequire is set.
func Required() bool { return os.Getenv(EnvRequire) != "" }

// LoadForTest returns the specification for version, skipping t when the specifications
// are not available, or failing it when EnvRequire is set.
func LoadForTest(t testing.TB, version string) *Spec {
	t.Helper()
	s, err := Load(version)
	if err == nil {
		return s
	}
	if _, dirErr := Dir(); dirErr != nil && !Required() {
		t.Skipf("SKIPPED: Firecracker API specs not available (set %s to fail instead): %v",
			EnvRequire, dirErr)
	}
	t.Fatalf("load API spec %s: %v", version, err)
	return nil
}

// NewCounter returns a Recorder that validates nothing and only counts requests, for
// runs without the specifications.
func NewCounter() *Recorder {
	return &Recorder{countOnly: true}
}
