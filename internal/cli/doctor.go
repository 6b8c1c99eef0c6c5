package cli

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

// doctorReport is the output of `doctor --json`.
type doctorReport struct {
	// OK is false when a required check failed.
	OK     bool    `json:"ok"`
	Checks []check `json:"checks"`
}

func (a *app) doctorCommand() *cobra.Command {
	var asJSON bool
	var fc fcFlags
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check that this host can run microVMs",
		Long: `Check the host: /dev/kvm, /dev/net/tun, CAP_NET_ADMIN, the Firecracker binary
(found as run would find it, but never downloaded), nftables, the data directory and
the length of the API socket paths. Every failed check says how to fix it.

Checks marked required must pass to boot a VM; the others are needed for networking
(--net, --tap) only. The exit status is 1 when a required check fails, else 0.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r := doctorReport{OK: true, Checks: []check{
				checkArch(),
				checkKVM(),
				a.checkFirecracker(cmd.Context(), fc),
				checkDataDir(a.dataDir),
				checkSocketPath(a.dataDir),
				checkTun(),
				checkNetAdmin(),
				checkNftables(),
			}}
			failed := 0
			for _, c := range r.Checks {
				if c.Required && !c.OK {
					r.OK = false
					failed++
				}
			}
			if asJSON {
				if err := writeJSON(a.stdout, r); err != nil {
					return err
				}
			} else if err := a.printDoctor(r, failed); err != nil {
				return err
			}
			if !r.OK {
				return withStatus(ExitError, nil)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().StringVar(&fc.path, "firecracker", "",
		"firecracker executable to check (env "+EnvFirecracker+")")
	cmd.Flags().StringVar(&fc.version, "firecracker-version", "",
		"Firecracker release to look for in the cache")
	return cmd
}

// printDoctor writes the table: one row per check, and a fix line under each failure.
func (a *app) printDoctor(r doctorReport, failed int) error {
	w := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "CHECK\tRESULT\tDETAIL")
	for _, c := range r.Checks {
		result := "pass"
		switch {
		case !c.OK && c.Required:
			result = "FAIL"
		case !c.OK:
			result = "warn"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\n", c.Name, result, c.Detail)
		if !c.OK && c.Fix != "" {
			fmt.Fprintf(w, "\t\tfix: %s\n", c.Fix)
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if failed > 0 {
		fmt.Fprintf(a.stdout, "\n%d required check(s) failed: this host cannot run "+
			"microVMs until they are fixed.\n", failed)
	} else {
		fmt.Fprintln(a.stdout, "\nready to run microVMs (warnings only affect networking).")
	}
	return nil
}
