// Command smartvm runs Firecracker microVMs from the command line; see
// "smartvm --help" and the README.
package main

import (
	"os"

	"code.foss.global/push.rocks/smartvm/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:]))
}
