package cli

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"code.foss.global/push.rocks/smartvm/config"
	"code.foss.global/push.rocks/smartvm/errdefs"
)

func TestPrintErrorShowsCodeMessageDetailsAndHint(t *testing.T) {
	inner := errdefs.New(errdefs.APIError, "PUT /boot-source refused").
		WithDetail("fault_message", "bad kernel")
	inner.StatusCode = 400
	err := fmt.Errorf("boot: %w", errdefs.Wrap(inner, errdefs.StartFailed, "start VM x"))
	var b bytes.Buffer
	printError(&b, err)
	want := "error: START_FAILED: boot: start VM x: PUT /boot-source refused (HTTP 400)\n" +
		"  fault_message: bad kernel\n" +
		"hint: " + errdefs.StartFailed.Hint() + "\n"
	if b.String() != want {
		t.Errorf("printError:\n%s\nwant:\n%s", b.String(), want)
	}
	if exitStatus(err) != ExitError {
		t.Errorf("exit status %d, want %d", exitStatus(err), ExitError)
	}
}

func TestPrintErrorLeavesOutDuplicatedProblems(t *testing.T) {
	err := (&config.VM{MachineConfig: config.MachineConfig{VcpuCount: 1, MemSizeMib: 1}}).
		Validate()
	var b bytes.Buffer
	printError(&b, err)
	out := b.String()
	if !strings.HasPrefix(out, "error: INVALID_CONFIG: 1 problem(s) in VM config: "+
		"bootSource.kernelImagePath: required\n") {
		t.Errorf("printError = %q", out)
	}
	if strings.Count(out, "kernelImagePath") != 1 || strings.Contains(out, "[hint") {
		t.Errorf("problem repeated or inline hint left in: %q", out)
	}
}

func TestUncodedErrorsAreUsageErrors(t *testing.T) {
	err := errors.New(`unknown command "frobnicate" for "smartvm"`)
	var b bytes.Buffer
	printError(&b, err)
	if exitStatus(err) != ExitUsage {
		t.Errorf("exit status %d, want %d", exitStatus(err), ExitUsage)
	}
	if !strings.HasPrefix(b.String(), `error: INVALID_CONFIG: unknown command "frobnicate"`) ||
		!strings.Contains(b.String(), "hint: run the command with --help") {
		t.Errorf("printError = %q", b.String())
	}
	usage := usageError("--vcpus %q: bad", "x")
	if exitStatus(usage) != ExitUsage || errdefs.CodeOf(usage) != errdefs.InvalidConfig {
		t.Errorf("usageError: status %d code %q", exitStatus(usage), errdefs.CodeOf(usage))
	}
}

func TestSilentExit(t *testing.T) {
	err := withStatus(ExitKilled, nil)
	var b bytes.Buffer
	printError(&b, err)
	if b.Len() != 0 || exitStatus(err) != ExitKilled || exitStatus(nil) != ExitOK {
		t.Errorf("silent exit printed %q, status %d", b.String(), exitStatus(err))
	}
}

func TestCodedKeepsExistingCode(t *testing.T) {
	e := errdefs.New(errdefs.NotFound, "x")
	if got := coded(e, errdefs.InvalidConfig, "y"); got != error(e) {
		t.Errorf("coded replaced an existing code: %v", got)
	}
	got := coded(errors.New("plain"), errdefs.CleanupFailed, "remove")
	if errdefs.CodeOf(got) != errdefs.CleanupFailed || coded(nil, errdefs.NotFound, "") != nil {
		t.Errorf("coded = %v", got)
	}
}
