package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"

	"code.foss.global/push.rocks/smartvm/images"
)

// Version is smartvm's version. Release builds set it with
// -ldflags "-X code.foss.global/push.rocks/smartvm/internal/cli.Version=v1.2.3".
var Version = "dev"

// versionInfo is what `smartvm version` reports.
type versionInfo struct {
	Version            string `json:"version"`
	Commit             string `json:"commit,omitempty"`
	Go                 string `json:"go"`
	Platform           string `json:"platform"`
	DefaultFirecracker string `json:"defaultFirecracker"`
}

func currentVersion() versionInfo {
	v := versionInfo{Version: Version, Go: runtime.Version(),
		Platform:           runtime.GOOS + "/" + runtime.GOARCH,
		DefaultFirecracker: images.DefaultFirecrackerVersion}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				v.Commit = s.Value
			}
		}
	}
	return v
}

func (a *app) versionCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print smartvm's version",
		Args:  noArgs,
		RunE: func(*cobra.Command, []string) error {
			v := currentVersion()
			if asJSON {
				return writeJSON(a.stdout, v)
			}
			fmt.Fprintf(a.stdout, "smartvm %s", v.Version)
			if v.Commit != "" {
				fmt.Fprintf(a.stdout, " (commit %.12s)", v.Commit)
			}
			fmt.Fprintf(a.stdout, "\n%s %s\ndefault Firecracker %s\n", v.Go, v.Platform,
				v.DefaultFirecracker)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// writeJSON prints v as indented JSON.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
