package simulator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// Exit statuses Firecracker uses.
const (
	exitGeneric    = 1
	exitBadConfig  = 152
	exitArgParsing = 153
)

// fill turns the parsed arguments and the environment into Options.
func (inv *Invocation) fill(getenv func(string) string) error {
	o := &inv.Options
	o.SocketPath = "/run/firecracker.socket"
	if v, ok := inv.get("api-sock"); ok {
		o.SocketPath = v
	}
	o.ID, _ = inv.get("id")
	o.ConfigFile, _ = inv.get("config-file")
	o.MetadataFile, _ = inv.get("metadata")
	o.LogPath, _ = inv.get("log-path")
	o.Level, _ = inv.get("level")
	o.MetricsPath, _ = inv.get("metrics-path")
	o.NoAPI = inv.flag("no-api")
	o.ShowLevel, o.ShowLogOrigin = inv.flag("show-level"), inv.flag("show-log-origin")
	inv.DescribeSnapshot, _ = inv.get("describe-snapshot")
	inv.SnapshotVersion = inv.flag("snapshot-version")
	if v, ok := inv.get("http-api-max-payload-size"); ok {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return &ExitError{Signal: syscall.SIGABRT, Message: "'http-api-max-payload-size' " +
				"parameter expected to be of 'usize' type."}
		}
		o.MaxPayload = int(n)
	}
	if v, ok := inv.get("mmds-size-limit"); ok {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return &ExitError{Signal: syscall.SIGABRT, Message: "'mmds-size-limit' " +
				"parameter expected to be of 'usize' type."}
		}
		o.MMDSSizeLimit = int(n)
	}
	return inv.fillSim(getenv)
}

// simValue returns the flag value, or the environment variable's.
func (inv *Invocation) simValue(flag, env string, getenv func(string) string) (string, bool) {
	if v, ok := inv.get(flag); ok {
		return v, true
	}
	if v := getenv(env); v != "" {
		return v, true
	}
	return "", false
}

func (inv *Invocation) simBool(flag, env string, getenv func(string) string) bool {
	if inv.flag(flag) {
		return true
	}
	switch strings.ToLower(strings.TrimSpace(getenv(env))) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}

func (inv *Invocation) fillSim(getenv func(string) string) error {
	o := &inv.Options
	bad := func(flag, v string, err error) error {
		return &ArgError{Debug: fmt.Sprintf("InvalidSimulatorArgument(%q, %q)", flag, v),
			Display: fmt.Sprintf("invalid value %q for --%s: %v", v, flag, err)}
	}
	if v, ok := inv.simValue("sim-version", "SMARTVM_SIM_VERSION", getenv); ok {
		if _, err := ParseVersion(v); err != nil {
			return bad("sim-version", v, err)
		}
	}
	for _, d := range []struct {
		flag, env string
		dst       *int64
	}{{"sim-tick", "SMARTVM_SIM_TICK", (*int64)(&o.Tick)},
		{"sim-delay", "SMARTVM_SIM_DELAY", (*int64)(&o.Delay)}} {
		if v, ok := inv.simValue(d.flag, d.env, getenv); ok {
			dur, err := parseDurationArg(v)
			if err != nil || dur < 0 {
				return bad(d.flag, v, errors.Join(err, errors.New("want a duration")))
			}
			*d.dst = int64(dur)
		}
	}
	if v, ok := inv.simValue("sim-crash-at", "SMARTVM_SIM_CRASH_AT", getenv); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return bad("sim-crash-at", v, errors.New("want a count >= 0"))
		}
		o.CrashAt, o.CrashAtStart = n, n == 0
	}
	fails := inv.values["sim-fail"]
	if len(fails) == 0 && getenv("SMARTVM_SIM_FAIL") != "" {
		fails = []string{getenv("SMARTVM_SIM_FAIL")}
	}
	for _, f := range fails {
		for _, one := range strings.Split(f, ",") {
			if one = strings.TrimSpace(one); one != "" {
				o.Fail = append(o.Fail, one)
			}
		}
	}
	o.IgnoreCtrlAltDel = inv.simBool("sim-ignore-ctrl-alt-del", "SMARTVM_SIM_IGNORE_CAD", getenv)
	o.NoSocket = inv.simBool("sim-no-socket", "SMARTVM_SIM_NO_SOCKET", getenv)
	o.BalloonDriver = inv.simBool("sim-balloon-driver", "SMARTVM_SIM_BALLOON_DRIVER", getenv)
	return nil
}

// Run is the whole fcsim program: it parses args, serves until the simulated process
// would end and returns its exit status, or the signal it dies of. stdout is the serial
// console; stderr gets Firecracker's "Error: ..." line.
func Run(ctx context.Context, args []string, getenv func(string) string,
	stdout, stderr io.Writer) (int, syscall.Signal) {
	inv, err := ParseArgs(args, getenv)
	if err != nil {
		return reportExit(stderr, err)
	}
	v := profileFor(inv.Options.Version).version
	switch {
	case inv.Help:
		fmt.Fprintf(stdout, "Firecracker v%s\n\n%s\n", v, HelpText(v))
		return 0, 0
	case inv.ShowVersion:
		fmt.Fprintf(stdout, "Firecracker v%s\n\n", v)
		return 0, 0
	case inv.SnapshotVersion:
		fmt.Fprintf(stdout, "v%s\n", profileFor(v).snapshotVersion)
		return 0, 0
	case inv.DescribeSnapshot != "":
		return describeSnapshot(inv.DescribeSnapshot, stdout, stderr)
	}
	inv.Options.Console = stdout
	sim, err := New(inv.Options)
	if err != nil {
		return reportExit(stderr, err)
	}
	if err := sim.Serve(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return reportExit(stderr, err)
	}
	sim.log.info("main", "Firecracker exiting successfully. exit_code=0")
	return 0, 0
}

// reportExit prints err as Firecracker's main does and returns the exit status.
func reportExit(stderr io.Writer, err error) (int, syscall.Signal) {
	var ae *ArgError
	var ee *ExitError
	switch {
	case errors.As(err, &ae):
		fmt.Fprintf(stderr, "Error: ParseArguments(%s)\n", ae.Debug)
		return exitArgParsing, 0
	case errors.As(err, &ee) && ee.Signal != 0:
		fmt.Fprintf(stderr, "%s\n", ee.Message)
		return 0, ee.Signal
	case errors.As(err, &ee):
		fmt.Fprintf(stderr, "Error: %s\n", ee.Message)
		if strings.HasPrefix(ee.Message, "InvalidLogLevel") {
			return exitBadConfig, 0
		}
		return ee.Code, 0
	}
	fmt.Fprintf(stderr, "Error: %v\n", err)
	return exitGeneric, 0
}

// describeSnapshot is --describe-snapshot for the simulator's snapshot files.
func describeSnapshot(path string, stdout, stderr io.Writer) (int, syscall.Signal) {
	data, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintf(stderr, "Error: PrintSnapshotDataFormat(OpenSnapshot(%s))\n",
			osErrDebug(err))
		return exitGeneric, 0
	}
	header := lenient("SimSnapshotHeader", req("snapshot_data_version", tString))
	v, derr := decodeBody(data, header, false)
	if derr != nil {
		fmt.Fprintf(stderr, "Error: PrintSnapshotDataFormat(SnapshotVersion(%v))\n", derr)
		return exitGeneric, 0
	}
	fmt.Fprintf(stdout, "v%s\n", asFields(v).str("snapshot_data_version"))
	return 0, 0
}
