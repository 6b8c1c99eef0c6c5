package simulator

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// This file parses the command line the way Firecracker's own arg_parser does: every
// argument is "--name" followed, for valued ones, by a separate value that does not start
// with "--" ("--name=value" is an unknown argument), each argument at most once, and
// anything after a bare "--" ignored. --help/-h and --version win over everything else.

// argSpec describes one command-line argument.
type argSpec struct {
	name     string
	value    bool
	multiple bool
	since    Version // first version that has it ("" for all)
	requires string
	forbids  string
	help     string
}

var argSpecs = []argSpec{
	{name: "api-sock", value: true, help: "Path to unix domain socket used by the API. " +
		"[default: \"/run/firecracker.socket\"]"},
	{name: "boot-timer", help: "Whether or not to load boot timer device."},
	{name: "config-file", value: true, help: "Path to a file that contains the microVM " +
		"configuration in JSON format."},
	{name: "describe-snapshot", value: true, help: "Print the data format version of " +
		"the provided snapshot state file."},
	{name: "enable-pci", since: V1_14_2, help: "Enables PCIe support."},
	{name: "http-api-max-payload-size", value: true, help: "Http API request payload max " +
		"size, in bytes. [default: \"51200\"]"},
	{name: "id", value: true, help: "MicroVM unique identifier. " +
		"[default: \"anonymous-instance\"]"},
	{name: "level", value: true, help: "Set the logger level."},
	{name: "log-path", value: true, help: "Path to a fifo or a file used for configuring " +
		"the logger on startup."},
	{name: "metadata", value: true, help: "Path to a file that contains metadata in JSON " +
		"format to add to the mmds."},
	{name: "metrics-path", value: true, help: "Path to a fifo or a file used for " +
		"configuring the metrics on startup."},
	{name: "mmds-size-limit", value: true, help: "Mmds data store limit, in bytes."},
	{name: "module", value: true, help: "Set the logger module filter."},
	{name: "no-api", requires: "config-file", help: "Start without an API socket."},
	{name: "no-seccomp", forbids: "seccomp-filter", help: "Start without seccomp filtering."},
	{name: "parent-cpu-time-us", value: true, help: "Parent process CPU time."},
	{name: "seccomp-filter", value: true, forbids: "no-seccomp", help: "Path to a custom " +
		"seccomp filter."},
	{name: "show-level", help: "Whether or not to output the level in the logs."},
	{name: "show-log-origin", help: "Whether or not to include the file path and line " +
		"number of the log's origin."},
	{name: "snapshot-version", help: "Print the supported data format version."},
	{name: "start-time-cpu-us", value: true, help: "Process start CPU time."},
	{name: "start-time-us", value: true, help: "Process start time."},
	{name: "version", help: "Print the binary version number."},
	// Simulator switches; each also has an SMARTVM_SIM_* environment variable.
	{name: "sim-version", value: true, help: "Firecracker version to answer as " +
		"(1.7.0, 1.14.2, 1.16.1). [env SMARTVM_SIM_VERSION]"},
	{name: "sim-tick", value: true, help: "Guest tick interval. [env SMARTVM_SIM_TICK]"},
	{name: "sim-ignore-ctrl-alt-del", help: "The guest ignores SendCtrlAltDel. " +
		"[env SMARTVM_SIM_IGNORE_CAD]"},
	{name: "sim-fail", value: true, multiple: true, help: "\"METHOD /path\" answers 400 " +
		"(repeatable, comma-separated). [env SMARTVM_SIM_FAIL]"},
	{name: "sim-delay", value: true, help: "Delay every API answer. [env SMARTVM_SIM_DELAY]"},
	{name: "sim-crash-at", value: true, help: "Exit with status 1 when the N-th API " +
		"request arrives (0: once the socket exists). [env SMARTVM_SIM_CRASH_AT]"},
	{name: "sim-no-socket", help: "Never create the API socket. [env SMARTVM_SIM_NO_SOCKET]"},
	{name: "sim-balloon-driver", help: "The guest has a balloon driver. " +
		"[env SMARTVM_SIM_BALLOON_DRIVER]"},
}

// ArgError is a command-line error, printed as Firecracker prints it.
type ArgError struct {
	// Debug is the Rust Debug form ("UnexpectedArgument(\"x\")").
	Debug string
	// Display is the human form.
	Display string
}

// Error returns the human form.
func (e *ArgError) Error() string { return e.Display }

func argErr(kind, display string, names ...string) *ArgError {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return &ArgError{Debug: kind + "(" + strings.Join(q, ", ") + ")", Display: display}
}

// Invocation is a parsed command line.
type Invocation struct {
	// Options configures the Sim.
	Options Options
	// Help, ShowVersion and SnapshotVersion ask for the corresponding output only.
	Help, ShowVersion, SnapshotVersion bool
	// DescribeSnapshot is the snapshot file --describe-snapshot names, if any.
	DescribeSnapshot string
	// values are the raw arguments.
	values map[string][]string
}

// ParseArgs parses args (without the program name). getenv supplies the SMARTVM_SIM_*
// variables; flags win over them.
func ParseArgs(args []string, getenv func(string) string) (*Invocation, error) {
	if i := slices.Index(args, "--"); i >= 0 {
		args = args[:i]
	}
	if slices.Contains(args, "--help") || slices.Contains(args, "-h") {
		return &Invocation{Help: true}, nil
	}
	if slices.Contains(args, "--version") {
		inv := &Invocation{ShowVersion: true}
		inv.Options.Version = versionFromArgs(args, getenv)
		return inv, nil
	}
	version := versionFromArgs(args, getenv)
	values, err := scanArgs(args, version)
	if err != nil {
		return nil, err
	}
	inv := &Invocation{values: values}
	inv.Options.Version = version
	if err := inv.fill(getenv); err != nil {
		return nil, err
	}
	return inv, nil
}

func versionFromArgs(args []string, getenv func(string) string) Version {
	v := getenv("SMARTVM_SIM_VERSION")
	if i := slices.Index(args, "--sim-version"); i >= 0 && i+1 < len(args) {
		v = args[i+1]
	}
	if p, err := ParseVersion(v); err == nil {
		return p
	}
	return DefaultVersion
}

func findSpec(name string, v Version) (argSpec, bool) {
	for _, s := range argSpecs {
		if s.name == name && (s.since == "" || v.atLeast(s.since)) {
			return s, true
		}
	}
	return argSpec{}, false
}

func scanArgs(args []string, v Version) (map[string][]string, error) {
	values := map[string][]string{}
	for i := 0; i < len(args); i++ {
		name, ok := strings.CutPrefix(args[i], "--")
		if !ok {
			return nil, unexpectedArg(args[i])
		}
		spec, known := findSpec(name, v)
		if !known {
			return nil, unexpectedArg(name)
		}
		if _, dup := values[name]; dup && !spec.multiple {
			return nil, argErr("DuplicateArgument",
				"The argument '"+name+"' was provided more than once.", name)
		}
		val := ""
		if spec.value {
			if i+1 >= len(args) || strings.HasPrefix(args[i+1], "--") {
				return nil, argErr("MissingValue",
					"The argument '"+name+"' requires a value, but none was supplied.", name)
			}
			i++
			val = args[i]
		}
		values[name] = append(values[name], val)
	}
	return values, checkRelations(values, v)
}

func unexpectedArg(name string) error {
	return argErr("UnexpectedArgument", "Found argument '"+name+
		"' which wasn't expected, or isn't valid in this context.", name)
}

func checkRelations(values map[string][]string, v Version) error {
	for _, s := range argSpecs {
		if _, given := values[s.name]; !given {
			continue
		}
		if _, ok := values[s.requires]; s.requires != "" && !ok {
			return argErr("MissingArgument",
				"Argument '"+s.requires+"' required, but not found.", s.requires)
		}
		if _, ok := values[s.forbids]; s.forbids != "" && ok {
			return argErr("ForbiddenArgument", "Argument '"+s.forbids+
				"' cannot be used together with argument '"+s.name+"'.", s.name, s.forbids)
		}
	}
	return nil
}

func (inv *Invocation) get(name string) (string, bool) {
	v, ok := inv.values[name]
	if !ok {
		return "", false
	}
	return v[len(v)-1], true
}

func (inv *Invocation) flag(name string) bool {
	_, ok := inv.values[name]
	return ok
}

// HelpText is printed by --help, after the version line.
func HelpText(v Version) string {
	var b strings.Builder
	b.WriteString("optional arguments:\n")
	for _, s := range argSpecs {
		if s.since != "" && !v.atLeast(s.since) {
			continue
		}
		left := "  --" + s.name
		if s.value {
			left += " <" + s.name + ">"
		}
		fmt.Fprintf(&b, "%-58s%s\n", left, s.help)
	}
	fmt.Fprintf(&b, "%-58s%s\n", "  --help", "Show the help message.")
	return b.String()
}

// parseDurationArg accepts Go durations ("250ms") and plain milliseconds ("250").
func parseDurationArg(s string) (time.Duration, error) {
	if n, err := strconv.Atoi(s); err == nil {
		return time.Duration(n) * time.Millisecond, nil
	}
	return time.ParseDuration(s)
}
