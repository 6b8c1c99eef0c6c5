package main_test

import (
	"testing"

	"code.foss.global/push.rocks/smartvm/internal/fctest"
)

// TestRealFirecracker runs the demo and `run` with Ctrl-C in a terminal on every real
// Firecracker named by SMARTVM_TEST_FIRECRACKER (it needs /dev/kvm).
func TestRealFirecracker(t *testing.T) {
	for _, target := range fctest.SkipIfNoReal(t) {
		t.Run(target.Name, func(t *testing.T) {
			t.Run("demo", func(t *testing.T) {
				checkDemo(t, []string{"--firecracker", target.Binary})
			})
			t.Run("run-ctrl-c", func(t *testing.T) {
				runInPTY(t, []string{"--firecracker", target.Binary})
			})
		})
	}
}
