package cli

import (
	"context"
	"fmt"
	"net/url"
	"os/signal"
	"path"
	"syscall"

	"github.com/spf13/cobra"

	"code.foss.global/push.rocks/smartvm/images"
)

// pullFlags are the flags of `pull kernel` and `pull rootfs`.
type pullFlags struct {
	name   string
	sha256 string
	force  bool
}

func (a *app) pullCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "pull",
		Short: "Download Firecracker, kernels and root filesystems into the cache",
		Long: `Download into the data directory's cache. Downloads are verified where the
source publishes a checksum (Firecracker releases) or one is given (--sha256), land in
a temporary file first and are renamed into place only when complete. Objects already
in the cache are not downloaded again (use --force for kernels and rootfs images).
"smartvm images" lists the cache.`,
		RunE: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageError("unknown pull target %q: want firecracker, kernel, "+
					"rootfs or quickstart", args[0])
			}
			return usageError("pull needs what to download: firecracker, kernel, rootfs " +
				"or quickstart")
		},
	}
	cmd.AddCommand(a.pullFirecrackerCommand(), a.pullImageCommand("kernel"),
		a.pullImageCommand("rootfs"), a.pullQuickstartCommand())
	return cmd
}

func (a *app) pullFirecrackerCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "firecracker [VERSION]",
		Short: "Download a Firecracker release (default " + images.DefaultFirecrackerVersion + ")",
		Long: `Download the firecracker and jailer binaries of a release, verified against
its published SHA-256, into <data-dir>/bin/<version>/. VERSION is like v1.14.2 or
1.14.2, or "latest" for the newest release (one GitHub API request; set GITHUB_TOKEN
if rate-limited). The default is ` + images.DefaultFirecrackerVersion + `.`,
		Args: maxArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := interruptible(cmd.Context())
			defer stop()
			version := images.DefaultFirecrackerVersion
			if len(args) == 1 {
				version = args[0]
			}
			im := a.imageManager(true)
			if version == "latest" {
				v, err := im.LatestVersion(ctx)
				if err != nil {
					return err
				}
				version = v
			}
			if _, err := images.NormalizeVersion(version); err != nil {
				return withStatus(ExitUsage, err)
			}
			b, err := im.DownloadFirecracker(ctx, version, "")
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Firecracker %s (%s)\n  firecracker: %s\n  jailer:      %s\n",
				b.Version, b.Arch, b.Firecracker, b.Jailer)
			return nil
		},
	}
}

func (a *app) pullImageCommand(kind string) *cobra.Command {
	var f pullFlags
	cmd := &cobra.Command{
		Use:   kind + " URL",
		Short: "Download a " + kind + " image from an http(s) URL",
		Long: "Download a " + kind + " image from URL into <data-dir>/" + dirOf(kind) +
			"/NAME, where NAME is --name or the last element of the URL's path.",
		Args: exactArgs(1, "URL"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := interruptible(cmd.Context())
			defer stop()
			name := f.name
			if name == "" {
				name = nameFromURL(args[0])
				if name == "" {
					return usageError("cannot take a file name from %q; give --name", args[0])
				}
			}
			var opts []images.DownloadOption
			if f.sha256 != "" {
				opts = append(opts, images.WithSHA256(f.sha256))
			}
			if f.force {
				opts = append(opts, images.WithForce())
			}
			im := a.imageManager(true)
			download := im.DownloadKernel
			if kind == "rootfs" {
				download = im.DownloadRootfs
			}
			p, err := download(ctx, args[0], name, opts...)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "%s %s: %s\n", kind, name, p)
			return nil
		},
	}
	cmd.Flags().StringVar(&f.name, "name", "", "file name in the cache (default: from the URL)")
	cmd.Flags().StringVar(&f.sha256, "sha256", "", "expected SHA-256 of the file, in hex")
	cmd.Flags().BoolVar(&f.force, "force", false, "download again even when cached")
	return cmd
}

func (a *app) pullQuickstartCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "quickstart",
		Short: "Download the quickstart kernel and rootfs that run uses by default",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := interruptible(cmd.Context())
			defer stop()
			qs, err := a.imageManager(true).Quickstart(ctx, "")
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "kernel: %s\nrootfs: %s\n", qs.Kernel, qs.Rootfs)
			return nil
		},
	}
}

func dirOf(kind string) string {
	if kind == "kernel" {
		return "kernels"
	}
	return kind
}

// nameFromURL returns the last element of the URL's path, or "".
func nameFromURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	name := path.Base(u.Path)
	if name == "." || name == "/" {
		return ""
	}
	return name
}

// interruptible returns a context cancelled by SIGINT or SIGTERM.
func interruptible(ctx context.Context) (context.Context, context.CancelFunc) {
	return signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
}

// maxArgs refuses more than n positional arguments with a usage error.
func maxArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) > n {
			return usageError("%s takes at most %d argument(s), got %d",
				cmd.CommandPath(), n, len(args))
		}
		return nil
	}
}

// exactArgs wants exactly n positional arguments, named by what.
func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usageError("%s needs %s, got %d argument(s)", cmd.CommandPath(), what,
				len(args))
		}
		return nil
	}
}
