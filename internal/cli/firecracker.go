package cli

import (
	"context"
	"os"
	"os/exec"

	"github.com/spf13/pflag"

	"code.foss.global/push.rocks/smartvm/errdefs"
	"code.foss.global/push.rocks/smartvm/images"
)

// fcFlags are the flags that choose and configure the Firecracker binary.
type fcFlags struct {
	path    string
	version string
	args    []string
}

func (f *fcFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.path, "firecracker", "",
		"firecracker executable (env "+EnvFirecracker+"); default: the cached release, "+
			"then firecracker on PATH, then a download")
	fs.StringVar(&f.version, "firecracker-version", "",
		"Firecracker release to use from the cache or download, e.g. v1.14.2 or latest "+
			"(default "+images.DefaultFirecrackerVersion+")")
	fs.StringArrayVar(&f.args, "firecracker-arg", nil,
		"extra argument for the firecracker process, one per flag (repeatable), "+
			"e.g. --firecracker-arg=--no-seccomp")
}

// fcBinary is a resolved Firecracker executable and where it was found.
type fcBinary struct {
	Path    string `json:"path"`
	Source  string `json:"source"`
	Version string `json:"version"`
}

// imageManager returns an images.Manager for the data directory. The download roots can
// be replaced through the environment (mirrors, tests); with progress set, downloads
// draw a progress bar on stderr. Its log lines (retries, mostly) are shown only with
// --log-level info or debug, since the progress output reports retries already.
func (a *app) imageManager(progress bool) *images.Manager {
	opts := images.Options{
		DataDir:        a.dataDir,
		DownloadBase:   os.Getenv(EnvDownloadBase),
		GitHubAPIBase:  os.Getenv(EnvGitHubAPI),
		QuickstartBase: os.Getenv(EnvQuickstartBase),
	}
	if a.verbose {
		opts.Logger = a.log
	}
	if progress {
		opts.Progress = newProgressBar(a.stderr).update
	}
	return images.NewManager(opts)
}

// findFirecracker resolves the Firecracker binary: --firecracker, else
// $SMARTVM_FIRECRACKER, else the cached release of --firecracker-version (default
// images.DefaultFirecrackerVersion), else firecracker on PATH (only when no version was
// asked for), else, when download is set, a download of the release. The binary must
// run `--version`.
func (a *app) findFirecracker(ctx context.Context, f fcFlags, download bool) (fcBinary,
	error) {
	explicit, source := f.path, "--firecracker"
	if explicit == "" {
		explicit, source = os.Getenv(EnvFirecracker), "$"+EnvFirecracker
	}
	if explicit != "" {
		return checkBinary(ctx, explicit, source)
	}
	im := a.imageManager(download)
	version := f.version
	if version == "" {
		version = images.DefaultFirecrackerVersion
	}
	if version != "latest" {
		b, ok, err := im.Cached(version, "")
		if err != nil {
			return fcBinary{}, withStatus(ExitUsage, err)
		}
		if ok {
			return checkBinary(ctx, b.Firecracker, "cache")
		}
		if p, err := exec.LookPath("firecracker"); err == nil && f.version == "" {
			return checkBinary(ctx, p, "PATH")
		}
	}
	if !download {
		return fcBinary{}, notFound(version)
	}
	p, err := im.EnsureBinary(ctx, images.EnsureOptions{Version: version})
	if err != nil {
		return fcBinary{}, err
	}
	return checkBinary(ctx, p, "downloaded")
}

// checkBinary runs path --version.
func checkBinary(ctx context.Context, path, source string) (fcBinary, error) {
	v, err := images.BinaryVersion(ctx, path)
	if err != nil {
		return fcBinary{}, err
	}
	return fcBinary{Path: path, Source: source, Version: v}, nil
}

// notFound explains how to get a Firecracker binary.
func notFound(version string) error {
	return errdefs.New(errdefs.BinaryNotFound,
		"no Firecracker binary: --firecracker and $%s are unset, release %s is not "+
			"in the cache and there is no firecracker on PATH", EnvFirecracker, version).
		WithDetail("fix", "run `smartvm pull firecracker` to download "+
			images.DefaultFirecrackerVersion+", or pass --firecracker /path/to/firecracker")
}
