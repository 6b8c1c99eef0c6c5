// Package cli implements the smartvm command: run, demo, pull, images, doctor and
// version. cmd/smartvm only calls Main.
package cli

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"

	smartvm "code.foss.global/push.rocks/smartvm"
	"code.foss.global/push.rocks/smartvm/errdefs"
)

// Environment variables the command reads. Flags take precedence over them.
const (
	// EnvDataDir is the data directory when --data-dir is not given.
	EnvDataDir = "SMARTVM_DATA_DIR"
	// EnvFirecracker is the Firecracker binary when --firecracker is not given.
	EnvFirecracker = "SMARTVM_FIRECRACKER"
	// EnvDownloadBase replaces Firecracker's release download root (a mirror).
	EnvDownloadBase = "SMARTVM_DOWNLOAD_BASE"
	// EnvGitHubAPI replaces the GitHub API root used to find the latest release.
	EnvGitHubAPI = "SMARTVM_GITHUB_API"
	// EnvQuickstartBase replaces the root of the quickstart image bucket.
	EnvQuickstartBase = "SMARTVM_QUICKSTART_BASE"
)

// app holds what every command shares: the standard streams and the global flags.
type app struct {
	stdin    *os.File
	stdout   io.Writer
	stderr   io.Writer
	logLevel string
	dataDir  string
	log      *slog.Logger
	verbose  bool // --log-level info or debug
}

// Main runs the smartvm command with args (without the program name) on the process's
// standard streams and returns the exit status.
func Main(args []string) int {
	return Execute(context.Background(), args, os.Stdin, os.Stdout, os.Stderr)
}

// Execute runs the smartvm command with the given arguments and streams and returns the
// exit status. Errors are printed to stderr as "error: CODE: message" and "hint: ...".
func Execute(ctx context.Context, args []string, stdin *os.File, stdout,
	stderr io.Writer) int {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr}
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err != nil {
		printError(stderr, err)
	}
	return exitStatus(err)
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "smartvm",
		Short: "Run Firecracker microVMs",
		Long: `smartvm boots Firecracker microVMs from the command line.

Start with "smartvm doctor" to check the host, then "smartvm demo" for an offline
boot, pause, snapshot and restore of a tiny built-in guest, or "smartvm run" to boot
a Linux guest with its serial console on this terminal.

Errors print one line "error: CODE: message" and a "hint:" line. Exit status: 0 on
success, 1 on an error, 2 on a wrong command line, 130 when interrupted; see
"smartvm run --help" for the statuses of run.`,
		SilenceUsage:      true,
		SilenceErrors:     true,
		PersistentPreRunE: a.setup,
	}
	f := root.PersistentFlags()
	f.StringVar(&a.dataDir, "data-dir", envOr(EnvDataDir, smartvm.DefaultDataDir),
		"directory for binaries, images, sockets and VM files (env "+EnvDataDir+")")
	f.StringVar(&a.logLevel, "log-level", "warn", "log detail on stderr: debug, info, warn, error")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return withStatus(ExitUsage, errdefs.Wrap(err, errdefs.InvalidConfig, "bad flag"))
	})
	root.AddCommand(a.runCommand(), a.demoCommand(), a.pullCommand(), a.imagesCommand(),
		a.doctorCommand(), a.versionCommand())
	return root
}

// setup checks the global flags and creates the logger.
func (a *app) setup(_ *cobra.Command, _ []string) error {
	var level slog.Level
	switch strings.ToLower(a.logLevel) {
	case "debug":
		level = slog.LevelDebug
	case "info":
		level = slog.LevelInfo
	case "warn", "warning":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	default:
		return usageError("--log-level %q: want debug, info, warn or error", a.logLevel)
	}
	if a.dataDir == "" {
		return usageError("--data-dir must not be empty")
	}
	a.verbose = level <= slog.LevelInfo
	a.log = slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: level}))
	return nil
}

// envOr returns the environment variable key, or def when it is unset or empty.
func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
