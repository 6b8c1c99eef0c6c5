package cli

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"code.foss.global/push.rocks/smartvm/errdefs"
	"code.foss.global/push.rocks/smartvm/images"
)

func (a *app) imagesCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "images",
		Short: "List the cached Firecracker releases, kernels and root filesystems",
		Args:  noArgs,
		RunE: func(*cobra.Command, []string) error {
			inv, err := a.imageManager(false).List()
			if err != nil {
				return coded(err, errdefs.NotFound, "list the cache in %s", a.dataDir)
			}
			if asJSON {
				return writeJSON(a.stdout, inventoryJSON(inv))
			}
			w := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintf(w, "cache: %s\n\nFIRECRACKER\tARCH\tPATH\n", inv.DataDir)
			for _, b := range inv.Binaries {
				fmt.Fprintf(w, "%s\t%s\t%s\n", b.Version, b.Arch, b.Firecracker)
			}
			if len(inv.Binaries) == 0 {
				fmt.Fprintln(w, "(none: smartvm pull firecracker)")
			}
			printFiles(w, "KERNEL", inv.Kernels)
			printFiles(w, "ROOTFS", inv.Rootfs)
			return w.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// printFiles writes one table section of cached files.
func printFiles(w io.Writer, title string, files []images.FileInfo) {
	fmt.Fprintf(w, "\n%s\tSIZE\tON DISK\tMODIFIED\n", title)
	for _, f := range files {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", f.Name, size(f.Size), size(f.DiskBytes),
			f.ModTime.Format("2006-01-02 15:04"))
	}
	if len(files) == 0 {
		fmt.Fprintln(w, "(none)")
	}
}

// cacheJSON is the output of `images --json`; it has stable camelCase keys.
type cacheJSON struct {
	DataDir     string       `json:"dataDir"`
	Firecracker []binaryJSON `json:"firecracker"`
	Kernels     []fileJSON   `json:"kernels"`
	Rootfs      []fileJSON   `json:"rootfs"`
}

type binaryJSON struct {
	Version     string `json:"version"`
	Arch        string `json:"arch"`
	Firecracker string `json:"firecracker"`
	Jailer      string `json:"jailer"`
}

type fileJSON struct {
	Name      string    `json:"name"`
	Path      string    `json:"path"`
	Size      int64     `json:"size"`
	DiskBytes int64     `json:"diskBytes"`
	ModTime   time.Time `json:"modTime"`
}

func inventoryJSON(inv images.Inventory) cacheJSON {
	out := cacheJSON{DataDir: inv.DataDir, Firecracker: []binaryJSON{},
		Kernels: files(inv.Kernels), Rootfs: files(inv.Rootfs)}
	for _, b := range inv.Binaries {
		out.Firecracker = append(out.Firecracker, binaryJSON{Version: b.Version, Arch: b.Arch,
			Firecracker: b.Firecracker, Jailer: b.Jailer})
	}
	return out
}

func files(in []images.FileInfo) []fileJSON {
	out := []fileJSON{}
	for _, f := range in {
		out = append(out, fileJSON{Name: f.Name, Path: f.Path, Size: f.Size,
			DiskBytes: f.DiskBytes, ModTime: f.ModTime})
	}
	return out
}
