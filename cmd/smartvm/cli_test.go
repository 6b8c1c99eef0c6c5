package main_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestBadCommandLines: every wrong command line exits 2 with an INVALID_CONFIG line that
// names the problem, a hint, and no stack trace.
func TestBadCommandLines(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct {
		args []string
		says string
	}{
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"run", "--vcpus", "two"}, `invalid argument "two" for "--vcpus"`},
		{[]string{"run", "--no-such-flag"}, "unknown flag: --no-such-flag"},
		{[]string{"run", "extra"}, `takes no arguments, got "extra"`},
		{[]string{"run", "--metadata", "[1]"}, "--metadata: want a JSON object"},
		{[]string{"run", "--stop-timeout", "0s"}, "--stop-timeout must be positive"},
		{[]string{"--log-level", "loud", "version"}, `--log-level "loud"`},
		{[]string{"pull"}, "pull needs what to download"},
		{[]string{"pull", "kernels"}, `unknown pull target "kernels"`},
		{[]string{"pull", "kernel"}, "needs URL"},
		{[]string{"pull", "firecracker", "one.two"}, `invalid Firecracker version "one.two"`},
		{[]string{"pull", "kernel", "http://h/"}, "give --name"},
		{[]string{"version", "--json=maybe"}, "invalid argument"},
	} {
		r := e.run(c.args...)
		wantError(t, r, 2, "INVALID_CONFIG")
		if !strings.Contains(r.stderr, c.says) {
			t.Errorf("smartvm %v: stderr does not say %q:\n%s", c.args, c.says, r.stderr)
		}
		if r.stdout != "" {
			t.Errorf("smartvm %v printed usage or output on stdout:\n%s", c.args, r.stdout)
		}
	}
}

func TestVersion(t *testing.T) {
	e := newEnv(t)
	r := e.run("version", "--json")
	var v struct{ Version, Go, Platform, DefaultFirecracker string }
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil || r.status != 0 ||
		v.Version == "" || !strings.HasPrefix(v.Go, "go") || v.DefaultFirecracker == "" {
		t.Errorf("version --json: %v %+v", err, v)
	}
	r = e.run("version")
	if !strings.HasPrefix(r.stdout, "smartvm "+v.Version) {
		t.Errorf("version: %q", r.stdout)
	}
}

func TestCompletion(t *testing.T) {
	e := newEnv(t)
	for _, shell := range []string{"bash", "zsh", "fish"} {
		r := e.run("completion", shell)
		if r.status != 0 || !strings.Contains(r.stdout, "smartvm") {
			t.Errorf("completion %s: status %d, %d bytes", shell, r.status, len(r.stdout))
		}
	}
}

func TestHelpListsExitStatuses(t *testing.T) {
	e := newEnv(t)
	r := e.run("run", "--help")
	for _, want := range []string{"Exit status:", "130", "--firecracker-arg", "--tap",
		"--config", "Ctrl-C"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("run --help lacks %q", want)
		}
	}
}
